"""Every action the README's parity table lists for Slack, done *through Slack*.

Signed slash commands, button clicks and modal submissions go to the real bolt app over HTTP (the fake
Slack Web API behind it, real slack_sdk), with a ``RecordingActions`` as the host's use cases: each case
asserts that the action's use case ran and that the person saw what it did.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest

from adapters.slack.shortcuts import ANIMATE_SHORTCUT, EDIT_SHORTCUT
from bot.runtime import Runtime
from core.actions import ChatActions
from core.actions.face import EngineFace
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.slack_server import TEAM, FakeSlack, Message
from tests.parity.spy import RecordingActions
from tests.parity.table import on
from tests.slack.conftest import SPEED, SlackBot, delivered, job_id_of, slack_settings, until, video
from tests.slack.wire import png

SLACK = on("slack")


def _recording(rt: Runtime) -> ChatActions:
    # The runtime's own file handling (kept files, the image check), so edit and animate work as in production.
    return RecordingActions(cast(EngineFace, rt.engine), rt.messages, allow=rt.actions.allow, audio=rt.actions.audio,
                            stash=rt.actions.stash, images=rt.actions.images, history=rt.actions.history_desk,
                            archive=rt.actions.archive, spend=rt.actions.spend)


@pytest.fixture
async def pbot(tmp_path: Path) -> AsyncIterator[SlackBot]:
    fake = FakeSlack()
    await fake.start()
    async with Sandbox(SandboxConfig(speed=SPEED, seed=7)) as sandbox:
        bot = SlackBot(slack_settings(tmp_path, fake, sandbox), fake, sandbox, actions=_recording)
        await bot.start()
        try:
            yield bot
        finally:
            await bot.stop()
            await fake.close()


def _spy(bot: SlackBot) -> RecordingActions:
    assert bot.host is not None and isinstance(bot.host.actions, RecordingActions)
    return bot.host.actions


async def _said(bot: SlackBot, text: str, *, user: str = "U1") -> str:
    """``/wan <text>``; what the person read (inside the ack, or an ephemeral after it)."""
    before = len(bot.ephemeral_texts(user))
    status, _ = await bot.command(text, user=user)
    assert status == 200
    await until(lambda: len(bot.ephemeral_texts(user)) > before, what=f"an answer to /wan {text}")
    return bot.ephemeral_texts(user)[before]


async def _clicked(bot: SlackBot, action: str, job_id: str, *, user: str = "U1") -> str:
    before = len(bot.ephemeral_texts(user))
    status, _ = await bot.click(action, job_id, user=user)
    assert status == 200
    await until(lambda: len(bot.ephemeral_texts(user)) > before, what=f"an answer to the {action} button")
    return bot.ephemeral_texts(user)[before]


async def _done(bot: SlackBot) -> str:
    """A delivered video of U1's (made before the spy starts counting); its job id."""
    message = await video(bot, "video a lighthouse at dusk --duration 2")
    await delivered(bot, message)
    _spy(bot).called.clear()
    return job_id_of(message)


async def _new_job(bot: SlackBot, job_id: str, answer: str) -> Any:
    assert bot.rt is not None
    new = await bot.rt.engine.get(answer.split(" as job ")[-1].rstrip("."))
    assert new is not None and new.id != job_id
    return new


# -- each action, the Slack way ------------------------------------------------------------------------


async def _video(bot: SlackBot) -> None:
    message = await video(bot, "video a red fox in the snow --duration 2")
    assert "a red fox in the snow" in json.dumps(message.blocks)


async def _image(bot: SlackBot) -> None:
    status, _ = await bot.command("image a red apple --n 1")
    assert status == 200
    await until(lambda: bool(bot.status_messages()), what="the image job's status message")
    await until(lambda: any(u.completed and u.head.startswith(b"\x89PNG") for u in bot.fake.uploads.values()),
                what="the image", timeout=30)


async def _storyboard(bot: SlackBot) -> None:
    status, _ = await bot.command("storyboard --duration 4")
    assert status == 200
    await until(lambda: bool(bot.fake.views), what="the storyboard modal")
    modal = bot.fake.views[-1]["view"]
    values = {f"shot_{n}": {"shot": {"type": "plain_text_input", "value": shot}}
              for n, shot in enumerate(["a kite rises", "the kite falls", None, None, None], start=1)}
    status, body = await bot.interact({
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U1", "team_id": TEAM},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"], "state": {"values": values}},
    })
    assert status == 200 and body == ""
    await until(lambda: bool(bot.status_messages()), what="the storyboard's status message")
    assert "Shot 1 [0-2 seconds] a kite rises" in json.dumps(bot.status_messages()[0].blocks)


async def _status(bot: SlackBot) -> None:
    job_id = await _done(bot)
    assert (await _said(bot, f"status {job_id}")).startswith(f"[{job_id}]")


async def _cancel(bot: SlackBot) -> None:
    message = await video(bot, "video [[sandbox:stuck]] a long wait")
    job_id = job_id_of(message)
    _spy(bot).called.clear()
    answers = (f"Cancelled job {job_id}. Nothing was billed.",
               f"Job {job_id} is already generating; DashScope cannot stop it now.")
    assert await _clicked(bot, "cancel", job_id) in answers


async def _usage(bot: SlackBot) -> None:
    await _done(bot)
    assert "You, today: 1 video(s), 0 image(s), 2 s billed" in await _said(bot, "usage")


async def _reroll(bot: SlackBot) -> None:
    job_id = await _done(bot)
    answer = await _clicked(bot, "reroll", job_id)
    assert answer.startswith(f"Re-rolling job {job_id} with a new seed as job ")
    await _new_job(bot, job_id, answer)


async def _remix(bot: SlackBot) -> None:
    job_id = await _done(bot)
    await bot.click("remix", job_id)
    await until(lambda: bool(bot.fake.views), what="the remix modal")
    modal = bot.fake.views[-1]["view"]
    prompt = {"type": "plain_text_input", "value": "a lighthouse, on fire"}
    status, body = await bot.interact({
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U1", "team_id": TEAM},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"], "state": {"values": {"prompt": {"prompt": prompt}}}},
    })
    assert status == 200 and body == ""
    await until(lambda: any(t.startswith(f"Remixing job {job_id} as job ") for t in bot.ephemeral_texts()),
                what="the remix answer")
    answer = next(t for t in bot.ephemeral_texts() if t.startswith("Remixing"))
    assert (await _new_job(bot, job_id, answer)).request.prompt == "a lighthouse, on fire"


async def _upscale(bot: SlackBot) -> None:
    job_id = await _done(bot)
    answer = await _clicked(bot, "upscale", job_id)
    assert answer.startswith(f"Making job {job_id} again at 1080P (same seed) as job ")
    new = await _new_job(bot, job_id, answer)
    assert bot.rt is not None
    old = await bot.rt.engine.get(job_id)
    assert old is not None and (new.request.resolution, new.request.seed) == ("1080P", old.request.seed)


async def _delete(bot: SlackBot) -> None:
    job_id = await _done(bot)
    assert await _clicked(bot, "delete", job_id) == "Deleted."
    assert bot.status_messages()[0].deleted


async def _defaults(bot: SlackBot) -> None:
    assert await _said(bot, "defaults --res 1080P", user="U_ADMIN") == (
        "Saved. Videos in this channel now default to: 1080P.")


async def _help(bot: SlackBot) -> None:
    assert "/wan video &lt;prompt&gt;" in await _said(bot, "help")


async def _shortcut_submitted(bot: SlackBot, callback_id: str, prompt: str) -> Message:
    """A message shortcut on a message with an image, its modal submitted; the status message it made."""
    image = bot.fake.files.add("photo.png", png(320, 240), "image/png")
    message = bot.fake.post_user_message("C_MEMBER", "a photo", files=[image], user="U2")
    status, _ = await bot.interact(bot.fake.message_action(message, callback_id))
    assert status == 200
    await until(lambda: bool(bot.fake.views), what="the shortcut's modal")
    modal = bot.fake.views[-1]["view"]
    status, body = await bot.interact({
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U1", "team_id": TEAM},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"],
                 "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input", "value": prompt}}}}},
    })
    assert status == 200 and body == ""
    await until(lambda: bool(bot.status_messages()), what="the status message")
    return bot.status_messages()[0]


async def _edit_image(bot: SlackBot) -> None:
    made = await _shortcut_submitted(bot, EDIT_SHORTCUT, "make it snow")
    assert "make it snow" in json.dumps(made.blocks)


async def _animate(bot: SlackBot) -> None:
    made = await _shortcut_submitted(bot, ANIMATE_SHORTCUT, "the boat sails away")
    assert "the boat sails away" in json.dumps(made.blocks)


async def _history(bot: SlackBot) -> None:
    job_id = await _done(bot)
    before = len(bot.fake.ephemerals)
    status, _ = await bot.command("history <@U1|u1> lighthouse")
    assert status == 200
    await until(lambda: len(bot.fake.ephemerals) > before, what="the history answer")
    blocks = bot.fake.ephemerals[-1]["blocks"]
    assert [b["accessory"]["value"] for b in blocks if "accessory" in b] == [job_id]
    assert _spy(bot).called == ["history"]
    await bot.click("reuse", job_id, user="U2")  # another person: the remix modal, from this job
    await until(lambda: bool(bot.fake.views), what="the remix modal")
    assert bot.fake.views[-1]["view"]["blocks"][0]["element"]["initial_value"] == "a lighthouse at dusk"

async def _settings(bot: SlackBot) -> None:
    assert await _said(bot, "settings approve_over 5", user="U_ADMIN") == "Saved: approve_over = 5."


def _ask_id(bot: SlackBot, user: str) -> str:
    """The id on the buttons of the newest held-back command ``user`` was shown (or the channel was)."""
    blocks = [e["blocks"] for e in bot.fake.ephemerals if e["user"] == user and e.get("blocks")]
    blocks += [m.blocks for m in bot.fake.posts() if "asks to spend" in m.text]
    return str(next(el["value"] for b in blocks[-1] if b["type"] == "actions" for el in b["elements"]))


async def _confirm(bot: SlackBot) -> None:
    assert await _said(bot, "video a storm --resolution 1080P --duration 15") == (
        "This will cost about ¥15.00 (1080P, 15 s). Start it?")
    status, _ = await bot.click("confirm", _ask_id(bot, "U1"))
    assert status == 200
    await until(lambda: bool(bot.status_messages()), what="the confirmed job's status message")


async def _approve(bot: SlackBot) -> None:
    await _said(bot, "settings approve_over 5", user="U_ADMIN")
    await _said(bot, "video a lighthouse --duration 10")
    await until(lambda: any("asks to spend" in m.text for m in bot.fake.posts()), what="the approval request")
    status, _ = await bot.click("approve", _ask_id(bot, "U1"), user="U_ADMIN")
    assert status == 200
    await until(lambda: bool(bot.status_messages()), what="the approved job's status message")


CASES: dict[str, Callable[[SlackBot], Awaitable[None]]] = {
    "video": _video, "image": _image, "storyboard": _storyboard, "status": _status, "cancel": _cancel,
    "usage": _usage, "reroll": _reroll, "remix": _remix, "upscale": _upscale, "delete": _delete,
    "defaults": _defaults, "help": _help, "edit_image": _edit_image, "animate": _animate, "history": _history,
    "settings": _settings, "confirm": _confirm, "approve": _approve,
}

def test_every_action_the_table_lists_for_slack_has_a_case() -> None:
    assert sorted(SLACK) == sorted(CASES)


@pytest.mark.parametrize("action", SLACK)
async def test_the_action_runs_its_use_case_through_slack(pbot: SlackBot, action: str) -> None:
    await CASES[action](pbot)
    assert action in _spy(pbot).called
