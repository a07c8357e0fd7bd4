"""The bot under test for ``bench/acks.py`` in its default, separate-process mode: ``wanbot run``, as is.

Started by the harness as its own process (``python bench/ack_bot.py --probe-file F [--floor]``) with the
configuration in the environment, exactly as ``wanbot run`` reads it (``bot.settings.Settings``: Slack in
HTTP mode or Discord pointed at the harness's fakes, DashScope at a sandbox in yet another process). What
runs here is what production runs: ``bot.run.run_platforms`` — the runtime, the bot's HTTP server, the
adapter — and nothing of the harness (no client, no fake, no sandbox).

Two things are added, both cheap, for the harness to read after the run (``--probe-file``, JSON, written
when the process ends on SIGTERM): the wall-clock start and duration of every ``JobStore.insert`` and of
every ``FairQueue.order`` call, and event-loop stalls over 1 ms seen by a 10 ms heartbeat — stamped with
``time.time()`` so the harness keeps only those inside its burst. ``--floor`` replaces the ``/wan``
handler by one that only acknowledges (``bench/acks.py --floor``). ``--profile F`` writes a cProfile of
the whole process to ``F`` (diagnostic).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import time
from pathlib import Path
from typing import Any

import _root  # noqa: F401  (this checkout on sys.path)
from rich.console import Console

from bot.logs import setup_logging
from bot.redact import Redactor
from bot.run import run_platforms
from bot.settings import Settings
from core.scheduler import FairQueue
from core.store import JobStore


class Probes:
    """Wall-clock-stamped records of the inserts, the queue orderings and the loop's stalls."""

    def __init__(self) -> None:
        self.inserts: list[tuple[float, float]] = []
        self.orders: list[tuple[float, float]] = []
        self.stalls: list[tuple[float, float]] = []
        #: Wall time of the steps before an ack, by name (``--phases``).
        self.phases: dict[str, list[tuple[float, float]]] = {}

    def time_phase(self, owner: Any, name: str, label: str) -> None:
        """Record the wall time of every call of the coroutine method ``owner.name`` as ``label``."""
        original = getattr(owner, name)
        rows = self.phases.setdefault(label, [])

        async def timed(*args: Any, **kwargs: Any) -> Any:
            wall, t0 = time.time(), time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                rows.append((wall, time.perf_counter() - t0))

        setattr(owner, name, timed)

    def install_phases(self) -> None:
        from adapters.slack.port import SlackPort
        from core.actions import ChatActions
        from core.engine import Engine
        from core.store.channels import ChannelDefaults

        self.time_phase(ChatActions, "parse", "parse (Slack)")
        self.time_phase(ChannelDefaults, "get", "channel defaults read")
        self.time_phase(SlackPort, "ensure_member", "ensure_member (Slack)")
        self.time_phase(ChatActions, "run", "run (Slack: to stored)")
        self.time_phase(ChatActions, "video", "video (Discord: to stored)")
        self.time_phase(Engine, "accept", "Engine.accept")
        import discord

        from adapters.discord.answer import FirstAnswer
        from adapters.slack.app import SlackService
        from core.jobbook import JobBook

        self.time_phase(JobBook, "show", "JobBook.show (first status)")
        self.time_phase(FirstAnswer, "post", "FirstAnswer.post (Discord)")
        self.time_phase(discord.InteractionResponse, "send_message", "InteractionResponse.send_message")
        self.time_phase(SlackService, "handle", "SlackService.handle (HTTP)")

    def install(self) -> None:
        insert, order = JobStore.insert, FairQueue.order
        inserts, orders = self.inserts, self.orders

        async def timed_insert(store: JobStore, *args: Any, **kwargs: Any) -> Any:
            wall, t0 = time.time(), time.perf_counter()
            try:
                return await insert(store, *args, **kwargs)
            finally:
                inserts.append((wall, time.perf_counter() - t0))

        def timed_order(queue: FairQueue) -> list[str]:
            wall, t0 = time.time(), time.perf_counter()
            try:
                return order(queue)
            finally:
                orders.append((wall, time.perf_counter() - t0))

        JobStore.insert = timed_insert  # type: ignore[method-assign,assignment]
        FairQueue.order = timed_order  # type: ignore[method-assign,assignment]

    async def heartbeat(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            stall = time.perf_counter() - t0 - 0.01
            if stall > 0.001:
                self.stalls.append((time.time(), stall))

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps({"inserts": self.inserts, "orders": self.orders, "stalls": self.stalls,
                                    "phases": self.phases}))


async def serve(settings: Settings, probes: Probes) -> int:
    beat = asyncio.create_task(probes.heartbeat())
    try:
        return await run_platforms(settings, Console(stderr=False))
    finally:
        beat.cancel()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probe-file", type=Path, required=True)
    parser.add_argument("--floor", action="store_true", help="a /wan handler that only acknowledges")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the process here")
    parser.add_argument("--phases", action="store_true", help="also time the steps before an ack")
    args = parser.parse_args()
    settings = Settings()
    setup_logging(settings.log_level, console=Console(stderr=True), redact=Redactor.of(settings))
    if args.floor:
        from acks_report import floor_handlers

        floor_handlers()
    if os.environ.get("ACK_BOT_FLOOR_HTTP"):  # diagnostic: Slack answered 200 by the HTTP handler, no bolt
        from aiohttp import web

        from adapters.slack.app import SlackService

        async def http_only(self: SlackService, request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=200)

        SlackService.handle = http_only  # type: ignore[method-assign]
    probes = Probes()
    probes.install()
    if args.phases:
        probes.install_phases()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        return asyncio.run(serve(settings, probes))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
        probes.dump(args.probe_file)


if __name__ == "__main__":
    raise SystemExit(main())
