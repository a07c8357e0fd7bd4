"""Issue 14 in the engine: the requester of a finished job is pinged once, unless they opted out.

An engine on the virtual clock and a recording port that calls itself "discord" (only platforms whose
mentions ping are told), over a real SQLite store: the ping is ``notify`` with the requester's id as its one
allowed mention; it is stored as sent before it goes, so a restart never sends it again.
"""

from __future__ import annotations

from pathlib import Path

from core.actions.caller import Caller
from core.actions.notify import notify_command
from core.delivery import Delivery
from core.engine import Engine
from core.errors import InvalidRequest
from core.jobs import JobState, Requester
from core.messages import Messages
from core.notify_command import NotifyCommand, parse_notify
from core.people import NOTIFIED
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from tests.engine.conftest import Harness
from tests.fakes.port import RecordingPort

PLATFORM = "discord"


async def _start(h: Harness) -> Engine:
    h.store = await JobStore.open(h.db_url)
    delivery = Delivery(h.api, workdir=h.tmp / "work", fit=h.fitter, messages=Messages())
    h.engine = Engine(store=h.store, client=h.api, ports={PLATFORM: h.port}, delivery=delivery, clock=h.clock,
                      sleep=h.clock.sleep, config=h.config)
    await h.engine.start()
    return h.engine


async def _submit(h: Harness, user: str, prompt: str = "a lighthouse at dusk") -> str:
    assert h.engine is not None
    requester = Requester(platform=PLATFORM, user_id=user, channel_id="c1", workspace_id="w1", user_name=user)
    conversation = ConversationRef(platform=PLATFORM, channel_id="c1", workspace_id="w1")
    job = await h.engine.submit(requester, conversation, GenerationRequest.build(prompt=prompt))
    return job.id


async def test_a_finished_job_pings_its_requester_once_even_across_a_restart(harness: Harness) -> None:
    harness.port = RecordingPort(platform=PLATFORM)
    engine = await _start(harness)
    job_id = await _submit(harness, "u1")
    job = await harness.finish(job_id)
    assert job.state is JobState.DELIVERED
    await harness.settle(lambda: bool(harness.port.notices))
    [(where, text, mention)] = harness.port.notices
    assert mention == ("u1",) and where == job.conversation
    assert text == f"<@u1> your video is ready: test://c1/{job.delivered_ref.message_id if job.delivered_ref else ''}"
    upload = harness.port.uploads[0]
    assert upload.requester is not None and upload.requester.user_id == "u1"  # the caption names them
    assert all(view.requested_by == job.requester.person for _, view in harness.port.posts + harness.port.edits)
    await harness.settle(lambda: (engine.peek(job_id) or job).extra.get(NOTIFIED) == "sent")

    await harness.stop()
    engine = await _start(harness)
    stored = await engine.get(job_id)
    assert stored is not None and stored.extra.get(NOTIFIED) == "sent"
    await harness.settle(rounds=50)
    assert len(harness.port.notices) == 1


async def test_opted_out_is_named_not_pinged_and_others_still_are(harness: Harness) -> None:
    harness.port = RecordingPort(platform=PLATFORM)
    engine = await _start(harness)
    assert harness.store is not None
    await harness.store.user_prefs.set(PLATFORM, "w1", "u1", "notify", "off")
    quiet = await _submit(harness, "u1")
    loud = await _submit(harness, "u2")
    for job_id in (quiet, loud):
        assert (await harness.finish(job_id)).state is JobState.DELIVERED
    await harness.settle(lambda: all((engine.peek(j) or None) is not None and engine.peek(j).extra.get(NOTIFIED)  # type: ignore[union-attr]
                                     for j in (quiet, loud)))
    assert [mention for _, _, mention in harness.port.notices] == [("u2",)]
    assert engine.peek(quiet).extra[NOTIFIED] == "opted_out"  # type: ignore[union-attr]


async def test_a_platform_without_pings_is_never_told(harness: Harness) -> None:
    await harness.start()  # the recording port's own platform, "test": mentions there ping nobody
    job = await harness.finish((await harness.submit()).id)
    assert job.state is JobState.DELIVERED
    await harness.settle(rounds=50)
    assert harness.port.notices == []


async def test_user_prefs_store_and_clear(tmp_path: Path) -> None:
    store = await JobStore.open(f"sqlite:///{tmp_path}/prefs.db")
    try:
        prefs = store.user_prefs
        assert await prefs.get("slack", "T1", "U1", "notify") is None
        await prefs.set("slack", "T1", "U1", "notify", "off")
        await prefs.set("slack", "T1", "U1", "notify", "off")  # idempotent
        assert await prefs.get("slack", "T1", "U1", "notify") == "off"
        assert await prefs.get("slack", "T2", "U1", "notify") is None  # another workspace: its own choice
        assert await prefs.get("discord", None, "U1", "notify") is None
        await prefs.set("slack", "T1", "U1", "notify", None)
        assert await prefs.get("slack", "T1", "U1", "notify") is None
    finally:
        await store.close()


def test_notify_parses_on_off_or_nothing() -> None:
    assert parse_notify([]) == NotifyCommand(None)
    assert parse_notify(["ON"]) == NotifyCommand(True)
    assert parse_notify(["off"]) == NotifyCommand(False)
    try:
        parse_notify(["maybe"])
    except InvalidRequest as exc:
        assert "on or off" in str(exc)
    else:
        raise AssertionError("'maybe' was accepted")


async def test_notify_on_the_console_changes_nothing_and_says_so() -> None:
    caller = Caller(platform="console", workspace_id=None, channel_id="console", user_id="you")
    report = await notify_command(None, Messages(), caller, NotifyCommand(False))
    assert report.on is None and "pings nobody" in report.text
