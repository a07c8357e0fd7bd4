"""Issue 11, item 5(d): N concurrent deliveries of M MB videos on Slack and on Discord, and what they cost.

Every figure is taken in a FRESH process (one per scenario) so one run's heap does not flatter the next:

- ``--serve`` (one child for the whole run): the fakes — ``tests.fakes.slack_server.FakeSlack`` (the
  ``files.getUploadURLExternal`` → upload URL → ``files.completeUploadExternal`` flow),
  ``tests.fakes.discord_server.FakeDiscord`` (REST + gateway, boost tier 3: 100 MB per file; message posts
  carry ``X-RateLimit-*`` headers as real Discord's do, with a limit the bench never reaches), a static file
  server for the result files (``FileResponse`` from disk) and a byte sink for the bare baseline. They live
  in their own process so their buffers never count as the bot's (the Slack fake's upload URL reads its
  body as a stream, as the sink does).
- one scenario child per (platform, delivery workers): the project's own parts as ``bot.runtime`` wires
  them — ``JobStore`` (SQLite in a temp dir), ``DashScopeClient`` as the downloader, ``core.delivery.Delivery``
  with ``core.transcode.fit_to_size``, the ``core.engine.Engine`` (so ``core.deliveries.DeliveryWorkers``
  runs ``EngineConfig.delivery_workers`` workers) and the real port (``SlackPort`` on slack_sdk's
  ``AsyncWebClient``; ``DiscordPort`` inside a connected ``WanClient``). N jobs are stored SUCCEEDED with
  their status message already posted and one untimed download made (so only delivery is timed, over
  warm connections, as the bare loop warms its own); the clock starts at ``engine.start()``
  and stops when the last job is DELIVERED.
- ``bare`` child per worker count: the same bytes, the same concurrency, by a plain aiohttp loop (stream
  the file to disk, stream it up to the sink): the pure-transfer floor. It writes to disk on its event
  loop, the fastest way one transfer at a time; with 2+ at once those writes hold up the other
  transfers, so there the engine (which writes from a worker thread) can come out ahead of it.

RSS: VmRSS just before the clock starts vs the peak (a 2 ms sampler thread, and VmHWM after
``/proc/self/clear_refs`` reset it). Overhead = wall time minus the bare loop's at the same concurrency;
per delivery, that divided by the deliveries one worker makes in a row. The 1-worker row is the clean
figure for "overhead beyond pure transfer": one delivery at a time, nothing competing for the cores.

    PYTHONPATH=$PWD python bench/deliveries.py                  # 20 x 50 MB, workers 1, 2, 4 and 20
    PYTHONPATH=$PWD python bench/deliveries.py --quick          # 5 x 10 MB
    PYTHONPATH=$PWD python bench/deliveries.py --count 10 --size-mb 20 --workers 2,10 --platforms slack
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _root  # noqa: F401  (this checkout on sys.path: tests/ is not installed)
import aiohttp
from aiohttp import web

CHUNK = 1024 * 1024
MB = 1024 * 1024
#: The fake Discord's per-channel message-post limit (posts, seconds): sent as headers, never reached.
DISCORD_MESSAGE_RATE = (1000, 1.0)
#: Seconds a scenario may take before it is reported as stuck (a failing upload is retried for ever).
ENGINE_TIMEOUT = 180.0


# -- memory --------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """VmRSS before, and the peak while running (sampled every 2 ms in a thread, plus VmHWM); and the CPU
    seconds the whole process (every thread) used meanwhile, which a busy box disturbs far less than wall
    time."""

    def __init__(self) -> None:
        self.before_kb = 0
        self.peak_kb = 0
        self.hwm_kb: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._hwm_reset = False
        self.cpu_s = 0.0

    def start(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")  # resets VmHWM to the current RSS
            self._hwm_reset = True
        except OSError:
            self._hwm_reset = False
        self.before_kb = _status_kb("VmRSS")
        self.peak_kb = self.before_kb
        self.cpu_s = -time.process_time()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))

    def stop(self) -> None:
        self.cpu_s += time.process_time()
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))
        if self._hwm_reset:
            self.hwm_kb = _status_kb("VmHWM")

    def figures(self) -> dict[str, Any]:
        peak = max(self.peak_kb, self.hwm_kb or 0)
        return {"rss_before_mb": self.before_kb / 1024, "rss_peak_mb": peak / 1024,
                "rss_growth_mb": (peak - self.before_kb) / 1024, "hwm_reset": self._hwm_reset, "cpu_s": self.cpu_s}


# -- the fakes (child process) --------------------------------------------------------------------------


async def serve(files_dir: Path) -> None:
    """Start the fakes, print where they are (one JSON line), run until stdin closes."""
    from tests.fakes.discord_server import FakeDiscord
    from tests.fakes.slack_server import FakeSlack

    logging.basicConfig(level=logging.WARNING)
    # The upload URL streams every body (no size cap); hashing 1 GB would only load the shared cores.
    slack = FakeSlack(keep_digests=False)
    await slack.start()
    # Real Discord sends X-RateLimit-* headers on every message post (5 per 5 s per channel); without them
    # discord.py never learns the bucket's size and sends one post at a time per channel, so with 2+
    # workers every upload waited for the one before it (a cost of the fake, not of the bot). The limit
    # here is one the bench never reaches: the platform's own pacing is not the bot's overhead.
    discord_fake = FakeDiscord(premium_tier=3, message_rate=DISCORD_MESSAGE_RATE)
    await discord_fake.start()

    async def file(request: web.Request) -> web.StreamResponse:
        path = files_dir / request.match_info["name"]
        if not path.is_file():
            return web.Response(status=404)
        return web.FileResponse(path, headers={"Content-Type": "video/mp4"})

    async def sink(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_chunked(CHUNK):
            size += len(chunk)
        return web.Response(text=f"OK - {size}")

    app = web.Application(client_max_size=4 * 1024**3)
    app.router.add_get("/files/{name}", file)
    app.router.add_post("/sink", sink)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    where = {
        "files": f"http://{host}:{port}/files/", "sink": f"http://{host}:{port}/sink",
        "slack_api": slack.api_url, "discord_api": discord_fake.api_base, "discord_token": discord_fake.token,
        "guild_id": discord_fake.guild.id, "channel_id": discord_fake.channel_id,
    }
    print(json.dumps(where), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes stdin to stop us
    with contextlib.suppress(Exception):
        await discord_fake.close()
    with contextlib.suppress(Exception):
        await slack.close()
    await runner.cleanup()


# -- one scenario (child process) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    kind: str  # "bare", "slack" or "discord"
    workers: int
    count: int
    where: dict[str, Any]


async def run_bare(sc: Scenario, workdir: Path) -> dict[str, Any]:
    """The floor: download each file to disk and stream it up, ``workers`` at a time, nothing else."""
    sem = asyncio.Semaphore(sc.workers)
    async with aiohttp.ClientSession() as session:

        phases: list[tuple[float, float]] = []

        async def one(i: int, timed: bool = True) -> int:
            async with sem:
                path = workdir / f"bare{i}.mp4"
                began = time.perf_counter()
                async with session.get(f"{sc.where['files']}f{i}.mp4") as response:
                    response.raise_for_status()
                    with path.open("wb") as handle:
                        async for chunk in response.content.iter_chunked(CHUNK):
                            handle.write(chunk)
                uploading = time.perf_counter()
                with path.open("rb") as handle:
                    async with session.post(sc.where["sink"], data=handle) as response:
                        response.raise_for_status()
                        text = await response.text()
                if timed:
                    phases.append((uploading - began, time.perf_counter() - uploading))
                path.unlink()
                return int(text.rsplit(" ", 1)[1])

        await one(0, timed=False)  # warm the connection pool and the page cache, as the engine side is warmed
        rss = RssSampler()
        rss.start()
        t0 = time.perf_counter()
        sizes = await asyncio.gather(*(one(i) for i in range(sc.count)))
        elapsed = time.perf_counter() - t0
        rss.stop()
    return {"seconds": elapsed, "delivered": len(sizes), "bytes": sum(sizes), **_phase_medians(phases),
            **rss.figures()}


def _phase_medians(phases: list[tuple[float, float]]) -> dict[str, float | None]:
    """Median seconds of the download, the upload and both, over the deliveries."""
    if not phases:
        return {"download_s": None, "upload_s": None, "delivery_s": None}
    return {"download_s": statistics.median(d for d, _ in phases), "upload_s": statistics.median(u for _, u in phases),
            "delivery_s": statistics.median(d + u for d, u in phases)}


class _LogCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.warnings = 0
        self.errors = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.first) < 3:
            self.first.append(f"{record.levelname} {record.name}: {record.getMessage()[:160]}")


async def run_engine(sc: Scenario, workdir: Path) -> dict[str, Any]:
    from core.config import EngineConfig
    from core.dashscope.client import DashScopeClient
    from core.delivery import Delivery
    from core.engine import Engine
    from core.jobs import Job, JobState, Requester
    from core.messages import Messages
    from core.port import ChatPort, ConversationRef, MessageRef
    from core.request import GenerationRequest
    from core.store import JobStore
    from core.transcode import fit_to_size

    counter = _LogCounter()
    logging.getLogger().addHandler(counter)
    logging.getLogger().setLevel(logging.INFO)
    messages = Messages()
    where = sc.where
    closers: list[Callable[[], Any]] = []
    port: ChatPort
    if sc.kind == "slack":
        from slack_sdk.web.async_client import AsyncWebClient

        from adapters.slack.port import SlackPort
        from tests.fakes.slack_server import TEAM, TOKEN

        slack_port = SlackPort(AsyncWebClient(token=TOKEN, base_url=where["slack_api"]), messages=messages)
        conv = ConversationRef("slack", "C_MEMBER", TEAM, None)

        async def post_placeholder(i: int) -> str:
            data = await slack_port.client.chat_postMessage(channel="C_MEMBER", text=f"status {i}")
            return str(data["ts"])

        port = slack_port
    else:
        from adapters.discord.client import WanClient
        from adapters.discord.config import DiscordConfig
        from adapters.discord.endpoints import use_rest_base

        config = DiscordConfig(token=where["discord_token"], api_base=where["discord_api"],
                               guild_id=int(where["guild_id"]))
        client = WanClient(config, messages, guild_ready_timeout=0.05)
        use_rest_base(config.api_base)
        started = asyncio.create_task(client.start(config.token))
        closers.append(client.close)
        closers.append(started.cancel)
        await asyncio.wait_for(client.port._ready.wait(), 30)
        discord_port = client.port
        conv = ConversationRef("discord", str(where["channel_id"]), str(where["guild_id"]), None)

        async def post_placeholder(i: int) -> str:
            message = await discord_port._channel(conv).send(content=f"status {i}")
            return str(message.id)

        port = discord_port

    session = aiohttp.ClientSession()
    closers.append(session.close)
    downloader = DashScopeClient(session, base_url=where["files"], api_key="sk-bench")
    store = await JobStore.open(f"sqlite:///{workdir}/bench.db")
    closers.append(store.close)
    now = datetime.now(UTC)
    ids: list[str] = []
    for i in range(sc.count):
        ref = MessageRef(conv, await post_placeholder(i))
        job = Job(
            id=f"bench{i:03d}",
            requester=Requester(platform=conv.platform, user_id=f"u{i % 4}", channel_id=conv.channel_id,
                                workspace_id=conv.workspace_id),
            conversation=conv,
            request=GenerationRequest.build(prompt=f"delivery bench {i}"),
            state=JobState.SUCCEEDED,
            created_at=now - timedelta(seconds=60),
            state_times={"QUEUED": now - timedelta(seconds=60), "SUCCEEDED": now},
            task_id=f"task-bench-{i}",
            status_ref=ref,
            shown_state="SUCCEEDED",
            video_url=f"{where['files']}f{i}.mp4",
            video_expires_at=now + timedelta(hours=12),
        )
        await store.insert(job)
        ids.append(job.id)
    # As the bare loop warms its pool with one untimed transfer: a connection to the file server is open
    # (and the download path has run once) before the clock starts, as in a bot that has been up a while.
    warm = workdir / "warm.mp4"
    await downloader.download_to(f"{where['files']}f0.mp4", warm, max_bytes=1 << 32)
    warm.unlink()
    delivery = Delivery(downloader, workdir=workdir / "work", messages=messages, fit=fit_to_size)
    engine = Engine(store=store, client=downloader, ports={conv.platform: port}, delivery=delivery,
                    clock=time.time, config=EngineConfig(delivery_workers=sc.workers), messages=messages)
    done = asyncio.Event()
    finished: dict[str, float] = {}
    t0 = 0.0

    #: Per job: when its attempt began (``delivery_attempts`` stored), its upload began (``upload_started``).
    began: dict[str, float] = {}
    uploading: dict[str, float] = {}

    def changed(job: Job) -> None:
        now = time.perf_counter() - t0
        if job.state is JobState.SUCCEEDED:
            if job.extra.get("delivery_attempts") and job.id not in began:
                began[job.id] = now
            if job.extra.get("upload_started") and job.id not in uploading:
                uploading[job.id] = now
        if job.state in (JobState.DELIVERED, JobState.FAILED, JobState.EXPIRED) and job.id not in finished:
            finished[job.id] = now
            if len(finished) == sc.count:
                done.set()

    engine.listeners.append(changed)
    counter.warnings = counter.errors = 0  # only what the deliveries log counts (not start-up notices)
    counter.first.clear()
    rss = RssSampler()
    rss.start()
    t0 = time.perf_counter()
    await engine.start()
    timed_out = False
    try:
        await asyncio.wait_for(done.wait(), timeout=ENGINE_TIMEOUT)
    except TimeoutError:
        timed_out = True  # reported as fewer delivered, with the first warnings
    finally:
        elapsed = time.perf_counter() - t0
        rss.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(engine.stop(), 10)
    delivered = 0
    for job_id in ids:
        stored = await store.get(job_id)
        if stored is not None and stored.state is JobState.DELIVERED and not stored.extra.get("link_only"):
            delivered += 1
    for close in reversed(closers):
        with contextlib.suppress(Exception):
            result = close()
            if asyncio.iscoroutine(result):
                await asyncio.wait_for(result, 5)  # teardown is not measured; never let it hang the run
    times = sorted(finished.values())
    phases = [(uploading[j] - began[j], finished[j] - uploading[j]) for j in ids
              if j in began and j in uploading and j in finished]
    return {"seconds": elapsed, "delivered": delivered, **_phase_medians(phases),
            "first_done": times[0] if times else None,
            "last_done": times[-1] if times else None, "warnings": counter.warnings, "errors": counter.errors,
            "log": counter.first, "timed_out": timed_out, **rss.figures()}


def scenario_main(raw: str) -> None:
    spec = json.loads(raw)
    sc = Scenario(spec["kind"], spec["workers"], spec["count"], spec["where"])
    with tempfile.TemporaryDirectory(prefix="wanbench-") as tmp:
        runner = run_bare if sc.kind == "bare" else run_engine
        result = asyncio.run(asyncio.wait_for(runner(sc, Path(tmp)), ENGINE_TIMEOUT + 60))
    print("RESULT " + json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)  # a client's leftover thread (discord.py's keep-alive) must not keep the process alive


# -- the orchestrator -----------------------------------------------------------------------------------


def _make_files(folder: Path, count: int, size: int) -> None:
    block = os.urandom(CHUNK)  # incompressible enough; content is never inspected
    for i in range(count):
        with (folder / f"f{i}.mp4").open("wb") as handle:
            handle.write(b"\x00\x00\x00\x18ftypmp42")
            left = size - 12
            while left > 0:
                handle.write(block[: min(CHUNK, left)])
                left -= CHUNK


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--scenario", json.dumps(spec)], capture_output=True,
                         text=True, timeout=ENGINE_TIMEOUT + 120, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            parsed: dict[str, Any] = json.loads(line[len("RESULT "):])
            return parsed
    sys.stderr.write(out.stdout[-3000:] + out.stderr[-3000:])
    raise SystemExit(f"scenario {spec['kind']} x{spec['workers']} failed (exit {out.returncode})")


def _median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one scenario as one: the median of every timing, the WORST memory figures, the
    fewest delivered, every warning and error counted."""
    out = dict(results[0])
    for key in ("seconds", "download_s", "upload_s", "delivery_s", "cpu_s", "rss_before_mb"):
        values = [r[key] for r in results if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    for key in ("rss_peak_mb", "rss_growth_mb"):
        out[key] = max(r[key] for r in results)
    out["delivered"] = min(r["delivered"] for r in results)
    for key in ("warnings", "errors"):
        out[key] = sum(r.get(key, 0) for r in results)
    out["log"] = [line for r in results for line in r.get("log", [])][:3]
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--size-mb", type=float, default=50.0)
    parser.add_argument("--workers", default="1,2,4,20", help="delivery worker counts to try, comma-separated")
    parser.add_argument("--platforms", default="slack,discord")
    parser.add_argument("--quick", action="store_true", help="5 x 10 MB")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of every scenario (medians of the timings, the worst RSS)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve))
        return
    if args.scenario is not None:
        scenario_main(args.scenario)
        return
    if args.quick:
        args.count, args.size_mb = 5, 10.0
    workers = [int(w) for w in args.workers.split(",")]
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
    size = int(args.size_mb * MB)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="wanbench-files-") as tmp:
        _make_files(Path(tmp), args.count, size)
        fakes = subprocess.Popen([sys.executable, __file__, "--serve", tmp], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert fakes.stdout is not None
            where = json.loads(fakes.stdout.readline())
            runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
            for _ in range(args.repeat):  # interleaved, so a change of load touches every scenario alike
                for kind in ("bare", *platforms):
                    for w in workers:
                        spec = {"kind": kind, "workers": w, "count": args.count, "where": where}
                        runs.setdefault((kind, w), []).append(_child(spec))
            bare = {w: _median_run(runs[("bare", w)]) for w in workers}
            rows = {(p, w): _median_run(runs[(p, w)]) for p in platforms for w in workers}
        finally:
            assert fakes.stdin is not None
            fakes.stdin.close()
            try:
                fakes.wait(timeout=20)
            except subprocess.TimeoutExpired:
                fakes.kill()
    total_mb = args.count * size / MB
    print(f"\n{args.count} deliveries x {args.size_mb:g} MB ({total_mb:,.0f} MB), {args.repeat} run(s) each, "
          f"{os.cpu_count()} cores, load {load_before:.2f} at the start and {os.getloadavg()[0]:.2f} at the end\n")
    print("| path | workers | delivered | wall s | bare loop s | overhead s | overhead/delivery ms "
          "| RSS before MB | RSS peak MB | RSS growth MB | bare RSS growth MB | warnings / errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for w in workers:
        b = bare[w]
        print(f"| bare aiohttp | {w} | {b['delivered']}/{args.count} | {_fmt(b['seconds'])} | "
              f"{_fmt(b['seconds'])} | – | – | {_fmt(b['rss_before_mb'], 0)} | {_fmt(b['rss_peak_mb'], 0)} | "
              f"{_fmt(b['rss_growth_mb'], 0)} | {_fmt(b['rss_growth_mb'], 0)} | – |")
    for p in platforms:
        for w in workers:
            r, b = rows[(p, w)], bare[w]
            overhead = r["seconds"] - b["seconds"]
            waves = -(-args.count // min(w, args.count))  # deliveries one worker does in a row
            print(f"| {p} (engine) | {w} | {r['delivered']}/{args.count} | {_fmt(r['seconds'])} | "
                  f"{_fmt(b['seconds'])} | {_fmt(overhead)} | {_fmt(overhead / waves * 1000, 0)} | "
                  f"{_fmt(r['rss_before_mb'], 0)} | {_fmt(r['rss_peak_mb'], 0)} | {_fmt(r['rss_growth_mb'], 0)} | "
                  f"{_fmt(b['rss_growth_mb'], 0)} | {r['warnings']} / {r['errors']} |")
    print("\nPer delivery, median ms (engine: from its attempt being stored to the upload starting, then to "
          "DELIVERED stored; bare: the same two transfers):\n")
    print("| path | workers | download ms | bare download ms | upload ms | bare upload ms | delivery ms "
          "| bare delivery ms | overhead ms | CPU ms | bare CPU ms | CPU overhead ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in platforms:
        for w in workers:
            r, b = rows[(p, w)], bare[w]
            over = None if r["delivery_s"] is None or b["delivery_s"] is None else r["delivery_s"] - b["delivery_s"]
            cpu, bare_cpu = r["cpu_s"] / args.count, b["cpu_s"] / args.count
            print(f"| {p} | {w} | " + " | ".join(_fmt(None if v is None else v * 1000, 0) for v in (
                r["download_s"], b["download_s"], r["upload_s"], b["upload_s"], r["delivery_s"], b["delivery_s"],
                over, cpu, bare_cpu, cpu - bare_cpu)) + " |")
    for (p, w), r in rows.items():
        for line in r["log"]:
            print(f"\n{p} x{w}: {line}")
    print("\noverhead/delivery = (wall - bare) / deliveries per worker in a row (count / workers, rounded up); "
          "CPU = the process's CPU seconds over the timed window / deliveries")


if __name__ == "__main__":
    main()
