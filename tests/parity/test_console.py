"""The README's parity table, console column: every action typed into ``ConsoleSession.handle``.

The session runs on the real runtime (engine, store, client, transcoder, the embedded sandbox) with a
``RecordingActions`` as its use cases. Each case types the cell's command, then checks (a) that exactly
that use case ran — the console parsed the line and called ONE ``ChatActions`` method — and (b) what the
person at the terminal got: the reply printed, and the file saved, the job changed, or the line printed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from PIL import Image
from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import Runtime, allow_lists, runtime
from bot.settings import Settings
from core.actions import ChatActions, sentence_for
from core.actions.face import EngineFace
from core.commands import HELP_TEXT
from core.errors import InvalidRequest
from core.jobs import Job, JobState
from core.messages import Messages
from core.request import GenerationRequest, ImageRequest
from core.spend_commands import SettingsCommand
from core.transcode import probe
from sandbox.config import SandboxConfig
from tests.parity.spy import RecordingActions
from tests.parity.table import on

FAST = 2000.0
M = Messages()


@dataclass
class World:
    rt: Runtime
    spy: RecordingActions
    session: ConsoleSession
    port: ConsolePort
    console: Console
    out: Path

    async def say(self, line: str) -> str | None:
        return await self.session.handle(line)

    async def finished(self, job_id: str) -> Job:
        return await self.spy.wait(CALLER, job_id, timeout=60)

    async def delivered(self, line: str = "video a lighthouse --duration 2") -> Job:
        """A job made and delivered before the action under test (which then starts from a clean record)."""
        assert await self.say(line) is None
        job = await self.finished(self.session.submitted[-1])
        assert job.state is JobState.DELIVERED, job
        self.spy.called.clear()
        return job

    def printed(self) -> str:
        return self.console.export_text(clear=False)


@asynccontextmanager
async def world(tmp_path: Path, *, speed: float = FAST, **settings: Any) -> AsyncIterator[World]:
    config = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                      poll_interval=0.05, **settings)
    console = Console(record=True, width=300, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    async with runtime(config, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=speed)) as rt:
        # The runtime's own file handling (the stash and its host, the image check), as in production.
        a = rt.actions
        spy = RecordingActions(cast(EngineFace, rt.engine), rt.messages, allow=allow_lists(config), audio=a.audio,
                               stash=a.stash, images=a.images, history=a.history_desk, archive=a.archive,
                               spend=a.spend)
        yield World(rt, spy, ConsoleSession(spy, port, console), port, console, tmp_path / "out")


async def video(w: World) -> None:
    assert await w.say("video a lighthouse --duration 2") is None  # the status line says it all
    assert await w.say("a gull over the harbour --duration 2") is None  # or just the prompt
    assert w.spy.called == ["video", "video"]
    for job_id in w.session.submitted:
        job = await w.finished(job_id)
        assert job.state is JobState.DELIVERED
        assert w.port.saved[job_id].exists() and str(w.port.saved[job_id]) in w.printed()
    gull = await w.rt.engine.get(w.session.submitted[1])
    assert gull is not None and gull.request.prompt == "a gull over the harbour"


async def image(w: World) -> None:
    assert await w.say("image a red kite --n 2") is None
    assert w.spy.called == ["image"]
    job = await w.finished(w.session.submitted[-1])
    assert job.state is JobState.DELIVERED, job
    saved = sorted(w.out.glob(f"*{job.id}*.png"))
    assert len(saved) == 2 and all(str(path) in w.printed() for path in saved)


async def storyboard(w: World) -> None:
    assert await w.say("storyboard a harbour at dawn | a gull takes off --duration 4") is None
    assert w.spy.called == ["storyboard"]
    job = await w.finished(w.session.submitted[-1])
    assert job.request.prompt == "Shot 1 [0-2 seconds] a harbour at dawn Shot 2 [2-4 seconds] a gull takes off"
    assert job.state is JobState.DELIVERED and w.port.saved[job.id].exists()


async def status(w: World) -> None:
    job = await w.delivered()
    one = await w.say(f"status {job.id}")
    mine = await w.say("status")
    assert w.spy.called == ["status", "status"]
    for reply in (one, mine):
        assert reply is not None and f"[{job.id}]" in reply and "Done" in reply


async def cancel(w: World) -> None:
    # One DashScope slot, held by a video that never finishes: the next one waits in the queue.
    assert await w.say("[[sandbox:stuck]] a fox --duration 2") is None
    assert await w.say("a hen --duration 2") is None
    hen = w.session.submitted[-1]
    w.spy.called.clear()
    assert await w.say("cancel") == M("cancel.done", job_id=hen)  # no id: my newest unfinished one here
    assert w.spy.called == ["cancel"]
    job = await w.finished(hen)
    assert job.state is JobState.CANCELED


async def usage(w: World) -> None:
    await w.delivered()
    reply = await w.say("usage")
    assert w.spy.called == ["usage"]
    # The same rows as on Slack and Discord: you and everyone, today and this month.
    same = await ChatActions(cast(EngineFace, w.rt.engine), w.rt.messages).usage(CALLER)
    assert reply == same.text and len(same.rows) == 4
    lines = (reply or "").splitlines()
    assert lines[0] == M("usage.title")
    for who in (M("usage.you"), M("usage.everyone")):
        for period in (M("usage.today"), M("usage.month")):
            assert any(line.startswith(f"{who}, {period}: 1 video") for line in lines), (who, period, reply)


async def reroll(w: World) -> None:
    old = await w.delivered()
    reply = await w.say(f"reroll {old.id}")
    assert w.spy.called == ["reroll"]
    new = await w.finished(w.session.submitted[-1])
    assert reply == M("action.rerolled", job_id=old.id, new_job_id=new.id)
    assert isinstance(new.request, GenerationRequest) and isinstance(old.request, GenerationRequest)
    assert new.request.prompt == old.request.prompt and new.request.seed != old.request.seed
    assert new.state is JobState.DELIVERED and w.port.saved[new.id].exists()


async def remix(w: World) -> None:
    old = await w.delivered()
    reply = await w.say(f"remix {old.id} a lighthouse in snow")
    assert w.spy.called == ["remix"]
    new = await w.finished(w.session.submitted[-1])
    assert reply == M("action.remixed", job_id=old.id, new_job_id=new.id)
    assert new.request.prompt == "a lighthouse in snow"
    assert new.state is JobState.DELIVERED and w.port.saved[new.id].exists()


async def upscale(w: World) -> None:
    old = await w.delivered()
    reply = await w.say(f"upscale {old.id}")
    assert w.spy.called == ["upscale"]
    new = await w.finished(w.session.submitted[-1])
    assert reply == M("action.upscaled", job_id=old.id, new_job_id=new.id)
    assert isinstance(new.request, GenerationRequest) and isinstance(old.request, GenerationRequest)
    assert (new.request.resolution, new.request.seed) == ("1080P", old.request.seed)  # the same video, sharper
    assert new.state is JobState.DELIVERED and w.port.saved[new.id].exists()


async def delete(w: World) -> None:
    job = await w.delivered()
    assert await w.say(f"delete {job.id}") == M("action.deleted")
    assert w.spy.called == ["delete"]
    assert job.delivered_ref is not None and job.status_ref is not None
    for ref in (job.delivered_ref, job.status_ref):
        assert f"(deleted {ref.message_id})" in w.printed()


async def defaults(w: World) -> None:
    reply = await w.say("defaults --duration 3 --ar 9:16")
    assert w.spy.called == ["defaults"]
    assert reply == M("defaults.saved", summary="9:16, 3 s")
    assert await w.say("a fox") is None
    job = await w.rt.engine.get(w.session.submitted[-1])
    assert job is not None and isinstance(job.request, GenerationRequest)
    assert (job.request.ratio, job.request.duration) == ("9:16", 3)
    await w.finished(job.id)


async def help(w: World) -> None:
    reply = await w.say("help")
    assert w.spy.called == ["help"]
    assert reply is not None and reply.startswith(HELP_TEXT)
    assert "wan2.1-t2v-turbo: 480P, 720P; 5 s" in reply  # issue 14: each model's own values follow
    for command in ("storyboard", "reroll", "upscale", "remix", "delete"):
        assert f"/wan {command}" in HELP_TEXT


def picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


async def edit_image(w: World) -> None:
    red = picture(w.out.parent / "red.png", (480, 320), (220, 30, 30))
    wide = picture(w.out.parent / "wide.jpg", (640, 320), (30, 30, 220))
    assert await w.say(f"image make it night --image {red} --image {wide}") is None
    assert w.spy.called == ["edit_image"]
    job = await w.finished(w.session.submitted[-1])
    assert job.state is JobState.DELIVERED, job
    assert isinstance(job.request, ImageRequest) and len(job.request.images) == 2
    saved = sorted(w.out.glob(f"*{job.id}*.png"))
    assert len(saved) == 1 and str(saved[0]) in w.printed()
    assert M("edit.from_images", count=2) in w.printed()
    # A file DashScope would refuse is one sentence, and nothing is queued.
    w.spy.called.clear()
    tiny = picture(w.out.parent / "tiny.png", (100, 100), (0, 0, 0))
    reply = await w.say(f"image p --image {tiny}")
    assert reply is not None and M("image.side", width=100, height=100, low=240, high="8,000") in reply
    assert w.spy.called == ["edit_image"] and len(w.session.submitted) == 1


async def animate(w: World) -> None:
    first = picture(w.out.parent / "first.png", (480, 320), (220, 30, 30))
    assert await w.say(f"animate a slow zoom --first {first} --duration 2") is None
    assert w.spy.called == ["animate"]
    job = await w.finished(w.session.submitted[-1])
    assert job.state is JobState.DELIVERED, job
    assert isinstance(job.request, GenerationRequest) and job.request.model == "wan2.7-i2v"
    info = await probe(w.port.saved[job.id])
    assert abs(info.duration - 2) < 0.3
    # From an image result, no prompt.
    image_job = await w.delivered("image a red kite")
    reply = await w.say(f"animate --from {image_job.id} --duration 2")
    assert w.spy.called == ["animate"]
    made = await w.finished(w.session.submitted[-1])
    assert reply == M("action.animated", job_id=image_job.id, new_job_id=made.id)
    assert made.state is JobState.DELIVERED and w.port.saved[made.id].exists()
    assert await w.say(f"animate --first {first} --ratio 9:16") == sentence_for(
        InvalidRequest(M("animate.ratio")), M)


async def history(w: World) -> None:
    lighthouse = await w.delivered("video a Lighthouse at dusk --duration 2")
    fox = await w.delivered("video a fox in the snow --duration 2")
    reply = await w.say("history")
    assert w.spy.called == ["history"]
    assert reply is not None and reply.index(fox.id) < reply.index(lighthouse.id)  # newest first
    assert M("history.console_reuse") in reply
    w.spy.called.clear()
    matching = await w.say("history LIGHTHOUSE")
    assert w.spy.called == ["history"]
    assert matching is not None and lighthouse.id in matching and fox.id not in matching

async def settings(w: World) -> None:
    assert await w.say("settings") == (await w.spy.settings(CALLER, SettingsCommand())).text
    assert await w.say("settings confirm_over 12") == "Saved: confirm_over = 12."
    assert w.spy.called == ["settings", "settings", "settings"]


async def confirm(w: World) -> None:
    asked = await w.say("a storm --resolution 1080P --duration 15")
    assert asked is not None and asked.startswith("This will cost about ¥15.00 (1080P, 15 s). Type `confirm ")
    assert w.session.submitted == []
    w.spy.called.clear()
    assert await w.say(f"confirm {asked.split('`confirm ')[1].split('`')[0]}") is None
    assert w.spy.called[0] == "confirm"
    assert (await w.finished(w.session.submitted[-1])).state is JobState.DELIVERED


async def approve(w: World) -> None:
    await w.say("settings approve_over 5")
    await w.say("settings approver_role boss")  # not the console's user: their request waits
    asked = await w.say("a lighthouse --duration 10")
    assert asked is not None and "an approver has been asked" in asked
    ask_id = asked.split("`approve ")[1].split("`")[0]
    w.spy.called.clear()
    assert await w.say(f"approve {ask_id}") == "Only this channel's approvers can approve or decline this."
    assert w.spy.called[0] == "approve"
    await w.say("settings approver_role you")
    assert await w.say(f"approve {ask_id}") is None
    assert (await w.finished(w.session.submitted[-1])).state is JobState.DELIVERED


Case = Callable[[World], Awaitable[None]]
CASES: dict[str, Case] = {case.__name__: case for case in (
    video, image, storyboard, status, cancel, usage, reroll, remix, upscale, delete, defaults, help, edit_image,
    animate, history, settings, confirm, approve)}
#: Settings a case needs of its world (the sandbox's speed among them).
WORLDS: dict[str, dict[str, Any]] = {"cancel": {"max_in_flight": 1, "speed": 100.0}}


def test_every_console_cell_has_a_case() -> None:
    assert on("console") and sorted(on("console")) == sorted(CASES)


@pytest.mark.parametrize("action", on("console"))
async def test_the_console_does_what_the_table_says(action: str, tmp_path: Path) -> None:
    async with world(tmp_path, **WORLDS.get(action, {})) as w:
        await CASES[action](w)
