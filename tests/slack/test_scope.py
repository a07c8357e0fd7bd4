"""Forged clicks: a job id carried from elsewhere does nothing, and reveals nothing.

Every action on a job — buttons, the remix modal (open and submit), ``/wan status <id>``,
``/wan cancel <id>`` — is checked by ``core.access.authorize`` against the workspace and the channel it
came from and the person who sent it (the requester, or a workspace admin for cancel and delete).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.jobs import JobState
from tests.fakes.slack_server import TEAM, Channel
from tests.slack.conftest import SlackBot, job_id_of, until, video

SECRET_CHANNEL = "G_SECRET"
SECRET_PROMPT = "the quarterly numbers nobody may see"


@pytest.fixture
async def secret(bot: SlackBot) -> str:
    """A job U1 made in a private channel the bot is in; returns its id."""
    bot.fake.channels[SECRET_CHANNEL] = Channel(SECRET_CHANNEL, private=True, member=True)
    message = await video(bot, f"video {SECRET_PROMPT} --duration 2", channel=SECRET_CHANNEL)
    return job_id_of(message)


async def _answer(bot: SlackBot, user: str, count: int) -> str:
    await until(lambda: len(bot.ephemeral_texts(user)) > count, what=f"an answer to {user}")
    return bot.ephemeral_texts(user)[count]


async def _jobs(bot: SlackBot, user: str) -> list[Any]:
    assert bot.rt is not None
    return await bot.rt.store.recent_for_user("slack", TEAM, user, limit=20)


@pytest.mark.parametrize("action", ["reroll", "upscale", "cancel", "delete", "remix"])
@pytest.mark.parametrize("who", ["U1", "U2", "U_ADMIN"])
async def test_a_click_from_another_channel_is_not_found(bot: SlackBot, secret: str, action: str, who: str) -> None:
    before = len(await _jobs(bot, who))
    await bot.click(action, secret, user=who, channel="C_MEMBER")
    answer = await _answer(bot, who, 0)
    assert answer == f"I can't find job {secret}."
    assert len(await _jobs(bot, who)) == before
    assert bot.fake.views == []  # the private prompt was never put in a modal
    assert SECRET_PROMPT not in json.dumps(bot.fake.ephemerals + bot.fake.responses)
    assert [m.channel for m in bot.status_messages()] == [SECRET_CHANNEL]
    assert not any(m.deleted for m in bot.fake.messages.values())
    assert bot.rt is not None
    job = await bot.rt.engine.get(secret)
    assert job is not None and job.state is not JobState.CANCELED


async def test_a_click_from_another_workspace_is_not_found(bot: SlackBot) -> None:
    message = await video(bot, "video a fox in the snow --duration 2")
    job_id = job_id_of(message)
    await bot.click("reroll", job_id, user="U1", team="T_OTHER")
    assert await _answer(bot, "U1", 0) == f"I can't find job {job_id}."
    await bot.click("cancel", job_id, user="U1", team="T_OTHER")
    assert await _answer(bot, "U1", 1) == f"I can't find job {job_id}."
    assert len(bot.status_messages()) == 1
    assert bot.rt is not None
    job = await bot.rt.engine.get(job_id)
    assert job is not None and job.state is not JobState.CANCELED


async def test_status_and_cancel_commands_are_scoped(bot: SlackBot, secret: str) -> None:
    # Another member, elsewhere: the job does not exist for them.
    await bot.command(f"status {secret}", user="U2", channel="C_MEMBER")
    assert await _answer(bot, "U2", 0) == f"I can't find job {secret}."
    await bot.command(f"cancel {secret}", user="U2", channel="C_MEMBER")
    assert await _answer(bot, "U2", 1) == f"I can't find job {secret}."
    # The owner may see their own job's status from anywhere in the workspace, not cancel it from there.
    await bot.command(f"status {secret}", user="U1", channel="C_MEMBER")
    assert (await _answer(bot, "U1", 0)).startswith(f"[{secret}]")
    await bot.command(f"cancel {secret}", user="U1", channel="C_MEMBER")
    assert await _answer(bot, "U1", 1) == f"I can't find job {secret}."
    # Another workspace: nothing.
    await bot.command(f"status {secret}", user="U1", channel=SECRET_CHANNEL, team="T_OTHER")
    assert await _answer(bot, "U1", 2) == f"I can't find job {secret}."
    assert bot.rt is not None
    job = await bot.rt.engine.get(secret)
    assert job is not None and job.state is not JobState.CANCELED


async def test_a_workspace_admin_may_cancel_in_the_jobs_channel_a_member_may_not(make_bot: Any) -> None:
    bot: SlackBot = await make_bot(max_in_flight=1)
    blocker = await video(bot, "video [[sandbox:stuck]] holds the only slot")
    await until(lambda: bot.shown_states(blocker)[-1] == "RUNNING", what="the first job running")
    queued = await video(bot, "video waits its turn")
    job_id = job_id_of(queued)

    await bot.command(f"cancel {job_id}", user="U2")
    assert "Only the person who asked for this video" in await _answer(bot, "U2", 0)
    await bot.click("cancel", job_id, user="U_ADMIN")
    assert await _answer(bot, "U_ADMIN", 0) == f"Cancelled job {job_id}. Nothing was billed."
    await until(lambda: bot.shown_states(queued)[-1] == "CANCELED", what="the cancelled status")
    # An admin may not re-roll someone else's prompt into a new billed job.
    await bot.click("reroll", job_id, user="U_ADMIN")
    assert "Only the person who asked for this video" in await _answer(bot, "U_ADMIN", 1)


def _submission(user: str, metadata: str, prompt: str, team: str = TEAM) -> dict[str, Any]:
    return {
        "type": "view_submission", "api_app_id": "A0WANBOT", "token": "legacy",
        "team": {"id": team}, "user": {"id": user, "username": user.lower(), "team_id": team},
        "view": {"id": "V1", "type": "modal", "callback_id": "wan_remix_modal", "private_metadata": metadata,
                 "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input", "value": prompt}}}}},
    }


async def test_remix_metadata_is_not_trusted(bot: SlackBot, secret: str) -> None:
    # The metadata today's handler would have read: a job id and where to answer.
    forged = json.dumps({"job_id": secret, "channel_id": "C_MEMBER"})
    for user in ("U2", "U1"):
        status, body = await bot.interact(_submission(user, forged, "a forged remix"))
        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors" and "can't find job" in answer["errors"]["prompt"]

    # A real modal, opened by the owner from the job's own channel: its metadata altered is refused too.
    await bot.click("remix", secret, user="U1", channel=SECRET_CHANNEL)
    await until(lambda: bool(bot.fake.views), what="views.open")
    sealed = bot.fake.views[-1]["view"]["private_metadata"]
    assert bot.fake.views[-1]["view"]["blocks"][0]["element"]["initial_value"] == SECRET_PROMPT
    outer = json.loads(sealed)
    altered = json.dumps({**outer, "d": outer["d"].replace(SECRET_CHANNEL, "C_MEMBER")})
    status, body = await bot.interact(_submission("U1", altered, "moved elsewhere"))
    assert json.loads(body)["response_action"] == "errors"
    # Submitted by someone else, or from another workspace, with the genuine metadata: refused.
    for user, team in (("U2", TEAM), ("U1", "T_OTHER")):
        status, body = await bot.interact(_submission(user, sealed, "not yours", team=team))
        assert json.loads(body)["response_action"] == "errors"
    assert len(bot.status_messages()) == 1

    # The genuine submission by the owner works, into the job's own channel.
    status, body = await bot.interact(_submission("U1", sealed, "the numbers, remixed"))
    assert status == 200 and body == ""
    await until(lambda: len(bot.status_messages()) == 2, what="the remix's status message")
    assert {m.channel for m in bot.status_messages()} == {SECRET_CHANNEL}


async def test_cancel_without_an_id_means_the_latest_job_in_this_channel(bot: SlackBot) -> None:
    bot.fake.channels[SECRET_CHANNEL] = Channel(SECRET_CHANNEL, private=True, member=True)
    stuck = await video(bot, "video [[sandbox:stuck]] in the back room", channel=SECRET_CHANNEL)
    await bot.command("cancel", user="U1", channel="C_MEMBER")
    assert (await _answer(bot, "U1", 0)).startswith("You have no job in progress in this channel;")
    await bot.command("cancel", user="U2", channel=SECRET_CHANNEL)
    assert await _answer(bot, "U2", 0) == "You have no job in progress."
    assert bot.rt is not None
    job = await bot.rt.engine.get(job_id_of(stuck))
    assert job is not None and job.state is not JobState.CANCELED
