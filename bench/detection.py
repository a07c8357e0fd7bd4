"""Issue 11, item 5(b): detection lag and DashScope task queries, wanbot vs the SDK's ``wait()`` vs a 15 s poller.

Three pollers run side by side in ONE process and one event loop, each against its own in-process sandbox
(``sandbox.runner.Sandbox``, default account limits: 5 tasks in flight, 20 queries/s, 5 creates/s):

* **wanbot** — the real ``core.engine.Engine`` (its ``core.watcher.Watcher``) with ``EngineConfig()``'s
  defaults (10 queries/s, predictive polling from ``core.polling`` with the reference's duration priors and
  what this run learns, list sweeps, 5 in flight; ``duration_scale`` = 1/speed, as ``wanbot`` sets it for
  its embedded sandbox), starting with no history, the real ``DashScopeClient``, a SQLite store, the
  real delivery, and ``tests.fakes.port.RecordingPort`` as the chat platform. Jobs from distinct users, so the
  per-user cap does not bind.
* **sdk wait()** — the unmodified official ``dashscope`` SDK: ``VideoSynthesis.async_call`` then
  ``VideoSynthesis.wait`` in each of N worker threads (N = jobs in flight), as a user of the SDK would.
* **15 s poller** — aiohttp: create, then ``GET /tasks/{id}`` every 15 s until terminal; N workers.

The three sandboxes share one seed, so the i-th task created on each gets the same queue and run time
(the sandbox draws a task's plan at creation): queries per task are compared on the same durations.

Measured by a probe middleware added to each sandbox app before it listens (product code untouched):
every request's time, route and, for ``GET /tasks/{id}``, the ``task_status`` it answered.

* *lag* = when the poller had the SUCCEEDED answer − the task's ``finished`` (when the sandbox flipped it):
  wanbot: the engine stored the job as SUCCEEDED (``Engine.listeners``); SDK: ``wait()`` returned in its thread;
  poller: its response was parsed. *server-side lag* = the first answer carrying SUCCEEDED left the sandbox.
* *queries/task* = (``GET /tasks/{id}`` + ``GET /tasks`` list calls) per task — every query the key spent on
  watching, a list counted as one; *lists/task* = the list calls alone; *peak q/s* = most task queries +
  lists + cancels of the key in any sliding 1 s window (what DashScope limits to 20/s).

Run from the repository root, venv active::

    python bench/detection.py              # 10 videos, 5 in flight, speed 1 (real durations), ~5–6 minutes
    python bench/detection.py --quick      # 4 videos, 2 in flight, speed 10: a smoke run of ~40 s

Loopback only: the sandbox serves result URLs itself; nothing here reaches the internet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import _root  # noqa: F401  (this checkout on sys.path: tests/ is not installed)
import aiohttp
from aiohttp import web

from core.dashscope import DashScopeClient
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.transcode import fit_to_size
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.port import RecordingPort

MODEL = "wan2.7-t2v"
RESOLUTION = "720P"
DURATION = 5
QUERY_ROUTES = frozenset({"task.query", "task.list", "task.cancel"})
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hit:
    at: float
    route: str
    task_id: str | None
    http_status: int
    task_status: str | None


@dataclass
class Probe:
    """Records every request a sandbox answers (installed as the innermost middleware)."""

    hits: list[Hit] = field(default_factory=list)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.name or "unmatched"
        task_id = request.match_info.get("task_id")
        status, task_status = 0, None
        try:
            response = await handler(request)
            status = response.status
            if route == "task.query" and isinstance(response, web.Response) and response.body is not None:
                body = response.body
                if isinstance(body, bytes | bytearray):
                    task_status = json.loads(body).get("output", {}).get("task_status")
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except Exception as exc:  # the sandbox's ApiError: its middleware (outside us) answers it
            status = getattr(exc, "status", 500)
            raise
        finally:
            self.hits.append(Hit(time.time(), route, task_id, status, task_status))


@dataclass
class Run:
    """One poller's sandbox, probe and what the poller itself saw."""

    name: str
    key: str
    sandbox: Sandbox
    probe: Probe
    #: task id -> when the poller's own code had the SUCCEEDED (or other terminal) answer.
    learned: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0


def make_run(name: str, key: str, speed: float, seed: int, cache_dir: Path) -> Run:
    sandbox = Sandbox(SandboxConfig(speed=speed, api_key=key, seed=seed, cache_dir=cache_dir))
    probe = Probe()
    sandbox.app.middlewares.append(probe.middleware)  # before start(): the app is frozen on setup
    return Run(name, key, sandbox, probe)


def prompts(n: int, who: str) -> list[str]:
    return [f"{who} {i}: a lighthouse at dusk, waves against the rocks, slow dolly-in" for i in range(n)]


# -- the three pollers -----------------------------------------------------------------------------------


async def run_wanbot(run: Run, videos: int, in_flight: int, workdir: Path, speed: float) -> None:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        client = DashScopeClient(session, base_url=run.sandbox.base_url, api_key=run.key, clock=time.time)
        store = await JobStore.open(f"sqlite:///{workdir}/bench-detection.db")
        port = RecordingPort(platform="bench")
        engine = Engine(
            store=store, client=client, ports={"bench": port},
            delivery=Delivery(client, workdir=workdir / "deliveries", messages=Messages(), fit=fit_to_size),
            clock=time.time, config=EngineConfig(max_in_flight=in_flight, duration_scale=1 / speed),
        )

        def listener(job: Job) -> None:
            if job.task_id and job.state in (JobState.SUCCEEDED, JobState.FAILED) and job.task_id not in run.learned:
                run.learned[job.task_id] = time.time()

        engine.listeners.append(listener)
        await engine.start()
        try:
            ids = []
            for i, prompt in enumerate(prompts(videos, "wanbot")):
                requester = Requester(platform="bench", user_id=f"u{i}", channel_id="c", workspace_id="w")
                conversation = ConversationRef(platform="bench", channel_id="c", workspace_id="w")
                request = GenerationRequest.build(prompt=prompt, model=MODEL, resolution=RESOLUTION,
                                                  duration=DURATION)
                ids.append((await engine.submit(requester, conversation, request)).id)
            for job_id in ids:
                job = await engine.wait(job_id)
                if job.state is not JobState.DELIVERED:
                    run.errors.append(f"job {job_id}: {job.state.value} {job.error_code}")
        finally:
            await engine.stop()
            await store.close()
    run.wall = time.monotonic() - started


def _sdk_one(key: str, prompt: str) -> tuple[str, float, str]:
    """One video through the official SDK, in a worker thread: (task id, when wait() returned, status)."""
    from dashscope import VideoSynthesis

    created = VideoSynthesis.async_call(api_key=key, model=MODEL, prompt=prompt, resolution=RESOLUTION,
                                        duration=DURATION, watermark=False)
    if created.status_code != 200:
        raise RuntimeError(f"SDK create failed: {created.status_code} {created.code} {created.message}")
    done = VideoSynthesis.wait(task=created, api_key=key)
    learned = time.time()
    return created.output.task_id, learned, str(done.output.task_status if done.output else done.code)


async def run_sdk(run: Run, videos: int, in_flight: int) -> None:
    import dashscope

    dashscope.base_http_api_url = run.sandbox.base_url  # what DASHSCOPE_HTTP_BASE_URL sets, as a user would
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    todo = prompts(videos, "sdk")
    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="sdk") as pool:

        async def worker() -> None:
            while todo:
                task_id, learned, status = await loop.run_in_executor(pool, _sdk_one, run.key, todo.pop(0))
                run.learned[task_id] = learned
                if status != "SUCCEEDED":
                    run.errors.append(f"task {task_id}: {status}")

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    run.wall = time.monotonic() - started


async def run_poller(run: Run, videos: int, in_flight: int, every: float) -> None:
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {run.key}", "Content-Type": "application/json"}
    base = run.sandbox.base_url
    todo = prompts(videos, "poller")
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(prompt: str) -> None:
            body = {"model": MODEL, "input": {"prompt": prompt},
                    "parameters": {"resolution": RESOLUTION, "duration": DURATION, "watermark": False}}
            async with session.post(f"{base}/services/aigc/video-generation/video-synthesis", json=body,
                                    headers={"X-DashScope-Async": "enable"}) as rsp:
                created = await rsp.json()
                if rsp.status != 200:
                    raise RuntimeError(f"poller create failed: {rsp.status} {created}")
            task_id = created["output"]["task_id"]
            while True:
                await asyncio.sleep(every)
                async with session.get(f"{base}/tasks/{task_id}") as rsp:
                    answer = await rsp.json()
                status = answer.get("output", {}).get("task_status")
                if status in TERMINAL:
                    run.learned[task_id] = time.time()
                    if status != "SUCCEEDED":
                        run.errors.append(f"task {task_id}: {status}")
                    return

        async def worker() -> None:
            while todo:
                await one(todo.pop(0))

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    run.wall = time.monotonic() - started


# -- figures ---------------------------------------------------------------------------------------------


def p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def peak_per_second(times: Sequence[float]) -> int:
    """Most events in any window [t, t + 1 s)."""
    ordered, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass
class Figures:
    name: str
    tasks: int
    median_lag: float
    p90_lag: float
    max_lag: float
    server_median_lag: float
    queries_per_task: float
    lists_per_task: float
    peak_qps: int
    throttled: int
    median_task_seconds: float
    wall: float
    errors: list[str]


def figures(run: Run) -> Figures:
    from sandbox.stats import key_id

    tasks = {t.task_id: t for t in run.sandbox.store.tasks_of(key_id(run.key)) if not t.is_image}
    queries = [h for h in run.probe.hits if h.route == "task.query" and h.task_id in tasks]
    first_success: dict[str, float] = {}
    for h in queries:
        if h.task_status == "SUCCEEDED" and h.task_id is not None:
            first_success.setdefault(h.task_id, h.at)
    lags = [run.learned[tid] - t.finished for tid, t in tasks.items() if tid in run.learned]
    server = [first_success[tid] - t.finished for tid, t in tasks.items() if tid in first_success]
    lists = sum(1 for h in run.probe.hits if h.route == "task.list")
    budget = [h.at for h in run.probe.hits if h.route in QUERY_ROUTES]
    throttled = sum(1 for h in run.probe.hits if h.http_status == 429)
    errors = list(run.errors)
    if len(lags) != len(tasks):
        errors.append(f"{len(tasks) - len(lags)} of {len(tasks)} tasks never seen finished by the poller")
    return Figures(
        name=run.name, tasks=len(tasks),
        median_lag=statistics.median(lags) if lags else float("nan"), p90_lag=p90(lags),
        max_lag=max(lags) if lags else float("nan"),
        server_median_lag=statistics.median(server) if server else float("nan"),
        queries_per_task=(len(queries) + lists) / len(tasks) if tasks else float("nan"),
        lists_per_task=lists / len(tasks) if tasks else float("nan"),
        peak_qps=peak_per_second(budget), throttled=throttled,
        median_task_seconds=statistics.median(t.finished - t.created for t in tasks.values()) if tasks else 0.0,
        wall=run.wall, errors=errors,
    )


def table(rows: Sequence[Figures]) -> str:
    lines = [
        "| poller | tasks | median lag | p90 lag | max lag | server-side median lag | queries/task | lists/task "
        "| peak q/s | 429s | median task | wall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in rows:
        lines.append(f"| {f.name} | {f.tasks} | {f.median_lag:.2f} s | {f.p90_lag:.2f} s | {f.max_lag:.2f} s "
                     f"| {f.server_median_lag:.2f} s | {f.queries_per_task:.1f} | {f.lists_per_task:.1f} "
                     f"| {f.peak_qps} | {f.throttled} "
                     f"| {f.median_task_seconds:.1f} s | {f.wall:.0f} s |")
    return "\n".join(lines)


def ratios(rows: Sequence[Figures]) -> str:
    by = {f.name: f for f in rows}
    ours, sdk = by["wanbot"], by["sdk wait()"]
    lag = ours.median_lag / sdk.median_lag if sdk.median_lag else float("nan")
    queries = ours.queries_per_task / sdk.queries_per_task if sdk.queries_per_task else float("nan")
    return (f"wanbot / SDK: median lag {lag:.2f}× (goal ≤ 0.5×), queries per task {queries:.2f}× (goal ≤ 1.0×); "
            f"peak q/s per key {ours.peak_qps} (goal ≤ 20)")


# -- main ------------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"  # the SDK (requests) must never go through a proxy
    with tempfile.TemporaryDirectory(prefix="wanbot-bench-detection-") as tmp:
        root = Path(tmp)
        cache = root / "media"
        runs = [make_run("wanbot", "sk-bench-wanbot", args.speed, args.seed, cache),
                make_run("sdk wait()", "sk-bench-sdk", args.speed, args.seed, cache),
                make_run(f"{args.poll_every:g} s poller", "sk-bench-poller", args.speed, args.seed, cache)]
        for run in runs:
            await run.sandbox.start()
        try:
            started = time.monotonic()
            await asyncio.wait_for(asyncio.gather(
                run_wanbot(runs[0], args.videos, args.in_flight, root, args.speed),
                run_sdk(runs[1], args.videos, args.in_flight),
                run_poller(runs[2], args.videos, args.in_flight, args.poll_every),
            ), timeout=args.timeout)
            elapsed = time.monotonic() - started
        finally:
            for run in runs:
                await run.sandbox.close()
        rows = [figures(run) for run in runs]
    print(f"{args.videos} videos ({MODEL} {RESOLUTION} {DURATION} s), {args.in_flight} in flight per poller, "
          f"sandbox speed {args.speed:g}, seed {args.seed}; all three concurrently in {elapsed:.0f} s\n")
    print(table(rows))
    print()
    print(ratios(rows))
    problems = [f"{f.name}: {e}" for f in rows for e in f.errors]
    for line in problems:
        print("PROBLEM:", line, file=sys.stderr)
    return 1 if problems else 0


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--videos", type=int, default=10, help="videos per poller (default 10)")
    parser.add_argument("--in-flight", type=int, default=5, help="tasks in flight per poller (default 5)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="sandbox speed; 1 = the service's real durations (default)")
    parser.add_argument("--seed", type=int, default=11, help="sandbox seed, the same for all three")
    parser.add_argument("--poll-every", type=float, default=15.0, help="the plain poller's interval (s)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    parser.add_argument("--quick", action="store_true", help="4 videos, 2 in flight, speed 10")
    args = parser.parse_args(argv)
    if args.quick:
        args.videos, args.in_flight, args.speed = 4, 2, 10.0
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(main(parse())))
