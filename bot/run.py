"""``wanbot run``: start every configured chat platform on one engine.

A platform is configured when its token is set (``DISCORD_TOKEN``; ``SLACK_BOT_TOKEN``). Real people
are never served the embedded sandbox's placeholder videos by accident: without a DashScope key it
refuses to start unless asked (``--sandbox`` or ``WANBOT_SANDBOX=1``), and when asked every status
message carries a sandbox note (``core.status``). Each adapter is an entry in ``PLATFORMS``: a name,
the setting that turns it on, and a starter that builds its port and runs its client until cancelled.
The bot's HTTP server (``/healthz``, ``/metrics``, Slack's HTTP mode) runs whichever platforms do.

SIGTERM or SIGINT starts a graceful shutdown, bounded by ``WANBOT_SHUTDOWN_TIMEOUT``:

1. ``/healthz`` turns 503 and mounted routes (``/slack/events``) refuse new requests;
2. the platform runners are cancelled: they stop listening and let commands already acknowledged
   finish (the job insert, the status post), with all but a small reserve of the time;
3. the engine stops: every unfinished job stays in the store as it is — the checkpoint the next start
   resumes from — then the HTTP server, the store and the session close.

Past the bound the remaining steps are cancelled and the exit code is 1; a second signal cancels them
at once. One log line says when shutdown starts, one when it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from bot.platforms import slack_config
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.messages import Messages
from core.port import ChatPort

log = logging.getLogger("wanbot")


Runner = Callable[[Runtime], Coroutine[Any, Any, None]]

#: Share of the shutdown bound kept for stopping the engine and closing the server and store (at most 3 s):
#: the platforms' own grace periods must not use it all.
ENGINE_RESERVE = 0.3


@dataclass(frozen=True)
class Platform:
    name: str
    env_vars: tuple[str, ...]
    configured: Callable[[Settings], bool]
    #: Builds the platform's port (the engine needs it) and the coroutine that runs its client on the
    #: shared engine until cancelled. ``None`` while the adapter is not part of this build.
    build: Callable[[Settings], tuple[ChatPort, Runner]] | None = None
    #: (transitional) the runner takes ``rt.host()`` (``adapters.host.AdapterHost``) rather than the runtime.
    hosted: bool = False


def _adapter(module: str, config: Callable[[Settings], Any] | None = None,
             ) -> Callable[[Settings], tuple[ChatPort, Runner]] | None:
    """The ``build(settings)`` of an adapter package, imported only when its platform is configured;
    with ``config``, the adapter's ``build`` takes its plain config object (``bot.platforms``) instead."""

    def build(settings: Settings) -> tuple[ChatPort, Runner]:
        loaded = importlib.import_module(module)
        result: tuple[ChatPort, Runner] = loaded.build(config(settings) if config is not None else settings)
        return result

    return build if importlib.util.find_spec(module) is not None else None


PLATFORMS: tuple[Platform, ...] = (
    Platform("Discord", ("DISCORD_TOKEN",), lambda s: s.discord_token is not None,
             _adapter("adapters.discord.app")),
    Platform("Slack", ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET"),
             lambda s: s.slack_bot_token is not None, _adapter("adapters.slack.app", slack_config), hosted=True),
)


async def run_platforms(settings: Settings, console: Console, *, force_sandbox: bool = False) -> int:
    chosen = [p for p in PLATFORMS if p.configured(settings)]
    if not chosen:
        console.print("[red]No chat platform is configured.[/] Set one of:")
        for platform in PLATFORMS:
            console.print(f"  {platform.name}: {', '.join(platform.env_vars)}")
        console.print("(see .env.example). To try wanbot without a chat platform: wanbot try \"a prompt\"")
        return 2
    if settings.no_key and not (force_sandbox or settings.sandbox):
        # Real people would be served placeholder videos without anyone having chosen it.
        console.print(f"[red]{Messages(settings.locale)('run.sandbox_refused')}[/]")
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
        runners.append(_hosted(runner) if platform.hosted else runner)

    if force_sandbox or settings.uses_sandbox:
        log.warning("serving %s on the embedded sandbox: every video is a placeholder, nothing is billed, and "
                    "every status message says so", " and ".join(p.name for p in chosen))
    shutdown = Shutdown(settings.shutdown_timeout)
    shutdown.install()
    try:
        async with shutdown.deadline, runtime(settings, ports, force_sandbox=force_sandbox, with_http=True) as rt:
            failed = await _serve(rt, runners, shutdown)
    except TimeoutError:
        if not shutdown.deadline.expired():
            raise
        log.error("shutdown: not finished within %gs; stopped waiting (unfinished jobs resume from the store)",
                  shutdown.timeout)
        return 1
    finally:
        shutdown.uninstall()
    log.info("shutdown: done in %.2fs", shutdown.elapsed())
    for task in failed:
        log.error("platform stopped: %s", task.exception())
    return 1 if failed else 0


def _hosted(runner: Callable[[Any], Coroutine[Any, Any, None]]) -> Runner:
    async def run(rt: Runtime) -> None:
        await runner(rt.host())

    return run


async def _serve(rt: Runtime, runners: list[Runner], shutdown: Shutdown) -> list[asyncio.Task[Any]]:
    """Run the platforms until a signal or until one of them stops; then stop them within the bound.

    Returns the platform tasks that ended with an error."""
    tasks = [asyncio.create_task(runner(rt)) for runner in runners]
    # One turn of the loop lets every runner attach — register its listeners, mount its routes (Slack's
    # /slack/events) — before its first await; only then does the port open, so nothing meets a 404.
    await asyncio.sleep(0)
    if rt.http is not None:
        await rt.http.start()
    waiter = asyncio.create_task(shutdown.requested.wait())
    done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
    shutdown.begin("a platform stopped")  # no-op after a signal, which began it already
    rt.begin_shutdown()
    for task in [*tasks, waiter]:
        task.cancel()
    _, late = await asyncio.wait([*tasks, waiter], timeout=shutdown.time_for_platforms())
    if late:
        log.warning("shutdown: %d platform(s) still stopping; stopping the engine anyway", len(late))
    unfinished = sum(1 for job in rt.engine.book if not job.state.terminal)
    log.info("shutdown: stopping the engine; %d unfinished job(s) stay in the store for the next start",
             unfinished)
    return [t for t in done if t is not waiter and not t.cancelled() and t.exception() is not None]


class Shutdown:
    """When shutdown was asked for, and the deadline that bounds it (a second signal makes it now)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.requested = asyncio.Event()
        #: Unset until shutdown begins; then ``timeout`` seconds later the remaining steps are cancelled.
        self.deadline = asyncio.timeout(None)
        self._began: float | None = None
        self._loop = asyncio.get_running_loop()

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.add_signal_handler(sig, self._on_signal, sig)

    def uninstall(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.requested.is_set():
            log.warning("shutdown: %s again; stopping now", sig.name)
            with contextlib.suppress(RuntimeError):  # the deadline already fired or the block has ended
                self.deadline.reschedule(self._loop.time())
            return
        self.begin(sig.name)

    def begin(self, reason: str) -> None:
        """Start the clock (once): also while the runtime is still starting, so a hung start is bounded."""
        if self._began is not None:
            return
        self._began = time.monotonic()
        self.requested.set()
        self.deadline.reschedule(self._loop.time() + self.timeout)
        log.info("shutdown: started (%s); draining for up to %gs", reason, self.timeout)

    def time_for_platforms(self) -> float:
        """What is left of the bound, minus the reserve for the engine, server and store."""
        when = self.deadline.when()
        left = self.timeout if when is None else when - self._loop.time()
        return max(0.0, left - min(3.0, self.timeout * ENGINE_RESERVE))

    def elapsed(self) -> float:
        return 0.0 if self._began is None else time.monotonic() - self._began
