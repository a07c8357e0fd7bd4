"""Ack latency for a burst of ``/wan video`` commands on Slack (HTTP mode) and Discord (issue 11, 5a).

**Default: apart** (``bench/acks_apart.py``). The bot under test runs in a process of its own —
``bench/ack_bot.py``: ``wanbot run``'s ``run_platforms``, configured through the environment like a
deployment, with nothing of the harness on its loop — DashScope is a ``wanbot sandbox`` process, and this
process holds only the load generator and the chat platform's fake. Slack latency is measured here at
the client (POST → HTTP response); Discord's is the fake's ``Callback.elapsed``. ERROR/WARNING lines are
the bot process's log records between the burst and the moment the harness stops it. Rows ``Slack floor``
/ ``Discord floor`` run the same bursts against a bot whose ``/wan`` handler only acknowledges. The
*engine alone* row always runs in this process (it has no platform to separate). ``--phases`` times the
steps before the ack inside the bot process (printed under the table).

**``--in-process``**: the old mode, kept for comparison — everything in this one process, on one event
loop, from the project's own parts, the way the test suite runs them (``tests/slack/conftest.py``,
``tests/discord/conftest.py``):

* **Slack**: the real runtime (``bot.runtime``) with the bot's HTTP server and the Slack adapter in HTTP
  mode, the fake Slack Web API (``tests/fakes/slack_server.py``) and a DashScope sandbox. ``--commands``
  signed ``/wan video`` POSTs to ``/slack/events`` are sent at once (bodies signed beforehand, one client
  session, no connection limit); a command's latency runs from just before its POST until its HTTP 200 (the
  ack) and body arrived. Afterwards: jobs stored (rows in the SQLite file), status messages posted.
* **Discord**: the real discord.py client (``adapters.discord.app.build``) against the fake Discord REST +
  gateway (``tests/fakes/discord_server.py``) and a sandbox. ``--commands`` ``/wan video`` interactions are
  dispatched over the gateway at once; a command's latency is the fake's own ``Callback.elapsed`` — from
  the interaction's creation (just before its dispatch) until its callback (the ack: wanbot answers with
  the status message) reached the fake. *Late* = over the fake's 3 s deadline (answered 10062 there),
  *missing* = no callback at all within ``--wait`` seconds.

Both: logging as ``wanbot run`` sets it up (``bot.logs.setup_logging``, INFO, written to a file under the
run's temporary directory), ERROR (and WARNING) records counted; the per-user cap is raised to the burst
size and the commands are spread over ``--users`` users (one run per value), so the engine accepts every
one. One warm-up command per run, before the burst, is not counted. During the burst the run also
records the time spent in ``FairQueue.order`` (through which every queue position is computed) and the
longest event-loop stall a 10 ms heartbeat saw. The client, the fakes and the sandbox share the bot's
event loop (as in the suite), so their own work is part of every figure; on a real deployment they are
other machines.

    python bench/acks.py                     # apart: 200 commands; 200 users, then 1; Slack, Discord, engine, floors
    python bench/acks.py --phases            # the same, with the steps before the ack timed in the bot process
    python bench/acks.py --quick             # 20 commands
    python bench/acks.py --platform discord --users 10
    python bench/acks.py --floor             # only the floors (a handler that only acks)
    python bench/acks.py --in-process        # the old one-loop mode (add --floor for its floor)

``--floor`` replaces wanbot's ``/wan`` handler by one that acknowledges at once and does nothing else (Slack:
``ack()``; Discord: a defer): no parse, no store, no job. What remains is bolt / discord.py, aiohttp, the
fakes and the loop they share — the part of every figure that is not wanbot's (diagnostic, not wanbot's
behaviour). Apart, Slack's floor goes through the same HTTP handler as ``/wan`` (the gate, then the
listener, answered at its ``ack()``).

Diagnostics (apart): ``ACK_BOT_PYSPY=DIR`` samples each bot process with py-spy (collapsed stacks);
``ACK_BOT_FLOOR_HTTP=1`` makes the bot's Slack handler answer 200 without any listener (aiohttp + the
client alone); ``--profile DIR`` writes a cProfile per bot process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import _root  # noqa: F401  (this checkout on sys.path: tests/ is not installed)
import acks_apart
import aiohttp
from acks_report import DEADLINE, PROMPT, Probed, Result, floor_handlers, route, settle, stored_jobs, table

from adapters.slack.app import EVENTS_PATH
from bot.logs import setup_logging
from bot.runtime import runtime
from bot.settings import Settings
from core.jobs import Requester
from core.port import ConversationRef
from core.request import GenerationRequest
from core.scheduler import FairQueue
from core.store import JobStore, jobstore
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.discord.conftest import KEY as DISCORD_KEY
from tests.discord.conftest import BotEnv
from tests.fakes.discord_fake.payloads import User, snowflake
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.port import RecordingPort
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import SlackBot, sign, slack_settings


class LogCounter(logging.Handler):
    """Counts WARNING and ERROR records (any logger) and keeps the first few ERROR lines."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.warnings = 0
        self.errors = 0
        self.first_errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors += 1
            if len(self.first_errors) < 3:
                self.first_errors.append(f"{record.name}: {record.getMessage()}"[:200])
        else:
            self.warnings += 1

    def reset(self) -> None:
        self.warnings = self.errors = 0
        self.first_errors = []


class Probe(Probed):
    """Where the burst's time went, wrapped for the run only: CPU inside ``FairQueue.order`` (every queue
    position the engine computes goes through it), the wall time of each ``JobStore.insert`` (the one
    write before the ack) and how late a 10 ms heartbeat woke (the longest event-loop stall)."""

    def __init__(self) -> None:
        super().__init__()
        self._original = FairQueue.order
        self._insert = JobStore.insert
        self._beat: asyncio.Task[None] | None = None

    def start(self) -> None:
        original, insert = self._original, self._insert

        async def timed_insert(store: JobStore, *args: Any, **kwargs: Any) -> None:
            t0 = time.perf_counter()
            try:
                await insert(store, *args, **kwargs)
            finally:
                self.inserts.append(time.perf_counter() - t0)

        JobStore.insert = timed_insert  # type: ignore[method-assign,assignment]

        def timed(queue: FairQueue) -> list[str]:
            t0 = time.perf_counter()
            try:
                return original(queue)
            finally:
                self.order_calls += 1
                self.order_seconds += time.perf_counter() - t0

        FairQueue.order = timed  # type: ignore[method-assign,assignment]
        self._beat = asyncio.create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.max_stall = max(self.max_stall, time.perf_counter() - t0 - 0.01)

    async def stop(self) -> None:
        FairQueue.order = self._original  # type: ignore[method-assign]
        JobStore.insert = self._insert  # type: ignore[method-assign]
        if self._beat is not None:
            self._beat.cancel()
            await asyncio.gather(self._beat, return_exceptions=True)


# -- Slack ---------------------------------------------------------------------------------------------


async def run_slack(commands: int, users: int, speed: float, wait: float, tmp: Path, logs: LogCounter) -> Result:
    fake = FakeSlack()
    await fake.start()
    async with Sandbox(SandboxConfig(speed=speed, seed=7)) as sandbox:
        settings = slack_settings(tmp, fake, sandbox, per_user_cap=commands, poll_interval=1.0)
        bot = SlackBot(settings, fake, sandbox)
        await bot.start()
        try:
            # One command first (not counted): bolt's and the adapter's first-call costs stay out of the burst.
            status, _ = await bot.command(f"video {PROMPT} (warm-up)", user="U_WARMUP")
            assert status == 200
            await settle(lambda: len(bot.status_messages()) >= 1, wait)
            url = bot.url + EVENTS_PATH
            now = int(time.time())
            requests = []
            for i in range(commands):
                body = bot.command_body(f"video {PROMPT} #{i}", user=f"U{i % users:04d}")
                requests.append((body.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                                 **sign(body, now)}))
            latencies: list[float] = []
            statuses: list[int] = []
            ack_texts = 0
            logs.reset()
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:

                async def one(data: bytes, headers: dict[str, str]) -> None:
                    nonlocal ack_texts
                    t0 = time.perf_counter()
                    async with session.post(url, data=data, headers=headers) as response:
                        text = await response.text()
                    latencies.append(time.perf_counter() - t0)
                    statuses.append(response.status)
                    if response.status == 200 and '"text"' in text:
                        ack_texts += 1  # answered in the ack itself: a refusal or an error sentence

                probe = Probe()
                probe.start()
                calls_before = len(fake.calls)
                started = time.perf_counter()
                await asyncio.gather(*(one(d, h) for d, h in requests))
                wall = time.perf_counter() - started
                await probe.stop()
                during = Counter(c.method for c in fake.calls[calls_before:])
            # Let the engine post the status messages of the burst (what follows the ack).
            await settle(lambda: len(bot.status_messages()) >= commands + 1, wait)
            posted = max(0, len(bot.status_messages()) - 1)  # less the warm-up (none under --floor)
            stored = max(0, stored_jobs(tmp / "wanbot.db") - 1)
            errors, warnings, first = logs.errors, logs.warnings, list(logs.first_errors)
        finally:
            await bot.stop()
            await fake.close()
    ok = [lat for lat, status in zip(latencies, statuses, strict=True) if status == 200]
    bad = sorted((status, lat) for lat, status in zip(latencies, statuses, strict=True) if status != 200)
    notes = [f"Slack ({users} users): {posted}/{commands} status messages posted within {wait:g} s after the "
             f"burst; {ack_texts} acks carried a sentence (refusal/error); not 200: {len(bad)}"
             + (f" ({', '.join(f'{s} after {lat * 1000:,.0f} ms' for s, lat in bad[:5])}"
                f"{', …' if len(bad) > 5 else ''}) — yet {max(0, stored - len(ok))} more jobs stored than acked"
                if bad else ""),
             f"Slack ({users} users): Web API calls while the acks were outstanding: "
             + (", ".join(f"{n} {m}" for m, n in during.most_common()) or "none")]
    notes += [f"Slack ERROR: {line}" for line in first]
    return Result("Slack", commands, users, ok, sum(1 for lat in ok if lat > DEADLINE), commands - len(ok),
                  stored, errors, warnings, wall, probe, notes)


# -- Discord -------------------------------------------------------------------------------------------


async def run_discord(commands: int, users: int, speed: float, wait: float, tmp: Path,
                      logs: LogCounter) -> Result:
    async with contextlib.AsyncExitStack() as stack:
        fake = await stack.enter_async_context(FakeDiscord(interaction_deadline=DEADLINE))
        sandbox = await stack.enter_async_context(Sandbox(SandboxConfig(speed=speed, api_key=DISCORD_KEY)))
        env = BotEnv(tmp, fake, sandbox, {"per_user_cap": commands, "poll_interval": 1.0})
        bot = await env.start()
        try:
            people = [User(snowflake(), f"user{i:04d}") for i in range(users)]
            # One command first (not counted), as on Slack.
            warm = await fake.slash(User(snowflake(), "warmup"), "video", prompt=f"{PROMPT} (warm-up)")
            await settle(lambda: fake.response_to(warm) is not None, wait)
            logs.reset()
            probe = Probe()
            probe.start()
            requests_before = len(fake.requests)
            started = time.perf_counter()
            inters = await asyncio.gather(*(
                fake.slash(people[i % users], "video", prompt=f"{PROMPT} #{i}") for i in range(commands)))
            dispatched = time.perf_counter() - started
            await settle(lambda: all(fake.response_to(x) is not None for x in inters), wait)
            wall = time.perf_counter() - started
            await probe.stop()
            during = Counter(f"{m} {route(path)}" for m, path, _ in fake.requests[requests_before:])
            callbacks = [fake.response_to(x) for x in inters]
            latencies = [c.elapsed for c in callbacks if c is not None]
            # What the late ones turned into: the engine falls back to a channel post (a WARNING each).
            await settle(lambda: stored_jobs(tmp / "wanbot.db") >= commands + 1, 2.0)
            await asyncio.sleep(1.0)
            stored = max(0, stored_jobs(tmp / "wanbot.db") - 1)
            errors, warnings, first = logs.errors, logs.warnings, list(logs.first_errors)
            channel_posts = sum(1 for m in fake.messages.values() if m.via == "channel" and m.embeds)
        finally:
            await bot.stop()
    notes = [f"Discord ({users} users): all {commands} dispatched in {dispatched * 1000:.0f} ms; "
             f"{channel_posts} status messages posted in the channel instead (after a failed response)",
             f"Discord ({users} users): REST calls until the last callback: "
             + (", ".join(f"{n} {r}" for r, n in during.most_common()) or "none")]
    notes += [f"Discord ERROR: {line}" for line in first]
    return Result("Discord", commands, users, latencies, sum(1 for lat in latencies if lat > DEADLINE),
                  commands - len(latencies), stored, errors, warnings, wall, probe, notes)


# -- the engine alone -----------------------------------------------------------------------------------


async def run_engine(commands: int, users: int, speed: float, wait: float, tmp: Path, logs: LogCounter) -> Result:
    """``Engine.accept`` × ``commands`` at once, through the same runtime, with a recording port: no chat
    platform, no HTTP — what the store and the engine alone cost before an ack can be sent."""
    async with Sandbox(SandboxConfig(speed=speed, seed=7)) as sandbox:
        settings = Settings(database_url=f"sqlite:///{tmp}/wanbot.db", workdir=tmp / "work",
                            dashscope_api_key="sk-bench", dashscope_base_url=sandbox.base_url,
                            per_user_cap=commands, poll_interval=1.0)
        port = RecordingPort(platform="bench")
        async with runtime(settings, {"bench": port}) as rt:
            request = GenerationRequest.build(prompt=PROMPT)
            conversation = ConversationRef("bench", "C1", "W1")

            def requester(name: str) -> Requester:
                return Requester("bench", name, "C1", "W1")

            await rt.engine.accept(requester("warmup"), conversation, request)
            await settle(lambda: len(port.posts) >= 1, wait)
            latencies: list[float] = []
            logs.reset()

            async def one(i: int) -> None:
                t0 = time.perf_counter()
                await rt.engine.accept(requester(f"u{i % users}"), conversation, request)
                latencies.append(time.perf_counter() - t0)

            probe = Probe()
            probe.start()
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(commands)))
            wall = time.perf_counter() - started
            await probe.stop()
            await settle(lambda: len(port.posts) >= commands + 1, wait)
            posted = len(port.posts) - 1
            stored = stored_jobs(tmp / "wanbot.db") - 1
            errors, warnings = logs.errors, logs.warnings
    notes = [f"Engine alone ({users} users): {posted}/{commands} status messages posted to the recording port"]
    return Result("engine alone", commands, users, latencies, sum(1 for lat in latencies if lat > DEADLINE),
                  commands - len(latencies), stored, errors, warnings, wall, probe, notes)


# -- report --------------------------------------------------------------------------------------------


def limit_sqlite_pool(size: int) -> None:
    """What-if (diagnostic only, not wanbot's behaviour): give every store a pool of ``size`` SQLite
    connections and no overflow, so writers queue on asyncio instead of in SQLite's busy handler."""
    original = jobstore.create_async_engine  # type: ignore[attr-defined]

    def make(url: Any, **kwargs: Any) -> Any:
        if "poolclass" not in kwargs:
            kwargs.update(pool_size=size, max_overflow=0)
        return original(url, **kwargs)

    jobstore.create_async_engine = make  # type: ignore[attr-defined]


async def main_async(args: argparse.Namespace) -> list[Result]:
    if args.sqlite_pool:
        limit_sqlite_pool(args.sqlite_pool)
    if args.floor and args.in_process:
        floor_handlers()
    base = Path(tempfile.mkdtemp(prefix="wanbot-bench-acks-"))
    setup_logging("INFO")
    root = logging.getLogger()
    log_file = (base / "wanbot.log").open("a", encoding="utf-8")
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    counter = LogCounter()
    root.addHandler(counter)
    results: list[Result] = []
    try:
        for users in args.users:
            for platform in args.platform:
                tmp = base / f"{platform}-{users}"
                tmp.mkdir()
                if platform == "engine" or args.in_process:
                    runner = {"slack": run_slack, "discord": run_discord, "engine": run_engine}[platform]
                    results.append(await runner(args.commands, users, args.speed, args.wait, tmp, counter))
                    continue
                apart = {"slack": acks_apart.run_slack, "discord": acks_apart.run_discord}[platform.split("-")[0]]
                floor = platform.endswith("-floor") or args.floor
                profile = args.profile / f"{platform}-{users}.prof" if args.profile else None
                results.append(await apart(args.commands, users, args.speed, min(args.wait, 2.0) if floor
                                           else args.wait, tmp, floor=floor, profile=profile, phases=args.phases))
    finally:
        root.removeHandler(counter)
        log_file.close()
    print(f"logs: {base / 'wanbot.log'}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200, help="commands in the burst (default 200)")
    parser.add_argument("--users", default="200,1",
                        help="distinct users, comma-separated for one run each (default 200,1; capped at --commands)")
    parser.add_argument("--platform", choices=("slack", "discord", "engine", "slack-floor", "discord-floor"),
                        action="append",
                        help="run only this platform (repeatable; default: slack, discord, engine and, apart, the "
                             "two floors; engine: Engine.accept alone, no chat platform, always in this process; "
                             "*-floor: that platform with --floor's handler)")
    parser.add_argument("--phases", action="store_true",
                        help="apart: time the steps before each ack in the bot process (parse, defaults read, "
                             "member check, store) and print them under the table")
    parser.add_argument("--in-process", action="store_true",
                        help="the old mode: bot, fakes, sandbox and client on this process's one event loop")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="apart: write a cProfile of each bot process into DIR")
    parser.add_argument("--speed", type=float, default=12.0,
                        help="sandbox speed (default 12, wanbot's own sandbox default)")
    parser.add_argument("--wait", type=float, default=15.0,
                        help="seconds to wait for the last ack / status post after the burst")
    parser.add_argument("--floor", action="store_true",
                        help="diagnostic: a /wan handler that only acknowledges (the libraries' and fakes' floor)")
    parser.add_argument("--quick", action="store_true", help="20 commands (a smoke run)")
    parser.add_argument("--sqlite-pool", type=int, default=0, metavar="N",
                        help="what-if, not wanbot's behaviour: N pooled SQLite connections, no overflow "
                             "(default: SQLAlchemy's own pool, 5 + 10 overflow)")
    args = parser.parse_args()
    if args.quick:
        args.commands = min(args.commands, 20)
    if args.floor:
        args.wait = min(args.wait, 2.0)  # no job, no status message will come: do not wait for one
    args.users = list(dict.fromkeys(min(int(u), args.commands) for u in args.users.split(",")))
    if args.in_process and any(p.endswith("-floor") for p in args.platform or []):
        parser.error("in process, --floor patches the one process: use --in-process --floor")
    args.platform = args.platform or (["slack", "discord", "engine"] if args.in_process or args.floor
                                      else ["slack", "discord", "engine", "slack-floor", "discord-floor"])
    if args.floor:
        args.platform = [p for p in args.platform if p != "engine"]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()
    results = asyncio.run(main_async(args))
    print(f"# ack latency, {args.commands} concurrent `/wan video` ({started}; "
          f"{os.cpu_count()} CPUs, load before {load[0]:.2f}/{load[1]:.2f} after {os.getloadavg()[0]:.2f}, "
          f"sandbox speed {args.speed:g}"
          + (f", WHAT-IF SQLite pool {args.sqlite_pool}" if args.sqlite_pool else "")
          + (", FLOOR: the handler only acknowledges" if args.floor else "")
          + (", IN PROCESS: bot, fakes, sandbox and client on one loop" if args.in_process
             else ", APART: the bot in its own process, the fakes and the client in this one, the sandbox in a "
                  "third") + ")\n")
    print(table(results))
    print()
    for r in results:
        for note in r.notes:
            print(f"- {note}")
        if r.probe.phases:
            print(f"- {r.platform} ({r.users} users) phases: {r.probe.phase_note()}")


if __name__ == "__main__":
    main()
