"""One process, thousands of jobs through the whole engine: peak RSS, CPU per job, drain time, exactly-once.

Builds ``core.engine.Engine`` in-process over a real SQLite store in a temp dir, with the scripted
``tests.fakes.dashscope.FakeDashScope`` on the real clock (each task answers PENDING, RUNNING, RUNNING,
SUCCEEDED to successive queries and "downloads" a 2 KB file) and a cheap counting chat port (no bytes
kept). The watcher's query budget and poll interval are lifted so DashScope is never the bottleneck: what
is measured is the engine's own cost (store, queue, status rendering, delivery plumbing). Jobs are sent
through ``Engine.accept`` by ``--concurrency`` submitters as fast as the engine takes them (not at a
console's typing speed), spread over ``--users`` users in 10 channels.

Status edits: the port declares the edit limit a real port does (``--edits discord``, the default since
session 3: 0.4 edits/s + a burst of 3 per channel, as ``adapters/discord/port.py``; ``--edits slack``: 40/min
+ 10 per workspace), so ``core.edits`` coalesces them as it would in production and a message shows its
newest state when its turn comes. ``--edits unlimited`` (the only mode before session 3) makes every edit
the engine asks for: ~20 per job with 5,000 queued, most of them queue-position moves no platform would
accept that fast. The table says how many edits were still waiting for the budget at the end.

    python bench/scale.py [--jobs 5000] [--quick] [--users 50] [--in-flight 50] [--concurrency 50]
                          [--window 0] [--edits discord|slack|unlimited] [--time-limit 900]

Peak RSS is ``VmHWM`` from /proc/self/status (whole process, includes the interpreter and imports); CPU
is ``time.process_time()`` (user + system, all threads, so aiosqlite's thread counts too). Nothing here
touches the network.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _root  # noqa: F401  (this checkout on sys.path: tests/ is not installed)

from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.jobbook import display_state
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef, EditBudget, MessageRef, StatusView
from core.request import GenerationRequest
from core.store import JobStore
from tests.fakes.dashscope import FakeDashScope

#: The edit limits the real ports declare (``ChatPort.edit_budget``), copied here so the bench need not
#: import discord/slack: Discord 0.4/s + a burst of 3 per channel (adapters/discord/port.py), Slack 40/min +
#: 10 per workspace (adapters/slack/port.py). The bench spreads its jobs over 10 channels of one workspace.
EDIT_LIMITS: dict[str, tuple[float, int, str] | None] = {
    "discord": (0.4, 3, "channel"),
    "slack": (40 / 60, 10, "workspace"),
    "unlimited": None,
}


def vm_kb(field_name: str) -> int:
    """A ``Vm*`` line of /proc/self/status, in kB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class CountingPort:
    """A ``ChatPort`` that only counts: posts and edits per job, uploads per file name."""

    platform: str = "bench"
    posts: collections.Counter[str] = field(default_factory=collections.Counter)
    edits: collections.Counter[str] = field(default_factory=collections.Counter)
    uploads: collections.Counter[str] = field(default_factory=collections.Counter)
    #: Where each job's (latest) status message is and each upload went: what a real port finds again.
    status_refs: dict[str, MessageRef] = field(default_factory=dict)
    upload_refs: dict[str, MessageRef] = field(default_factory=dict)
    finds: int = 0
    #: (per second, burst, "channel" | "workspace"): the real port's declared edit limit; ``None``: none.
    edit_limit: tuple[float, int, str] | None = None
    _next: int = 0

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        self._next += 1
        self.posts[view.job_id] += 1
        ref = self.status_refs[view.job_id] = MessageRef(conversation, f"m{self._next}")
        return ref

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        self.edits[view.job_id] += 1

    def edit_budget(self, ref: MessageRef) -> EditBudget:
        if self.edit_limit is None:
            return EditBudget("bench", 1e9, 10**9)  # --edits unlimited: every edit the engine asks for is made
        rate, burst, per = self.edit_limit
        key = ref.conversation.channel_id if per == "channel" else (ref.conversation.workspace_id or "-")
        return EditBudget(f"bench:{key}", rate, burst)

    async def upload_video(self, conversation: ConversationRef, path: Path, *, filename: str, size: int,
                           caption: str, reply_to: MessageRef | None, requester: object = None) -> MessageRef:
        self._next += 1
        self.uploads[filename] += 1
        ref = self.upload_refs[filename] = MessageRef(conversation, f"u{self._next}")
        return ref

    async def upload_images(self, conversation: ConversationRef, paths: object, *, caption: str,
                            reply_to: MessageRef | None, requester: object = None) -> MessageRef:
        raise AssertionError("no image jobs in this bench")

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        return MessageRef(conversation, "notice")

    async def delete_message(self, ref: MessageRef) -> None:
        return None

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        self.finds += 1
        return self.status_refs.get(job_id)

    async def find_upload(self, conversation: ConversationRef, *, filename: str,
                          reply_to: MessageRef | None) -> MessageRef | None:
        self.finds += 1
        return self.upload_refs.get(filename)

    async def upload_limit(self, conversation: ConversationRef) -> int:
        return 100 * 1024 * 1024

    async def message_link(self, ref: MessageRef) -> str | None:
        return None

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        return None  # no threads here


async def never_fit(src: Path, dest: Path, *, max_bytes: int) -> object:
    raise AssertionError("a 2 KB video never needs fitting")


@dataclass
class Result:
    jobs: int
    submitted: int = 0
    finished: int = 0
    states: collections.Counter[str] = field(default_factory=collections.Counter)
    submit_wall: float = 0.0
    drain_wall: float = 0.0
    cpu_submit: float = 0.0
    cpu_total: float = 0.0
    rss_start_kb: int = 0
    hwm_kb: int = 0
    max_queue: int = 0
    creates: int = 0
    creates_per_job_max: int = 0
    queries: int = 0
    uploads_ok: int = 0
    uploads_dup: int = 0
    posts_dup: int = 0
    edits: int = 0
    finds: int = 0
    writes: dict[str, int] = field(default_factory=dict)
    timed_out: bool = False
    edits_waiting: int = 0
    behind: int = 0
    skipped: int = 0
    accept_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    notes: list[str] = field(default_factory=list)


async def run(args: argparse.Namespace) -> Result:
    res = Result(jobs=args.jobs)
    res.rss_start_kb = vm_kb("VmRSS")
    tmp = Path(tempfile.mkdtemp(prefix="wanbot-scale-"))
    store = await JobStore.open(f"sqlite:///{tmp}/jobs.db")
    api = FakeDashScope(time.time)
    port = CountingPort(edit_limit=EDIT_LIMITS[args.edits])
    config = EngineConfig(
        max_in_flight=args.in_flight,
        per_user_cap=args.jobs,  # the cap is per user; the bench wants the queue, not refusals
        queries_per_second=1_000_000.0,  # limits lifted: DashScope is not what is measured
        poll_interval=args.poll,
        # Its tasks answer by query count, not by time: timing looks by task durations would only slow
        # the run down (core.polling is measured by bench/detection.py).
        predictive_polling=False,
        create_retry_delay=0.05,
        replica_id="bench",
    )
    engine = Engine(store=store, client=api, ports={"bench": port},
                    delivery=Delivery(api, workdir=tmp / "work", fit=never_fit, messages=Messages()),
                    clock=time.time, config=config)
    done = asyncio.Event()
    finished: dict[str, str] = {}
    room = asyncio.Event()

    def on_job(job: Job) -> None:
        if job.state.terminal and job.id not in finished:
            finished[job.id] = job.state.value
            room.set()
            if len(finished) == args.jobs - res.skipped:
                done.set()

    engine.listeners.append(on_job)
    writes = collections.Counter[str]()

    def counting(name: str, fn: Any) -> Any:
        async def wrapped(*a: Any, **kw: Any) -> Any:
            writes[name] += 1
            return await fn(*a, **kw)
        return wrapped

    store.save = counting("save", store.save)  # type: ignore[method-assign]
    store.insert = counting("insert", store.insert)  # type: ignore[method-assign]
    await engine.start()
    ids: list[str] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    counter = iter(range(args.jobs))

    async def submitter() -> None:
        for i in counter:
            while args.window and len(ids) - len(finished) >= args.window:
                # A bounded backlog: keep at most --window jobs unfinished. Woken by a finished job, not
                # by polling (50 pollers every 5 ms were a large share of the CPU this bench reports).
                room.clear()
                await room.wait()
            user = f"u{i % args.users}"
            requester = Requester(platform="bench", user_id=user, channel_id=f"c{i % 10}", workspace_id="w1")
            conversation = ConversationRef(platform="bench", channel_id=f"c{i % 10}", workspace_id="w1")
            try:
                job = await engine.accept(requester, conversation,
                                          GenerationRequest.build(prompt=f"a lighthouse at dusk #{i}"))
            except Exception as exc:  # the user would see an error instead of an ack: count it, go on
                res.accept_errors[f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"] += 1
                res.skipped += 1
                continue
            ids.append(job.id)
            res.max_queue = max(res.max_queue, len(engine.queue))

    try:
        await asyncio.wait_for(asyncio.gather(*(submitter() for _ in range(args.concurrency))),
                               timeout=args.time_limit)
        res.submit_wall = time.perf_counter() - wall0
        res.cpu_submit = time.process_time() - cpu0
        left = args.time_limit - res.submit_wall
        await asyncio.wait_for(done.wait(), timeout=max(1.0, left))
    except TimeoutError:
        res.timed_out = True
        if not res.submit_wall:
            res.submit_wall = time.perf_counter() - wall0
            res.cpu_submit = time.process_time() - cpu0
    res.drain_wall = time.perf_counter() - wall0
    res.cpu_total = time.process_time() - cpu0
    res.hwm_kb = vm_kb("VmHWM")
    res.edits_waiting = engine.edits.waiting()
    res.behind = sum(1 for job in engine.book if job.shown_state != display_state(job.state).value)
    await engine.stop()

    res.submitted = len(ids)
    res.finished = len(finished)
    res.states = collections.Counter(finished.values())
    # Exactly-once, from the store (the source of truth) and from what the fakes saw.
    task_of: dict[str, str] = {}
    for job_id in ids:
        job = await store.get(job_id)
        assert job is not None, f"job {job_id} is not in the store"
        if job.task_id is not None:
            task_of[job_id] = job.task_id
    res.creates = len(api.creates)
    per_prompt = collections.Counter(api.tasks[t].request.prompt for t in api.creates)
    res.creates_per_job_max = max(per_prompt.values(), default=0)
    if len(set(task_of.values())) != len(task_of):
        res.notes.append("two jobs share one task id")
    res.queries = sum(t.queries for t in api.tasks.values())
    res.uploads_ok = sum(1 for n in port.uploads.values() if n == 1)
    res.uploads_dup = sum(1 for n in port.uploads.values() if n > 1)
    res.posts_dup = sum(1 for n in port.posts.values() if n > 1)
    res.edits = sum(port.edits.values())
    res.finds = port.finds
    res.writes = dict(writes)
    await store.close()
    return res


def table(res: Result, args: argparse.Namespace) -> str:
    n = max(res.finished, 1)
    delivered = res.states.get(JobState.DELIVERED.value, 0)
    rows = [
        ("jobs submitted / asked", f"{res.submitted:,} / {res.jobs:,}"),
        ("accept() raised (no ack)", f"{res.skipped:,}" + "".join(f"; {k} ×{v}" for k, v in res.accept_errors.items())),
        ("jobs finished (terminal)", f"{res.finished:,}" + (" **(time limit hit)**" if res.timed_out else "")),
        ("final states", ", ".join(f"{k} {v:,}" for k, v in sorted(res.states.items())) or "-"),
        ("deepest queue seen at submit", f"{res.max_queue:,}"),
        ("submit wall time (all accepted)", f"{res.submit_wall:.1f} s"),
        ("drain wall time (first accept → last terminal)", f"{res.drain_wall:.1f} s"),
        ("throughput", f"{res.finished / res.drain_wall:.1f} jobs/s" if res.drain_wall else "-"),
        ("CPU total (process_time)", f"{res.cpu_total:.1f} s"),
        ("CPU during submission", f"{res.cpu_submit:.1f} s"),
        ("**CPU per finished job** (goal ≤ 5 ms)", f"**{res.cpu_total / n * 1000:.1f} ms**"),
        ("CPU per accepted job", f"{res.cpu_total / max(res.submitted, 1) * 1000:.1f} ms"),
        ("RSS at start (after imports)", f"{res.rss_start_kb / 1024:.0f} MB"),
        ("**peak RSS, VmHWM** (goal ≤ 300 MB)", f"**{res.hwm_kb / 1024:.0f} MB**"),
        ("creates (one per job?)", f"{res.creates:,} for {res.submitted:,} jobs; max {res.creates_per_job_max}"
         " per job"),
        ("task queries / job", f"{res.queries / max(res.creates, 1):.1f}"),
        ("delivered once / uploaded twice+", f"{res.uploads_ok:,} / {res.uploads_dup:,}"
         f" (DELIVERED {delivered:,})"),
        ("status posts twice+ / status edits", f"{res.posts_dup:,} / {res.edits:,}"
         f" ({res.edits / n:.1f} per finished job)"),
        ("JobStore.save / insert calls per accepted job",
         " / ".join(f"{res.writes.get(k, 0) / max(res.submitted, 1):.1f}" for k in ("save", "insert"))),
        ("status edits still waiting for the budget at the end / messages behind their job",
         f"{res.edits_waiting:,} / {res.behind:,}"),
        ("find_status/find_upload calls (a save after a post/upload was lost)", f"{res.finds:,}"),
    ]
    exactly_once = (res.creates == res.submitted and res.creates_per_job_max == 1 and res.uploads_dup == 0
                    and res.posts_dup == 0
                    and res.uploads_ok == delivered == res.submitted and not res.notes and not res.skipped)
    verdict = "**yes**" if exactly_once else "**NO** " + "; ".join(res.notes)
    if res.posts_dup:
        res.notes.append(f"{res.posts_dup} jobs got two status messages")
        verdict = "**NO** " + "; ".join(res.notes)
    elif res.timed_out and not res.notes and res.creates_per_job_max <= 1 and res.uploads_dup == 0:
        verdict = "no duplicate so far (not all finished: cannot say more)"
    rows.append(("**exactly-once**", verdict))
    head = (f"scale: {res.jobs:,} jobs, {args.users} users, max_in_flight {args.in_flight}, "
            f"{args.concurrency} submitters, poll {args.poll:g} s, edit budget {args.edits}, "
            f"backlog {'unbounded (burst)' if not args.window else f'≤ {args.window} unfinished'}, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    lines = [head, "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="500 jobs")
    parser.add_argument("--users", type=int, default=50, help="distinct requesters (round-robin)")
    parser.add_argument("--in-flight", type=int, default=50, help="EngineConfig.max_in_flight")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent accept() callers")
    parser.add_argument("--window", type=int, default=0,
                        help="keep at most this many jobs unfinished (0 = submit all at once, the issue's case)")
    parser.add_argument("--poll", type=float, default=0.01, help="watcher min interval per task (s)")
    parser.add_argument("--edits", choices=sorted(EDIT_LIMITS), default="discord",
                        help="the edit limit the bench port declares (default: Discord's, per channel)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="give up after this many seconds")
    args = parser.parse_args()
    if args.quick:
        args.jobs = 500
    logging.basicConfig(level=logging.WARNING)
    res = asyncio.run(run(args))
    print(table(res, args))


if __name__ == "__main__":
    main()
