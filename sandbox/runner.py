"""Running a sandbox: the in-process ``Sandbox`` (tests, benchmarks) and ``serve`` (the CLI).

::

    async with Sandbox(SandboxConfig(speed=1000, api_key="sk-test")) as sb:
        dashscope.base_http_api_url = sb.base_url       # http://127.0.0.1:PORT/api/v1
        ...
        assert sb.stats.tasks_created("sk-test") == 1

``Sandbox(config, clock=time.time)`` builds the state and ``.app`` at once (usable with aiohttp's
test client without listening); ``start()``/``async with`` listen on 127.0.0.1, port 0 (ephemeral)
by default. ``serve(host, port, config)`` listens until cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType

from aiohttp import web

from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.gateway import PREFIX as GATEWAY_PREFIX
from sandbox.server import build_app
from sandbox.state import SandboxState
from sandbox.stats import Stats
from sandbox.store import TaskStore
from sandbox.tasks import Task
from sandbox.validation import ImageJob

log = logging.getLogger("wanbot.sandbox")


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None, clock: Clock = time.time) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock
        self.state = SandboxState.build(self.config, clock)
        self.app: web.Application = build_app(self.state)
        self._runner: web.AppRunner | None = None
        self._origin: str | None = None

    # -- inspection -------------------------------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        return self.state.stats

    @property
    def store(self) -> TaskStore:
        return self.state.store

    @property
    def image_jobs(self) -> list[ImageJob]:
        """The latest accepted image jobs (text-to-image and edits, sync and async), oldest first."""
        return list(self.state.image_jobs)

    def task(self, task_id: str) -> Task | None:
        """The live task with this id, whoever owns it (for assertions)."""
        return self.state.store.get(task_id)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._origin is None:
            raise RuntimeError("the sandbox is not listening: use start() or 'async with'")
        return self._origin

    @property
    def base_url(self) -> str:
        """What DashScope clients take as base: ``http://127.0.0.1:PORT/api/v1`` (gateway mode:
        ``…/wan/api/v1``, the gateway's prefix)."""
        return f"{self.origin}{GATEWAY_PREFIX if self.config.gateway else ''}/api/v1"

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = ephemeral); returns the base URL."""
        if self._runner is not None:
            raise RuntimeError("already started")
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound_port = sockets[0].getsockname()[1] if sockets else port
        shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        if ":" in shown:
            shown = f"[{shown}]"
        self._origin = f"http://{shown}:{bound_port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._origin = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


async def serve(host: str, port: int, config: SandboxConfig) -> None:
    """Run a sandbox on ``host:port`` until cancelled."""
    sandbox = Sandbox(config)
    base = await sandbox.start(host, port)
    mode = "any Bearer token" if config.api_key is None else "configured key(s) only"
    if config.gateway:
        mode += "; gateway mode: tasks at GET /v1/tasks/{task_id}, WANBOT_DASHSCOPE_GATEWAY=v1-tasks"
    log.info("DashScope sandbox listening: base URL %s (speed %g, %s)", base, config.speed, mode)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.close()
