"""``@wanbot <command>`` on Slack (issue 13, item 1): a mention inside an idea's thread continues it.

Slack's slash commands carry no thread, so the Events API's ``app_mention`` (which has ``thread_ts``) is
the way to continue an idea from inside its thread. Through slack_sdk against the fake Slack, with the
event posted signed to ``/slack/events`` as Slack would."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import EVENTS_PATH
from adapters.slack.mentions import command_text
from sandbox.runner import Sandbox
from tests.fakes.slack_server import TEAM, FakeSlack
from tests.slack.conftest import SlackBot, delivered, job_id_of, sign, slack_settings, until, video

BOT_USER = "UWANBOT"


async def until_async(check: Callable[[], Awaitable[bool]], *, what: str, timeout: float = 15.0) -> None:
    async def wait() -> None:
        while not await check():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox) -> AsyncIterator[SlackBot]:
    b = SlackBot(slack_settings(tmp_path, fake_slack, sandbox, threads_default=True), fake_slack, sandbox)
    await b.start()
    yield b
    await b.stop()


async def mention(bot: SlackBot, text: str, *, thread_ts: str | None, event_id: str = "Ev1",
                  user: str = "U1", retry: int | None = None) -> int:
    ts = f"{time.time():.6f}"
    event: dict[str, Any] = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}",
                             "channel": "C_MEMBER", "ts": ts, "team": TEAM}
    if thread_ts:
        event["thread_ts"] = thread_ts
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "api_app_id": "A0WANBOT", "event": event,
                       "event_id": event_id, "event_time": int(time.time()),
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})
    headers = {"Content-Type": "application/json", **sign(body, int(time.time()))}
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    async with aiohttp.ClientSession() as session, session.post(bot.url + EVENTS_PATH, data=body.encode(),
                                                                headers=headers) as response:
        return response.status


def test_the_command_line_is_what_follows_the_bot_s_mention() -> None:
    assert command_text(f"<@{BOT_USER}> video a fox", BOT_USER) == "video a fox"
    assert command_text(f"hey <@U2|bob> look <@{BOT_USER}|wanbot> video a fox", BOT_USER) == \
        "hey <@U2|bob> look video a fox"
    assert command_text("<@U9> status", None) == "status"


async def test_a_mention_in_an_idea_s_thread_continues_the_idea(bot: SlackBot,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    assert bot.rt is not None
    first = await video(bot, "video a kite over the dunes --duration 2")
    root = job_id_of(first)
    await delivered(bot, first)
    before = {m.ts for m in bot.fake.messages.values()}

    assert await mention(bot, "video the same kite at night --duration 2", thread_ts=first.ts) == 200
    await until(lambda: any(m.thread_ts == first.ts and m.ts not in before and m.text.startswith("[")
                            for m in bot.fake.messages.values()), what="the new status in the thread")
    [status] = [m for m in bot.fake.messages.values()
                if m.thread_ts == first.ts and m.ts not in before and m.text.startswith("[")]
    new_id = job_id_of(status)
    job = await bot.rt.engine.wait(new_id, timeout=30)
    assert job.state.value == "DELIVERED", job.error_message
    assert job.request.prompt == "the same kite at night"
    assert job.conversation.thread_id == first.ts and job.extra.get("parent") == root

    # Slack retries the same event (our 200 came "too late"): nothing more starts.
    stored = {j.id for j in await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=20)}
    caplog.set_level(logging.INFO, logger="wanbot.slack")
    assert await mention(bot, "video the same kite at night --duration 2", thread_ts=first.ts, retry=1) == 200

    async def settled() -> bool:
        now = {j.id for j in await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=20)}  # type: ignore[union-attr]
        return now != stored or "already handled" in caplog.text

    await until_async(settled, what="the retry handled")
    # (every job is stored before its create is sent: no new row, no new task)
    assert {j.id for j in await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=20)} == stored


async def test_a_mention_without_a_verb_is_never_a_video_and_answers_in_the_thread(bot: SlackBot) -> None:
    assert bot.rt is not None
    first = await video(bot, "video a quiet harbour --duration 2")
    await delivered(bot, first)
    stored = {j.id for j in await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=20)}
    assert await mention(bot, "make it rain", thread_ts=first.ts, event_id="Ev2") == 200
    await until(lambda: any("unknown command" in str(e["text"]) for e in bot.fake.ephemerals), what="the answer")
    [said] = [e for e in bot.fake.ephemerals if "unknown command" in str(e["text"])]
    assert said["thread_ts"] == first.ts and said["user"] == "U1"
    assert {j.id for j in await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=20)} == stored
