"""What the chaos harness runs and reads: ``wanbot run`` processes, a fake Slack that keeps upload bytes,
the bot's SQLite rows, and a bounded polling helper.

``BotProcess`` starts ``python -m bot.cli run`` from this checkout (so this checkout's code runs), on a new
port at every start, and SIGKILLs or SIGTERMs it. ``ChaosSlack`` is ``tests.fakes.slack_server.FakeSlack``
with the chaos channels and each upload's bytes kept (the sandbox's mark in them names the task and prompt).
``read_jobs`` reads the ``jobs`` table read-only, alongside a running bot.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from adapters.slack.app import EVENTS_PATH
from tests.chaos.invariants import JobRow
from tests.chaos.schedule import CHANNELS
from tests.fakes.net import free_port
from tests.fakes.slack_server import Channel, FakeSlack

ROOT = Path(__file__).resolve().parents[2]
#: How long a start may take to listen (generous: the machine is shared).
START_CAP = 60.0



async def poll(condition: Callable[[], Awaitable[bool]], cap: float, turn: float = 0.03) -> bool:
    """Until ``condition()`` holds (``True``) or ``cap`` real seconds passed (``False``)."""
    deadline = time.monotonic() + cap
    while not await condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(turn)
    return True


@dataclass
class ChaosSlack(FakeSlack):
    """The fake Slack, also keeping each upload's bytes (to read the sandbox mark from them)."""

    keep_bodies: bool = True

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            return await super()._upload(request)
        except (ConnectionError, aiohttp.ClientPayloadError):  # the bot was killed mid-upload
            return web.Response(status=400, text="upload interrupted")


def chaos_slack() -> ChaosSlack:
    channels = {c: Channel(c, member=c != "C_PUBLIC") for c in CHANNELS}
    channels["G_PRIVATE"] = Channel("G_PRIVATE", private=True)
    return ChaosSlack(channels=channels)


class BotProcess:
    """``wanbot run`` as a subprocess; every start listens on a new port over the same database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.port = 0

    async def start(self) -> None:
        self.starts += 1
        self.port = free_port()
        with self.log.open("ab") as out:
            out.write(f"\n----- start {self.starts} -----\n".encode())
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=ROOT, stdout=out, stderr=out,
                env={**self.env, "WANBOT_HTTP_PORT": str(self.port)})
        async with aiohttp.ClientSession() as session:
            async def listening() -> bool:
                if self.proc is None or self.proc.returncode is not None:
                    raise RuntimeError("wanbot run exited:\n" + self.log.read_text()[-3000:])
                try:  # an unsigned request gets 401 once the Slack endpoint is mounted
                    async with session.post(f"{self.url}{EVENTS_PATH}", data=b"") as response:
                        return response.status == 401
                except aiohttp.ClientError:
                    return False

            if not await poll(listening, START_CAP, turn=0.05):
                raise RuntimeError("wanbot run never started listening:\n" + self.log.read_text()[-3000:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                await self.kill()


def read_jobs(db: Path) -> list[JobRow]:
    """The ``jobs`` rows, read-only (the bot may be writing; WAL lets us read alongside)."""
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    except sqlite3.OperationalError:
        return []
    try:
        rows = conn.execute("SELECT id, state, request, user_id, channel_id, task_id, status_ref, error_message, "
                            "shown_state, error_code FROM jobs").fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        conn.close()
    out = []
    for jid, state, request, user, channel, task_id, status_ref, error, shown, code in rows:
        ref = json.loads(status_ref) if status_ref else None
        out.append(JobRow(id=jid, state=state, prompt=json.loads(request)["prompt"], user_id=user,
                          channel_id=channel, task_id=task_id, status_ts=ref["message_id"] if ref else None,
                          error_message=error, shown_state=shown, error_code=code))
    return out
