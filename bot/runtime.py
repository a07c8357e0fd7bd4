"""The composition root: builds a running wanbot from ``Settings`` and the platform ports.

``runtime(settings, ports)`` is the one place that opens the HTTP session, the store, the embedded
sandbox (when no DashScope key is set), the DashScope client and the engine, wires them together with
keyword arguments, and closes them in reverse order. Every command of the CLI goes through it, so what
``wanbot try`` exercises is exactly what ``wanbot run`` runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp

from bot.settings import Settings
from core.dashscope import DashScopeClient, resolve_base_url
from core.delivery import Delivery
from core.engine import Engine
from core.messages import Messages
from core.port import ChatPort
from core.store import JobStore
from core.transcode import fit_to_size
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox

log = logging.getLogger("wanbot")

#: The key wanbot uses against its own embedded sandbox (which accepts any key in that mode).
SANDBOX_KEY = "sk-wanbot-sandbox"
SANDBOX_DATABASE_URL = "sqlite:///./wanbot-sandbox.db"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    client: DashScopeClient
    store: JobStore
    session: aiohttp.ClientSession
    messages: Messages
    sandbox: Sandbox | None

    @property
    def on_sandbox(self) -> bool:
        return self.sandbox is not None


@asynccontextmanager
async def runtime(
    settings: Settings,
    ports: Mapping[str, ChatPort],
    *,
    force_sandbox: bool = False,
    sandbox_config: SandboxConfig | None = None,
    start_engine: bool = True,
) -> AsyncIterator[Runtime]:
    """Everything wanbot needs, opened in order and closed in reverse; ``sandbox_config`` (tests, demos)
    replaces the embedded sandbox's defaults."""
    async with AsyncExitStack() as stack:
        sandbox: Sandbox | None = None
        database_url = settings.database_url
        api_key: str | None
        if force_sandbox or sandbox_config is not None or settings.uses_sandbox:
            sandbox = Sandbox(sandbox_config or SandboxConfig(speed=settings.sandbox_speed))
            await sandbox.start("127.0.0.1", settings.sandbox_port)
            stack.push_async_callback(sandbox.close)
            base_url, api_key = sandbox.base_url, SANDBOX_KEY
            # Sandbox tasks vanish with the process: keep their jobs apart from real, billed ones.
            if "database_url" not in settings.model_fields_set:
                database_url = SANDBOX_DATABASE_URL
            log.info("using the embedded DashScope sandbox at %s (speed ×%g)", base_url, sandbox.config.speed)
        else:
            base_url = resolve_base_url(
                region=settings.dashscope_region,
                workspace_id=settings.dashscope_workspace_id,
                base_url=settings.dashscope_base_url,
            )  # settings already read DASHSCOPE_HTTP_BASE_URL, so no env_base_url here
            key = settings.dashscope_api_key
            api_key = key.get_secret_value() if key else None
            log.info("using DashScope at %s", base_url)

        session = await stack.enter_async_context(aiohttp.ClientSession())
        client = DashScopeClient(session, base_url=base_url, api_key=api_key, clock=time.time)
        store = await JobStore.open(database_url)
        stack.push_async_callback(store.close)
        messages = Messages(settings.locale)
        delivery = Delivery(client, workdir=settings.workdir, messages=messages, fit=fit_to_size)
        engine = Engine(
            store=store,
            client=client,
            ports=ports,
            delivery=delivery,
            clock=time.time,
            config=settings.engine_config(),
            messages=messages,
        )
        if start_engine:
            await engine.start()
            stack.push_async_callback(engine.stop)
        yield Runtime(settings, engine, client, store, session, messages, sandbox)
