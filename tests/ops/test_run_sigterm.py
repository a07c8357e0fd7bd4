"""``wanbot run`` as a real process: Slack HTTP mode and health on one port, and a graceful SIGTERM.

The fake Slack and the DashScope sandbox run in the test's process; the bot is a subprocess pointed at
them by environment variables, like a deployment. A video is in flight when SIGTERM arrives: the process
exits 0 within the bound, the job stays in the store, and a new bot over the same database delivers it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp

from adapters.slack.app import EVENTS_PATH
from core.jobs import JobState
from core.store import JobStore
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.net import free_port
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.slack.conftest import DASHSCOPE_KEY, SECRET, SlackBot, job_id_of, sign, slack_settings, until

ROOT = Path(__file__).resolve().parents[2]
BOUND = 10.0
#: 1.5–7.5 s per video: still generating when SIGTERM arrives a moment after the command.
SPEED = 40.0



async def until_listening(port: int, proc: asyncio.subprocess.Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.returncode is None, "wanbot run exited early"
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("wanbot run never listened")


async def test_sigterm_drains_and_the_job_resumes_on_the_next_start(tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    sandbox = Sandbox(SandboxConfig(speed=SPEED, seed=7))
    await sandbox.start("127.0.0.1", 0)
    http_port = free_port()
    env = {**os.environ,
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "", "DISCORD_TOKEN": "",
           "SLACK_API_URL": fake.api_url,
           "DASHSCOPE_API_KEY": DASHSCOPE_KEY, "DASHSCOPE_HTTP_BASE_URL": sandbox.base_url,
           "WANBOT_DATABASE_URL": f"sqlite:///{tmp_path}/wanbot.db", "WANBOT_WORKDIR": str(tmp_path / "work"),
           "WANBOT_HTTP_HOST": "127.0.0.1", "WANBOT_HTTP_PORT": str(http_port), "WANBOT_POLL_INTERVAL": "0.05",
           "WANBOT_PREDICTIVE_POLLING": "false",  # a sped-up sandbox: plain polling
           "WANBOT_SHUTDOWN_TIMEOUT": str(BOUND), "WANBOT_LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    log_path = tmp_path / "wanbot.log"
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", cwd=tmp_path, env=env,
                                                    stdout=log_file, stderr=asyncio.subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{http_port}"
        await until_listening(http_port, proc)
        # The port opens only once the platforms attached: a command sent at once is taken, never a 404.
        # Slack's endpoint is on the same port as health and metrics.
        body = SlackBot(slack_settings(tmp_path, fake, sandbox), fake, sandbox).command_body("video a fox --duration 2")
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, int(time.time()))}
        async with aiohttp.ClientSession() as session:
            async with session.post(base + EVENTS_PATH, data=body.encode(), headers=headers) as resp:
                assert resp.status == 200
            async with session.get(base + "/healthz") as resp:
                health = await resp.json()
                assert resp.status == 200 and health["status"] == "ok", health
                assert health["engine"] == "running" and health["store"] == "ok" and health["platforms"] == ["slack"]
            await until(lambda: any(m.text.startswith("[") for m in fake.posts()), what="the status message")
            job_id = job_id_of(next(m for m in fake.posts() if m.text.startswith("[")))
            async with session.get(base + "/metrics") as resp:
                assert resp.status == 200 and "wanbot_jobs{" in await resp.text()

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=BOUND + 5)
        took = time.monotonic() - started
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = log_path.read_text()
    assert code == 0, log
    assert took < BOUND, log
    assert "shutdown: started (SIGTERM)" in log and "shutdown: done in" in log, log
    print("\n" + next(line for line in log.splitlines() if "shutdown: done in" in line))
    assert "1 unfinished job(s) stay in the store" in log, log

    # The checkpoint: the job is still in the store, unfinished, and a new process delivers it once.
    store = await JobStore.open(f"sqlite:///{tmp_path}/wanbot.db")
    try:
        [stored] = await store.active()
    finally:
        await store.close()
    assert stored.id == job_id and not stored.state.terminal
    bot = SlackBot(slack_settings(tmp_path, fake, sandbox), fake, sandbox)
    await bot.start()
    try:
        assert bot.rt is not None
        done = await bot.rt.engine.wait(job_id, timeout=20)
        assert done.state is JobState.DELIVERED, done.error_message
        await until(lambda: sum(u.completed for u in fake.uploads.values()) == 1, what="the upload")
        assert sandbox.stats.tasks_created(DASHSCOPE_KEY) == 1  # nothing created twice across the restart
    finally:
        await bot.stop()
        await sandbox.close()
        await fake.close()
    print(f"SIGTERM to exit: {took:.2f}s")
