"""What ``bench/acks.py``'s two modes share: the result of one burst, percentiles, the table, and the
``--floor`` handlers (patched into whichever process runs the bot)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Discord's interaction deadline (the fake enforces the same); Slack's is the same 3 s.
DEADLINE = 3.0
PROMPT = "a lighthouse at dusk, waves breaking"


@dataclass
class Probed:
    """Where the bot process spent the burst: ``FairQueue.order`` calls and their CPU, the wall time of
    each ``JobStore.insert``, the longest event-loop stall a 10 ms heartbeat saw."""

    order_calls: int = 0
    order_seconds: float = 0.0
    inserts: list[float] = field(default_factory=list)
    max_stall: float = 0.0
    #: ``--phases``: wall seconds of each timed step before the ack, by name.
    phases: dict[str, list[float]] = field(default_factory=dict)

    def phase_note(self) -> str:
        return "; ".join(f"{name} ×{len(v)} p50 {pct(v, 50):,.0f} / p99 {pct(v, 99):,.0f} / max {pct(v, 100):,.0f} ms"
                         for name, v in self.phases.items())


@dataclass
class Result:
    platform: str
    commands: int
    users: int
    latencies: list[float]
    #: Acks later than ``DEADLINE`` (Discord: refused by the fake; Slack: would be retried by Slack).
    late: int
    #: Commands with no ack at all (Discord: no callback within ``--wait``; Slack: no 200).
    missing: int
    stored: int
    errors: int
    warnings: int
    wall: float
    probe: Probed
    notes: list[str] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``, in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1] * 1000


def stored_jobs(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])


async def settle(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def route(path: str) -> str:
    """``/channels/123/messages/456`` → ``/channels/{}/messages/{}`` (ids and tokens folded)."""
    parts = path.split("/")
    return "/".join("{}" if part.isdigit() or part.startswith("itok-") else part for part in parts)


def table(results: list[Result]) -> str:
    head = ("| platform | commands | users | p50 ms | p99 ms | max ms | late > 3 s | missing | jobs stored "
            "| ERROR lines | WARNING lines | burst wall s | `FairQueue.order` calls / CPU s "
            "| insert p50 / max ms | max loop stall ms |")
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    rows = [f"| {r.platform} | {r.commands} | {r.users} | {pct(r.latencies, 50):,.0f} | {pct(r.latencies, 99):,.0f} "
            f"| {pct(r.latencies, 100):,.0f} | {r.late} | {r.missing} | {r.stored} | {r.errors} | {r.warnings} "
            f"| {r.wall:.2f} | {r.probe.order_calls:,} / {r.probe.order_seconds:.2f} "
            f"| {pct(r.probe.inserts, 50):,.0f} / {pct(r.probe.inserts, 100):,.0f} "
            f"| {r.probe.max_stall * 1000:,.0f} |" for r in results]
    return "\n".join([head, rule, *rows])


def floor_handlers() -> None:
    """Diagnostic: ``/wan`` answered by a handler that only acknowledges (Slack: ``ack()``; Discord: a
    defer) — no parse, no store, no job. What remains is bolt / discord.py, aiohttp and the loop."""
    from adapters.discord.handlers import Handlers
    from adapters.slack.commands import SlashCommand

    async def slack_ack_only(self: SlashCommand, ack: Any, body: dict[str, Any], respond: Any, *_: Any) -> None:
        await ack()

    async def discord_defer_only(self: Handlers, interaction: Any, typed: Any, **_: Any) -> None:
        await interaction.response.defer(thinking=True)

    SlashCommand.__call__ = slack_ack_only  # type: ignore[method-assign,assignment]
    Handlers.video = discord_defer_only  # type: ignore[method-assign]
