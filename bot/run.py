"""``wanbot run``: start every configured chat platform on one engine.

A platform is configured when its token is set (``DISCORD_TOKEN``; ``SLACK_BOT_TOKEN``). Each adapter
is an entry in ``PLATFORMS``: a name, the setting that turns it on, and a starter that builds its port
and runs its client until cancelled.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.port import ChatPort

log = logging.getLogger("wanbot")


Runner = Callable[[Runtime], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Platform:
    name: str
    env_vars: tuple[str, ...]
    configured: Callable[[Settings], bool]
    #: Builds the platform's port (the engine needs it) and the coroutine that runs its client on the
    #: shared engine until cancelled. ``None`` while the adapter is not part of this build.
    build: Callable[[Settings], tuple[ChatPort, Runner]] | None = None


def _adapter(module: str) -> Callable[[Settings], tuple[ChatPort, Runner]] | None:
    """The ``build(settings)`` of an adapter package, imported only when its platform is configured."""

    def build(settings: Settings) -> tuple[ChatPort, Runner]:
        loaded = importlib.import_module(module)
        result: tuple[ChatPort, Runner] = loaded.build(settings)
        return result

    return build if importlib.util.find_spec(module) is not None else None


PLATFORMS: tuple[Platform, ...] = (
    Platform("Discord", ("DISCORD_TOKEN",), lambda s: s.discord_token is not None,
             _adapter("adapters.discord.app")),
    Platform("Slack", ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET"),
             lambda s: s.slack_bot_token is not None, _adapter("adapters.slack.app")),
)


async def run_platforms(settings: Settings, console: Console, *, force_sandbox: bool = False) -> int:
    chosen = [p for p in PLATFORMS if p.configured(settings)]
    if not chosen:
        console.print("[red]No chat platform is configured.[/] Set one of:")
        for platform in PLATFORMS:
            console.print(f"  {platform.name}: {', '.join(platform.env_vars)}")
        console.print("(see .env.example). To try wanbot without a chat platform: wanbot try \"a prompt\"")
        return 2
    missing = [p.name for p in chosen if p.build is None]
    if missing:
        console.print(f"[red]{', '.join(missing)} support is not in this build of wanbot yet.[/]")
        return 2
    ports: dict[str, ChatPort] = {}
    runners: list[Runner] = []
    for platform in chosen:
        assert platform.build is not None
        port, runner = platform.build(settings)
        ports[port.platform] = port
        runners.append(runner)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with runtime(settings, ports, force_sandbox=force_sandbox) as rt:
        tasks = [asyncio.create_task(runner(rt)) for runner in runners]
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
        for task in [*tasks, waiter]:
            task.cancel()
        await asyncio.gather(*tasks, waiter, return_exceptions=True)
    failed = [t for t in done if t is not waiter and not t.cancelled() and t.exception() is not None]
    for task in failed:
        log.error("platform stopped: %s", task.exception())
    return 1 if failed else 0
