"""Crash safety: ``wanbot run`` is killed with SIGKILL at each point of a job's life, then restarted.

The bot runs as a real process (Slack HTTP mode) against the fake Slack Web API and a DashScope sandbox
in this test's process. Each case sends one signed ``/wan video``, waits for the chosen moment, kills
the process without warning, starts a new one over the same database, and checks the outcome: the job
ends delivered exactly once — one DashScope task (the sandbox counts creates), one completed upload, the
same status message edited throughout — never a silent loss.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sandbox.config import DOWNLOAD_ROUTE, Faults, SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.net import free_port
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.slack.conftest import SECRET, SlackBot, slack_settings, state_of, until

KEY = "sk-crash"
ROOT = Path(__file__).resolve().parents[2]
#: Generation takes ~2–4 s: long enough to catch PENDING and RUNNING from outside.
SPEED = 40.0



class BotProcess:
    """``wanbot run`` in a subprocess, restartable over the same database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, http_port: int) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n----- start {self.starts} -----\n".encode())
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=ROOT, stdout=out, stderr=out,
                env={**self.env, "WANBOT_HTTP_PORT": str(http_port)},
            )
        await self._until_listening(http_port)

    async def _until_listening(self, port: int) -> None:
        """Until the Slack endpoint answers (an unsigned request gets 401 once bolt is mounted)."""
        import aiohttp

        from adapters.slack.app import EVENTS_PATH

        # Bounded only so a hung start cannot hang the suite: a process start on a loaded machine (the
        # suite runs under a busy loop per core) can take far longer than on an idle one.
        async with aiohttp.ClientSession() as session:
            for _ in range(2400):
                assert self.proc is not None and self.proc.returncode is None, self.log.read_text()[-3000:]
                try:
                    async with session.post(f"http://127.0.0.1:{port}{EVENTS_PATH}", data=b"") as response:
                        if response.status == 401:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("wanbot run never started listening:\n" + self.log.read_text()[-3000:])

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def db_state(db: Path) -> str | None:
    if not db.exists():
        return None
    conn = sqlite3.connect(db, timeout=5)
    try:
        row = conn.execute("SELECT state FROM jobs").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return None if row is None else str(row[0])


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


Point = Callable[[Sandbox, FakeSlack, Path], bool]

#: point → (sandbox faults, upload delay, "the moment has come", the stored states the kill may find)
POINTS: dict[str, tuple[Faults, float, Point, set[str]]] = {
    # The create is in DashScope's hands (answered 1.5 s later), the bot has no answer yet.
    "before-create-returns": (Faults(latency=1.5, routes=frozenset({"video.create"})), 0.0,
                              lambda sb, fk, db: sb.stats.requests_by_route["video.create"] >= 1, {"SUBMITTING"}),
    # The task exists; the bot may or may not have stored its id yet.
    "right-after-create": (Faults(), 0.0, lambda sb, fk, db: sb.stats.tasks_created(KEY) >= 1,
                           {"SUBMITTING", "PENDING"}),
    "while-pending": (Faults(), 0.0, lambda sb, fk, db: db_state(db) == "PENDING", {"PENDING"}),
    "while-running": (Faults(), 0.0, lambda sb, fk, db: db_state(db) == "RUNNING", {"RUNNING"}),
    # The result file is being fetched (the storage takes 1.5 s to answer).
    "during-download": (Faults(latency=1.5, routes=frozenset({DOWNLOAD_ROUTE})), 0.0,
                        lambda sb, fk, db: sb.stats.requests_by_route[DOWNLOAD_ROUTE] >= 1, {"SUCCEEDED"}),
    # The bytes are on their way to Slack's upload URL (which takes 1.5 s to read them).
    "during-upload": (Faults(), 1.5, lambda sb, fk, db: fk.uploads_started >= 1, {"SUCCEEDED"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
async def test_sigkill_then_restart_delivers_exactly_once(point: str, tmp_path: Path, fake: FakeSlack) -> None:
    faults, upload_delay, reached, expected_states = POINTS[point]
    fake.upload_delay = upload_delay
    db = tmp_path / "wanbot.db"
    async with Sandbox(SandboxConfig(speed=SPEED, api_key=KEY, seed=3, faults=faults)) as sandbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "DASHSCOPE_"))},
            "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
            "DASHSCOPE_HTTP_BASE_URL": sandbox.base_url, "DASHSCOPE_API_KEY": KEY,
            "WANBOT_DATABASE_URL": f"sqlite:///{db}", "WANBOT_WORKDIR": str(tmp_path / "work"),
            "WANBOT_POLL_INTERVAL": "0.05", "WANBOT_HTTP_HOST": "127.0.0.1", "WANBOT_LOG_LEVEL": "INFO",
            "WANBOT_PREDICTIVE_POLLING": "false",  # a sped-up sandbox: plain polling
        }
        bot = BotProcess(env, tmp_path / "bot.log")
        port = free_port()
        # The test talks to the bot the way Slack does: signed requests to its HTTP endpoint.
        client = SlackBot(slack_settings(tmp_path, fake, sandbox), fake, sandbox)
        try:
            await bot.start(port)
            client.http_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
            status, _ = await _command(client, port, "video a lighthouse at dusk --duration 3")
            assert status == 200
            await until(lambda: reached(sandbox, fake, db), timeout=30, what=point)
            await bot.kill()
            killed_in = db_state(db)

            await bot.start(free_port())
            await until(lambda: _final_state(fake) is not None, timeout=40, what="a final state after restart")
            await until(lambda: db_state(db) == "DELIVERED", timeout=60, what="DELIVERED in the store")
        finally:
            await bot.stop()
        log = (tmp_path / "bot.log").read_text()
        created = sandbox.stats.tasks_created(KEY)

    assert killed_in in expected_states, f"killed in {killed_in}, not at {point}"
    # the second process really picked the job up where the first died
    assert f"resuming in state {killed_in}" in log.split("----- start 2 -----")[1], log[-4000:]
    assert _final_state(fake) == "DELIVERED", log[-4000:]
    assert created == 1, f"{created} DashScope tasks for one request (killed in {killed_in})"
    completed = [u for u in fake.uploads.values() if u.completed]
    assert len(completed) == 1, f"{len(completed)} uploads completed (killed in {killed_in})"
    [status_message] = [m for m in fake.posts() if m.text.startswith("[")]
    assert {u["ts"] for u in fake.updates} == {status_message.ts}, "every edit went to the one status message"
    assert completed[0].thread_ts == status_message.ts
    assert "Traceback" not in log, log[-4000:]


async def _command(client: SlackBot, port: int, text: str) -> tuple[int, str]:
    import time

    import aiohttp

    from adapters.slack.app import EVENTS_PATH
    from tests.slack.conftest import sign

    body = client.command_body(text)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, int(time.time()))}
    async with aiohttp.ClientSession() as session, session.post(
        f"http://127.0.0.1:{port}{EVENTS_PATH}", data=body.encode(), headers=headers
    ) as response:
        return response.status, await response.text()


def _final_state(fake: FakeSlack) -> str | None:
    statuses = [m for m in fake.posts() if m.text.startswith("[")]
    if not statuses:
        return None
    state = state_of(statuses[0].history[-1])
    return state if state in ("DELIVERED", "FAILED", "CANCELED", "EXPIRED") else None
