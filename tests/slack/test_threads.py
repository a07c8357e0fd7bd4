"""A thread per idea on Slack (issue 13, item 1), through slack_sdk against the fake Slack.

On Slack the idea's status message *is* its thread: the video is a reply to it (as before), and a re-roll
clicked on it now posts its own status message as a reply in that thread, naming its parent, with its
video in the same thread (``thread_ts`` = the idea's, never a reply's). ``threads`` off: as before.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.ideas import THREAD
from sandbox.runner import Sandbox
from tests.fakes.slack_server import TEAM, FakeSlack
from tests.slack.conftest import SlackBot, delivered, job_id_of, slack_settings, until, video


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox) -> AsyncIterator[SlackBot]:
    """The shared fixture's bot with threads per idea on (the product's default)."""
    b = SlackBot(slack_settings(tmp_path, fake_slack, sandbox, threads_default=True), fake_slack, sandbox)
    await b.start()
    yield b
    await b.stop()


async def test_a_reroll_of_an_idea_lives_in_its_thread_and_names_its_parent(bot: SlackBot) -> None:
    first = await video(bot, "video a kite over the dunes --duration 2")
    root = job_id_of(first)
    await delivered(bot, first)
    assert bot.rt is not None
    stored = await bot.rt.store.get(root)
    assert stored is not None and stored.extra[THREAD]["thread_id"] == first.ts
    assert [u.thread_ts for u in bot.fake.uploads.values()] == [first.ts]

    await bot.click("reroll", root, user="U1", message_ts=first.ts)
    await until(lambda: any("in the idea's thread" in t for t in bot.ephemeral_texts("U1")), what="the answer")
    answer = next(t for t in bot.ephemeral_texts("U1") if "in the idea's thread" in t)
    new_id = answer.split(" as job ")[1].split(".")[0]
    await until(lambda: bool([m for m in bot.fake.messages.values()
                              if m.thread_ts == first.ts and new_id in json.dumps(m.blocks)]), what="its status")
    replies = [m for m in bot.fake.messages.values() if m.thread_ts == first.ts and new_id in json.dumps(m.blocks)]
    assert len(replies) == 1 and f"Re-roll of #{root}" in json.dumps(replies[0].blocks)
    job = await bot.rt.engine.wait(new_id, timeout=30)
    assert job.extra["parent"] == root and job.conversation.thread_id == first.ts
    # Its video: in the same thread (the idea's ts, not its own status reply's).
    await until(lambda: len(bot.fake.uploads) == 2, what="the re-roll's video")
    assert [u.thread_ts for u in bot.fake.uploads.values()] == [first.ts, first.ts]


async def test_threads_off_posts_a_reroll_in_the_channel(bot: SlackBot) -> None:
    assert bot.rt is not None
    await bot.rt.store.settings.update("slack", TEAM, "C_MEMBER", {"threads": False}, by="test")
    first = await video(bot, "video a quiet harbour --duration 2")
    root = job_id_of(first)
    await delivered(bot, first)
    before = {m.ts for m in bot.status_messages()}
    await bot.click("reroll", root, user="U1", message_ts=first.ts)
    await until(lambda: len(bot.status_messages()) == len(before) + 1, what="the re-roll's status")
    [new] = [m for m in bot.status_messages() if m.ts not in before]
    assert new.thread_ts is None  # in the channel, as before issue 13
    stored = await bot.rt.store.get(root)
    assert stored is not None and THREAD not in stored.extra
