"""``/wan storyboard`` on Slack: a modal of five shots, or the shots typed with ``|``."""

from __future__ import annotations

import json
from typing import Any

from core.request import GenerationRequest
from tests.fakes.slack_server import TEAM, Channel
from tests.slack.conftest import SlackBot, job_id_of, until


def _submission(modal: dict[str, Any], shots: list[str | None], *, user: str = "U1", team: str = TEAM,
                metadata: str | None = None) -> dict[str, Any]:
    values = {f"shot_{n}": {"shot": {"type": "plain_text_input", "value": shot}}
              for n, shot in enumerate(shots + [None] * (5 - len(shots)), start=1)}
    return {
        "type": "view_submission", "api_app_id": "A0WANBOT", "token": "legacy",
        "team": {"id": team}, "user": {"id": user, "username": user.lower(), "team_id": team},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"] if metadata is None else metadata,
                 "state": {"values": values}},
    }


async def _jobs(bot: SlackBot, user: str = "U1") -> int:
    assert bot.rt is not None
    return len(await bot.rt.store.recent_for_user("slack", TEAM, user, limit=20))


async def _open(bot: SlackBot, text: str, channel: str = "C_MEMBER") -> dict[str, Any]:
    before = len(bot.fake.views)
    body = bot.command_body(text, channel=channel)
    status, answer = await bot.post(body)
    assert status == 200 and answer == "", answer
    assert len(bot.fake.views) == before + 1
    opened = bot.fake.views[-1]
    # The command's own trigger_id, within its 3 seconds.
    assert opened["trigger_id"] == dict(pair.split("=", 1) for pair in body.split("&"))["trigger_id"]
    view: dict[str, Any] = opened["view"]
    return view


async def test_storyboard_without_shots_opens_a_modal_and_its_submission_makes_the_video(bot: SlackBot) -> None:
    modal = await _open(bot, "storyboard --duration 10 --ar 9:16")
    assert modal["callback_id"] == "wan_storyboard_modal"
    assert modal["title"] == {"type": "plain_text", "text": "Storyboard (10 s)"}
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["shot_1", "shot_2", "shot_3", "shot_4", "shot_5"]
    assert [b["optional"] for b in inputs] == [False, True, True, True, True]
    assert await _jobs(bot) == 0  # nothing is made until the shots are in

    status, body = await bot.interact(_submission(modal, ["wide shot: a lighthouse at dusk", "",
                                                          "close-up: waves on the rocks"]))
    assert status == 200 and body == ""
    assert await _jobs(bot) == 1  # stored before the submission was acknowledged
    await until(lambda: bool(bot.status_messages()), what="the storyboard's status message")
    assert bot.rt is not None
    job = await bot.rt.engine.get(job_id_of(bot.status_messages()[0]))
    assert job is not None and isinstance(job.request, GenerationRequest)
    assert job.request.prompt == ("Shot 1 [0-5 seconds] wide shot: a lighthouse at dusk "
                                  "Shot 2 [5-10 seconds] close-up: waves on the rocks")
    assert (job.request.duration, job.request.ratio, job.request.prompt_extend) == (10, "9:16", False)
    assert job.request.seed is not None and job.conversation.channel_id == "C_MEMBER"


async def test_bad_flags_are_refused_before_any_modal_and_bad_shots_under_the_field(bot: SlackBot) -> None:
    status, body = await bot.command("storyboard --duration 99")
    assert status == 200 and "duration must be a whole number of seconds" in json.loads(body)["text"]
    assert bot.fake.views == []
    # Nobody types five shots for a channel the video could not be posted in.
    status, body = await bot.command("storyboard", channel="G_PRIVATE")
    assert status == 200 and "/invite @wanbot" in json.loads(body)["text"]
    assert bot.fake.views == []

    modal = await _open(bot, "storyboard --duration 2")
    status, body = await bot.interact(_submission(modal, ["   ", None]))
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "describe at least one shot" in answer["errors"]["shot_1"]
    status, body = await bot.interact(_submission(modal, ["one", "two", "three"]))
    assert "3 shots need at least 3 seconds" in json.loads(body)["errors"]["shot_1"]
    assert await _jobs(bot) == 0 and bot.status_messages() == []


async def test_the_storyboard_modal_is_sealed_to_who_opened_it_and_where(bot: SlackBot) -> None:
    bot.fake.channels["G_SECRET"] = Channel("G_SECRET", private=True, member=True)
    modal = await _open(bot, "storyboard --duration 4", channel="G_SECRET")
    outer = json.loads(modal["private_metadata"])
    moved = json.dumps({**outer, "d": outer["d"].replace("G_SECRET", "C_MEMBER")})
    for payload in (_submission(modal, ["a"], user="U2"), _submission(modal, ["a"], team="T_OTHER"),
                    _submission(modal, ["a"], metadata=moved)):
        status, body = await bot.interact(payload)
        answer = json.loads(body)
        assert status == 200 and answer["response_action"] == "errors"
        assert answer["errors"]["shot_1"].startswith("This storyboard form isn't yours or is no longer valid")
    assert await _jobs(bot) == 0 and await _jobs(bot, "U2") == 0

    status, body = await bot.interact(_submission(modal, ["a lantern", "a lake"]))
    assert status == 200 and body == ""
    await until(lambda: bool(bot.status_messages()), what="the status message")
    assert [m.channel for m in bot.status_messages()] == ["G_SECRET"]


async def test_shots_typed_with_bars_make_the_video_at_once(bot: SlackBot) -> None:
    status, body = await bot.command("storyboard a kite rises | the kite falls --duration 4")
    assert status == 200 and body == ""
    assert bot.fake.views == [] and await _jobs(bot) == 1  # stored before the ack
    await until(lambda: bool(bot.status_messages()), what="the status message")
    assert bot.rt is not None
    job = await bot.rt.engine.get(job_id_of(bot.status_messages()[0]))
    assert job is not None
    assert job.request.prompt == "Shot 1 [0-2 seconds] a kite rises Shot 2 [2-4 seconds] the kite falls"
