"""Fixtures for the archive tests: a real S3-compatible server (``tests.archive.s3rver``) for the session,
and ``World``: a complete wanbot runtime (console port, the bot's HTTP server) over a DashScope sandbox
whose clock a test can move a day on, so DashScope's signed result links really expire."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rich.console import Console

from adapters.console.app import CALLER
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.jobs import Job
from core.store.archive import ArchiveEntry
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.archive.s3rver import ACCESS_KEY, SECRET_KEY, S3Server, running
from tests.fakes.until import until

KEY = "sk-archive-tests"


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running(tmp_path_factory.mktemp("s3rver")) as server:
        yield server


def s3_settings(server: S3Server, prefix: str) -> dict[str, Any]:
    return {"archive_s3_bucket": server.bucket, "archive_s3_endpoint": server.endpoint,
            "archive_s3_region": "us-east-1", "archive_s3_access_key_id": ACCESS_KEY,
            "archive_s3_secret_access_key": SECRET_KEY, "archive_s3_prefix": prefix}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    tmp: Path
    sandbox: Sandbox
    #: Seconds added to the sandbox's clock (a day on: its result links have expired).
    shift: list[float]
    overrides: dict[str, Any] = field(default_factory=dict)
    port: ConsolePort | None = None
    #: Every result file the sandbox served (``/results/…`` paths), in order: who downloaded what.
    served: list[str] = field(default_factory=list)

    def settings(self, **more: Any) -> Settings:
        http_port = _free_port()
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{self.tmp}/wanbot.db", "workdir": self.tmp / "work",
            "dashscope_base_url": self.sandbox.base_url, "dashscope_api_key": KEY, "poll_interval": 0.05,
            "predictive_polling": False, "archive_dir": self.tmp / "archive", "http_host": "127.0.0.1",
            "http_port": http_port, "public_url": f"http://127.0.0.1:{http_port}", **self.overrides, **more,
        }
        return Settings(**values)

    async def start(self, stack: AsyncExitStack, **more: Any) -> Runtime:
        """A running wanbot (a new process each call: same database, archive directory and sandbox)."""
        self.port = ConsolePort(Console(record=True, width=200), self.tmp / "out", live=False)
        rt = await stack.enter_async_context(runtime(self.settings(**more), {PLATFORM: self.port},
                                                     with_http=True))
        assert rt.http is not None
        await rt.http.start()
        return rt

    async def video(self, rt: Runtime, prompt: str = "a lighthouse at dusk") -> Job:
        started = await rt.actions.video(CALLER, {"prompt": prompt, "duration": 2})
        return await rt.actions.wait(CALLER, started.job.id, timeout=60)


async def archived(rt: Runtime, job_id: str) -> list[ArchiveEntry]:
    """The job's archive rows, once there are any (the archive runs after the delivery, in the background)."""

    async def rows() -> list[ArchiveEntry] | None:
        return (await rt.store.archive.for_jobs([job_id])).get(job_id)

    return await until(rows, f"job {job_id} archived", timeout=30)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    shift = [0.0]
    sandbox = Sandbox(SandboxConfig(speed=500, api_key=KEY), clock=lambda: time.time() + shift[0])
    served: list[str] = []

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and request.path.startswith("/results/"):
            served.append(request.path)
        response: web.StreamResponse = await handler(request)
        return response

    sandbox.app.middlewares.insert(0, count)
    async with sandbox:
        yield World(tmp_path, sandbox, shift, served=served)
