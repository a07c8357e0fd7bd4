"""A real ``wanbot run`` killed with SIGKILL right after Slack heard back: nothing acknowledged is lost.

* Killed the moment the 200 of a ``/wan video`` arrives: the job was stored before the ack, so the next
  process finds it and delivers it.
* Killed after ``chat.postMessage`` took effect but before its answer (and so its ``ts``) reached the
  bot: the next process finds that status message (``conversations.history``, by the job id in its
  metadata) and edits it, instead of posting a second one and leaving a "Queued" with a live Cancel.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.crash.test_sigkill import BotProcess, _command
from tests.fakes.net import free_port
from tests.fakes.slack_server import TOKEN, FakeSlack, Message
from tests.slack.conftest import SECRET, SlackBot, slack_settings, state_of, until

KEY = "sk-slack-kill"
SPEED = 60.0


def _jobs(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=5)
    try:
        return [(str(r[0]), str(r[1])) for r in conn.execute("SELECT id, state FROM jobs ORDER BY id")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(SandboxConfig(speed=SPEED, api_key=KEY, seed=5)) as sb:
        yield sb


def _env(tmp_path: Path, fake: FakeSlack, sandbox: Sandbox) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "DASHSCOPE_"))},
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
        "DASHSCOPE_HTTP_BASE_URL": sandbox.base_url, "DASHSCOPE_API_KEY": KEY,
        "WANBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'wanbot.db'}", "WANBOT_WORKDIR": str(tmp_path / "work"),
        "WANBOT_POLL_INTERVAL": "0.05", "WANBOT_HTTP_HOST": "127.0.0.1", "WANBOT_LOG_LEVEL": "INFO",
        "WANBOT_PREDICTIVE_POLLING": "false",  # a sped-up sandbox: plain polling
    }


def _statuses(fake: FakeSlack) -> list[Message]:
    return [m for m in fake.posts() if m.text.startswith("[") and not m.deleted]


def _final(message: Message) -> bool:
    return state_of(message.history[-1]) in ("DELIVERED", "FAILED", "CANCELED", "EXPIRED")


@pytest.mark.slow
async def test_commands_acknowledged_just_before_a_kill_are_all_delivered(
    tmp_path: Path, fake: FakeSlack, sandbox: Sandbox
) -> None:
    db = tmp_path / "wanbot.db"
    bot = BotProcess(_env(tmp_path, fake, sandbox), tmp_path / "bot.log")
    client = SlackBot(slack_settings(tmp_path, fake, sandbox), fake, sandbox)
    rounds = 3
    try:
        for i in range(rounds):
            # Slack is slow to say whether the bot is in the channel: work done after the ack would be cut off.
            fake.delay("conversations.info", 0.4)
            port = free_port()
            await bot.start(port)
            status, body = await _command(client, port, f"video kill round {i} --duration 2")
            await bot.kill()
            assert status == 200 and body == "", body
            assert len(_jobs(db)) == i + 1, f"acknowledged command {i} was not stored: {_jobs(db)}"
        await bot.start(free_port())
        await until(lambda: len(_statuses(fake)) == rounds and all(_final(m) for m in _statuses(fake)),
                    timeout=60, what="every acknowledged command finished")
        await until(lambda: {s for _, s in _jobs(db)} == {"DELIVERED"}, timeout=60, what="DELIVERED stored")
    finally:
        await bot.stop()
    log = (tmp_path / "bot.log").read_text()
    assert [state_of(m.history[-1]) for m in _statuses(fake)] == ["DELIVERED"] * rounds, log[-4000:]
    assert sandbox.stats.tasks_created(KEY) == rounds
    assert len([u for u in fake.uploads.values() if u.completed]) == rounds
    assert "Traceback" not in log, log[-4000:]


@pytest.mark.slow
async def test_a_kill_between_posting_the_status_and_storing_it_leaves_no_orphan(
    tmp_path: Path, fake: FakeSlack, sandbox: Sandbox
) -> None:
    db = tmp_path / "wanbot.db"
    bot = BotProcess(_env(tmp_path, fake, sandbox), tmp_path / "bot.log")
    client = SlackBot(slack_settings(tmp_path, fake, sandbox), fake, sandbox)
    fake.delay("chat.postMessage", 30.0)  # the status is in the channel; the bot never hears its ts
    try:
        port = free_port()
        await bot.start(port)
        status, _ = await _command(client, port, "video an orphan hunt --duration 2")
        assert status == 200
        await until(lambda: len(_statuses(fake)) == 1, timeout=15, what="the status message posted")
        await bot.kill()
        [(job_id, state)] = _jobs(db)
        assert state == "QUEUED"
        # Someone else's look-alike (same text, same metadata) must not be taken for ours.
        fake.messages["1600000000.000001"] = Message(
            "C_MEMBER", "1600000000.000001", f"[{job_id}] 🎬 Queued", [], user="U_SPOOF",
            metadata={"event_type": "wanbot_status", "event_payload": {"job_id": job_id}})

        await bot.start(free_port())
        ours = [m for m in _statuses(fake) if m.user != "U_SPOOF"]
        assert len(ours) == 1
        await until(lambda: _final(ours[0]), timeout=40, what="the status message finished")
        await until(lambda: _jobs(db) == [(job_id, "DELIVERED")], timeout=60, what="DELIVERED stored")
    finally:
        await bot.stop()
    log = (tmp_path / "bot.log").read_text()
    statuses = [m for m in _statuses(fake) if m.user != "U_SPOOF"]
    assert len(statuses) == 1, [m.history for m in statuses]  # no second post, so no orphan "Queued"
    assert state_of(statuses[0].history[-1]) == "DELIVERED"
    assert statuses[0].text.startswith(f"[{job_id}]")
    assert {u["ts"] for u in fake.updates} == {statuses[0].ts}
    assert "found the status message an earlier run posted" in log
    assert "Traceback" not in log, log[-4000:]
