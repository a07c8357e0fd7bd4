"""Queue positions with Q jobs queued: the cost of ``FairQueue.positions()`` and of one freed slot.

Two measurements per Q (default 10, 100, 500, 1,000):

1. ``core.scheduler.FairQueue.positions()`` on a queue of Q jobs from U users (U = Q by default: a burst
   in a channel, one job per person; ``--users`` sets a fixed U instead): wall time per call (median of
   ``--repeats``).
2. One freed DashScope slot in a real ``core.engine.Engine`` (SQLite store in a temp dir, the scripted
   ``tests.fakes.dashscope.FakeDashScope`` on the real clock, a counting chat port): one job holds the only
   slot (``max_in_flight=1``, PENDING), Q jobs wait behind it with their status messages already posted;
   then that job is cancelled (``Engine.cancel`` → ``_pump`` → ``_show_positions``), so the head of the
   line takes the slot and every other queued job moves up one place. Counted: status edits made, calls
   of ``positions()``, store writes, CPU (``time.process_time``) and wall time until ``cancel`` returns.
   A second row: one pump when nothing moved (what ``_slot_polling`` does every second while jobs wait).

The Q waiting jobs are stored through ``JobStore.insert`` and put in the book and the queue the way
``Engine._store_new`` does, with their status message marked as posted (``status_ref``, ``shown_state``):
building the line through ``accept`` costs O(Q³) itself today and would dominate the run. The engine's
housekeeping and slot polling are set to an hour so nothing else runs during the measurement.
``--slot-timeout`` cuts a freed slot that takes too long and reports how far it got.

    python bench/positions.py [--q 10,100,500,1000] [--users 0] [--repeats 5] [--slot-timeout 600]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import _root  # noqa: F401  (this checkout on sys.path: tests/ is not installed)

from core.dashscope import TaskStatus
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.jobbook import STATUS_POST_STARTED
from core.jobs import Job, JobState, Requester, new_job_id
from core.messages import Messages
from core.port import ConversationRef, MessageRef, StatusView

try:
    from core.port import EditBudget
except ImportError:  # an older checkout (the "before" run): its engine asks no port for a budget
    EditBudget = None  # type: ignore[assignment,misc]
from core.request import GenerationRequest
from core.scheduler import FairQueue
from core.store import JobStore
from tests.fakes.dashscope import FakeDashScope


@dataclass
class CountingPort:
    """A ``ChatPort`` that counts posts and edits (and which state each edit showed)."""

    platform: str = "bench"
    posts: int = 0
    edits: int = 0
    queued_edits: int = 0
    _next: int = 0

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        self._next += 1
        self.posts += 1
        return MessageRef(conversation, f"p{self._next}")

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        self.edits += 1
        if view.state == JobState.QUEUED.value:
            self.queued_edits += 1

    def edit_budget(self, ref: MessageRef) -> Any:
        # No platform limit here: this measures how many messages a freed slot re-renders.
        return EditBudget("bench", 1e9, 10**9)

    async def upload_video(self, conversation: ConversationRef, path: Path, *, filename: str, size: int,
                           caption: str, reply_to: MessageRef | None, requester: object = None) -> MessageRef:
        raise AssertionError("nothing is delivered in this bench")

    async def upload_images(self, conversation: ConversationRef, paths: object, *, caption: str,
                            reply_to: MessageRef | None, requester: object = None) -> MessageRef:
        raise AssertionError("nothing is delivered in this bench")

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        return MessageRef(conversation, "notice")

    async def delete_message(self, ref: MessageRef) -> None:
        return None

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        return None

    async def find_upload(self, conversation: ConversationRef, *, filename: str,
                          reply_to: MessageRef | None) -> MessageRef | None:
        return None

    async def upload_limit(self, conversation: ConversationRef) -> int:
        return 100 * 1024 * 1024

    async def message_link(self, ref: MessageRef) -> str | None:
        return None

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        return None  # no threads here


def user_of(i: int, users: int) -> str:
    return f"u{i % users}" if users else f"u{i}"


def time_positions(q: int, users: int, repeats: int) -> float:
    """Median seconds of one ``FairQueue.positions()`` over Q jobs."""
    queue = FairQueue()
    for i in range(q):
        queue.push(f"j{i}", user_of(i, users))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        got = queue.positions()
        samples.append(time.perf_counter() - t0)
        assert len(got) == q
    return statistics.median(samples)


@dataclass
class SlotResult:
    q: int
    edits: int = 0
    queued_edits: int = 0
    moved: int = 0
    positions_calls: int = 0
    store_saves: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    cut: bool = False
    idle_calls: int = 0
    idle_edits: int = 0
    idle_cpu: float = 0.0
    notes: list[str] = field(default_factory=list)


class Counted:
    """Wraps a bound method, counting calls."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)


async def one_freed_slot(q: int, users: int, timeout: float) -> SlotResult:
    res = SlotResult(q=q)
    tmp = Path(tempfile.mkdtemp(prefix="wanbot-positions-"))
    store = await JobStore.open(f"sqlite:///{tmp}/jobs.db")
    api = FakeDashScope(time.time, script=(TaskStatus.PENDING,))  # stays PENDING: cancellable
    port = CountingPort()
    config = EngineConfig(max_in_flight=1, per_user_cap=q + 1, poll_interval=3600.0,
                          housekeeping_interval=3600.0, slot_poll_interval=3600.0, replica_id="bench")
    engine = Engine(store=store, client=api, ports={"bench": port},
                    delivery=Delivery(api, workdir=tmp / "work", fit=_no_fit, messages=Messages()),
                    clock=time.time, config=config)
    await engine.start()
    try:
        holder = await engine.submit(Requester("bench", "holder", "c1", "w1"),
                                     ConversationRef("bench", "c1", "w1"),
                                     GenerationRequest.build(prompt="the job holding the slot"))
        for _ in range(2000):  # until its create is settled (PENDING): a bound, not a timing
            job = engine.peek(holder.id)
            if job is not None and job.state is JobState.PENDING:
                break
            await asyncio.sleep(0.005)
        else:
            raise RuntimeError("the slot holder never reached PENDING")
        # The line: Q jobs stored as accept stores them, their first status post already made.
        now = engine.now()
        for i in range(q):
            conv = ConversationRef("bench", f"c{i % 10}", "w1")
            job = Job(
                id=new_job_id(), requester=Requester("bench", user_of(i, users), conv.channel_id, "w1"),
                conversation=conv, request=GenerationRequest.build(prompt=f"queued #{i}"),
                state=JobState.QUEUED, created_at=now, state_times={JobState.QUEUED.value: now}, updated_at=now,
                reserved_seconds=5.0, lease_owner=config.replica_id, lease_until=engine.replica.lease_until(now),
                extra={STATUS_POST_STARTED: True}, status_ref=MessageRef(conv, f"m{i}"),
                shown_state=JobState.QUEUED.value,
            )
            job = replace(job, reserved_cost=job.request.estimated_cost({}))
            engine.book.arriving(job.id)
            await store.insert(job)
            engine.book.accepted(job)
            engine.book._fresh.discard(job.id)  # its message exists: no "look for it first" path
            engine.queue.push(job.id, job.requester.user_key)
        engine._shown_position.update(engine.queue.positions())
        before = dict(engine._shown_position)

        # Count positions() and store writes from here on.
        counted = Counted(engine.queue.positions)
        engine.queue.positions = counted  # type: ignore[method-assign]
        saves = Counted(store.save)
        store.save = saves  # type: ignore[method-assign]

        # One pump with nothing moved (what slot polling does each second while jobs wait).
        port.edits = port.queued_edits = 0
        c0 = time.process_time()
        await engine._pump()
        res.idle_cpu = time.process_time() - c0
        res.idle_calls, res.idle_edits = counted.calls, port.edits
        counted.calls = saves.calls = port.edits = port.queued_edits = 0

        # The freed slot.
        c0, w0 = time.process_time(), time.perf_counter()
        try:
            outcome = await asyncio.wait_for(engine.cancel(holder.id), timeout=timeout)
            if outcome.value != "cancelled":
                res.notes.append(f"cancel said {outcome.value}")
        except TimeoutError:
            res.cut = True
        res.cpu = time.process_time() - c0
        res.wall = time.perf_counter() - w0
        res.edits, res.queued_edits = port.edits, port.queued_edits
        res.positions_calls, res.store_saves = counted.calls, saves.calls
        after = counted.fn()
        res.moved = sum(1 for j, p in after.items() if before.get(j) != p)
    finally:
        await engine.stop()
        await store.close()
    return res


async def _no_fit(src: Path, dest: Path, *, max_bytes: int) -> object:
    raise AssertionError("nothing is delivered in this bench")


# -- the 200-command burst: status edits against Slack's and Discord's edit limits ----------------------

#: What each platform enforces (checked here, whatever the port declares): edits per window per bucket.
PLATFORM_LIMITS = {"slack": (50, 60.0), "discord": (5, 5.0)}


def budget_for(platform: str) -> Callable[[MessageRef], Any] | None:
    """The port's own declared budget (``adapters.*.port``), or ``None`` on a checkout without one."""
    try:
        if platform == "slack":
            from adapters.slack.port import slack_edit_budget
            return slack_edit_budget
        from adapters.discord.port import discord_edit_budget
        return discord_edit_budget
    except ImportError:
        return None


def bucket_of(platform: str, ref: MessageRef) -> str:
    """Which limit an edit counts against on the real platform: Slack's workspace, Discord's channel."""
    conv = ref.conversation
    return conv.workspace_id or "" if platform == "slack" else conv.thread_id or conv.channel_id


@dataclass
class BurstPort(CountingPort):
    """Records when every edit reached the platform (virtual time), by the platform's limit bucket."""

    clock: Callable[[], float] = time.time
    times: dict[str, list[float]] = field(default_factory=dict)
    last: dict[str, StatusView] = field(default_factory=dict)

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        self.last[view.job_id] = view
        return await super().post_status(conversation, view)

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        await super().edit_status(ref, view)
        self.last[view.job_id] = view
        self.times.setdefault(bucket_of(self.platform, ref), []).append(self.clock())

    def edit_budget(self, ref: MessageRef) -> Any:
        declared = budget_for(self.platform)
        return declared(ref) if declared is not None else None

    async def upload_video(self, conversation: ConversationRef, path: Path, *, filename: str, size: int,
                           caption: str, reply_to: MessageRef | None, requester: object = None) -> MessageRef:
        self._next += 1
        return MessageRef(conversation, f"u{self._next}")


def most_in_window(times: list[float], window: float) -> int:
    """The most edits any ``window`` seconds held (windows starting at each edit; ``times`` sorted)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def over_limit(times: list[float], limit: int, window: float) -> int:
    """Edits the platform would have refused: each one that made its trailing ``window`` hold more than
    ``limit`` (``times`` sorted)."""
    over, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        over += end - start + 1 > limit
    return over


@dataclass
class BurstResult:
    platform: str
    jobs: int
    edits_30s: int = 0
    edits_total: int = 0
    worst_window: int = 0
    worst_minute: int = 0
    over_limit: int = 0
    drained_at: float | None = None
    final_shown: int = 0
    cpu: float = 0.0


async def one_burst(platform: str, jobs: int, channels: int, horizon: float) -> BurstResult:
    from tests.fakes.clock import FakeClock
    from tests.fakes.until import until

    clock = FakeClock()
    clock.start()
    res = BurstResult(platform, jobs)
    tmp = Path(tempfile.mkdtemp(prefix="wanbot-burst-"))
    store = await JobStore.open(f"sqlite:///{tmp}/jobs.db")
    # About 12 s a task: PENDING for 3 polls, RUNNING for 8, then done (1 s polls).
    api = FakeDashScope(clock, script=(TaskStatus.PENDING,) * 3 + (TaskStatus.RUNNING,) * 8 + (TaskStatus.SUCCEEDED,))
    port = BurstPort(platform=platform, clock=clock)
    # (The script counts polls: plain 1 s polling keeps "about 12 s a task"; core.polling is bench/detection.py's.)
    config = EngineConfig(max_in_flight=5, per_user_cap=1, replica_id="bench", create_retry_delay=2.0,
                          predictive_polling=False)
    engine = Engine(store=store, client=api, ports={platform: port},
                    delivery=Delivery(api, workdir=tmp / "work", fit=_no_fit, messages=Messages()),
                    clock=clock, sleep=clock.sleep, config=config)
    await engine.start()
    c0 = time.process_time()
    t0 = clock()
    try:
        workspace = "T1" if platform == "slack" else "1001"
        await asyncio.gather(*(
            engine.accept(Requester(platform, f"{100 + i}", f"{2000 + i % channels}", workspace),
                          ConversationRef(platform, f"{2000 + i % channels}", workspace),
                          GenerationRequest.build(prompt=f"burst #{i}"))
            for i in range(jobs)))

        def drained() -> bool:
            done = [v for v in port.last.values() if v.terminal]
            return len(done) == jobs and all(j.state.terminal for j in engine.book)

        with contextlib.suppress(AssertionError):  # not drained within the horizon: reported as such
            await until(lambda: drained() or clock() - t0 > horizon, clock=clock, timeout=900.0, steps=10**7)
        if drained():
            res.drained_at = clock() - t0
    finally:
        res.cpu = time.process_time() - c0
        await engine.stop()
        await store.close()
        await clock.stop()
    limit, window = PLATFORM_LIMITS[platform]
    all_times = sorted(t for ts in port.times.values() for t in ts)
    res.edits_total = len(all_times)
    res.edits_30s = sum(1 for t in all_times if t - t0 < 30.0)
    for ts in port.times.values():
        ts.sort()
        res.worst_window = max(res.worst_window, most_in_window(ts, window))
        res.worst_minute = max(res.worst_minute, most_in_window(ts, 60.0))
        res.over_limit += over_limit(ts, limit, window)
    res.final_shown = sum(1 for v in port.last.values() if v.terminal)
    return res


def burst_main(jobs: int, channels: int, horizon: float) -> None:
    print(f"{jobs}-command burst, {channels} channels, 5 in flight, ~12 s tasks (virtual clock), "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print()
    print("| platform | limit | status edits in the first 30 s | edits in all | most per bucket in its window "
          "| edits over the limit | most per bucket per minute | drained (virtual) | final state shown | CPU |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for platform in ("slack", "discord"):
        r = asyncio.run(one_burst(platform, jobs, channels, horizon))
        limit, window = PLATFORM_LIMITS[platform]
        scope = "workspace" if platform == "slack" else "channel"
        drained = f"{r.drained_at:.0f} s" if r.drained_at is not None else f"no (cut at {horizon:g} s)"
        print(f"| {platform} | {limit} / {window:g} s per {scope} | {r.edits_30s:,} | {r.edits_total:,} | "
              f"{r.worst_window:,} | {r.over_limit:,} | {r.worst_minute:,} | {drained} | "
              f"{r.final_shown}/{r.jobs} | {r.cpu:.1f} s |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--q", default="10,100,500,1000", help="queue depths, comma-separated")
    parser.add_argument("--quick", action="store_true", help="Q = 10,100,300")
    parser.add_argument("--users", type=int, default=0, help="distinct users in the line (0 = one per job)")
    parser.add_argument("--repeats", type=int, default=5, help="positions() calls timed per Q")
    parser.add_argument("--slot-timeout", type=float, default=600.0, help="cut one freed slot after this")
    parser.add_argument("--burst", action="store_true",
                        help="the 200-command burst on Slack and Discord instead: status edits against limits")
    parser.add_argument("--jobs", type=int, default=200, help="--burst: commands in the burst")
    parser.add_argument("--channels", type=int, default=10, help="--burst: channels they come from")
    parser.add_argument("--horizon", type=float, default=3600.0, help="--burst: virtual seconds to run at most")
    args = parser.parse_args()
    if args.burst:
        logging.basicConfig(level=logging.ERROR)
        burst_main(args.jobs, args.channels, args.horizon)
        return
    depths = [10, 100, 300] if args.quick else [int(x) for x in args.q.split(",")]
    logging.basicConfig(level=logging.WARNING)
    users = "one per job" if not args.users else str(args.users)
    print(f"queue positions, users: {users}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print()
    print("| Q | positions() median | freed slot: status edits (queued) | jobs moved | positions() calls | "
          "store writes | CPU | wall | CPU per moved job | idle pump: positions() calls / edits / CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for q in depths:
        pos = time_positions(q, args.users, args.repeats)
        slot = asyncio.run(one_freed_slot(q, args.users, args.slot_timeout))
        cut = f" **(cut at {args.slot_timeout:g} s)**" if slot.cut else ""
        per = slot.cpu / slot.queued_edits * 1000 if slot.queued_edits else 0.0
        print(f"| {q:,} | {pos * 1000:.2f} ms | {slot.edits:,} ({slot.queued_edits:,}){cut} | {slot.moved:,} | "
              f"{slot.positions_calls:,} | {slot.store_saves:,} | {slot.cpu:.2f} s | {slot.wall:.2f} s | "
              f"{per:.1f} ms | {slot.idle_calls} / {slot.idle_edits} / {slot.idle_cpu * 1000:.1f} ms |"
              + (" " + "; ".join(slot.notes) if slot.notes else ""), flush=True)


if __name__ == "__main__":
    main()
