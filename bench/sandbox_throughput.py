"""Sustained throughput of the DashScope sandbox on loopback.

Runs the sandbox in-process (limits lifted, faults off, speed 1000) and drives it from a concurrent
aiohttp client on the same event loop for a bounded time per phase:

- ``create``: ``POST .../video-synthesis`` (tasks created/s)
- ``query``:  ``GET /tasks/{id}`` over the created tasks (task queries/s)
- ``list``:   ``GET /tasks?page_size=10`` (list pages/s)

Client and server share one core's event loop, so the figures are a floor for the server alone.

    python bench/sandbox_throughput.py [--seconds 3] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from sandbox import Limits, Sandbox, SandboxConfig

KEY = "sk-bench"
BODY = {"model": "wan2.7-t2v", "input": {"prompt": "a lighthouse at dusk"},
        "parameters": {"resolution": "720P", "ratio": "16:9", "duration": 5}}


async def _phase(name: str, seconds: float, concurrency: int,
                 one: Callable[[], Awaitable[int]]) -> tuple[str, int, int, float, list[float]]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status = await one()
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return name, len(latencies), errors, elapsed, latencies


async def run(seconds: float, concurrency: int) -> list[tuple[str, int, int, float, list[float]]]:
    config = SandboxConfig(speed=1000, api_key=KEY, limits=Limits.unlimited(), seed=1,
                           cache_dir=Path(tempfile.gettempdir()) / "wanbot-sandbox-bench")
    results = []
    async with Sandbox(config) as sb:
        connector = aiohttp.TCPConnector(limit=concurrency)
        auth = {"Authorization": f"Bearer {KEY}"}
        async with aiohttp.ClientSession(connector=connector, headers=auth) as session:
            create_url = sb.base_url + "/services/aigc/video-generation/video-synthesis"
            task_ids: list[str] = []

            async def create() -> int:
                async with session.post(create_url, json=BODY, headers={"X-DashScope-Async": "enable"}) as r:
                    data = await r.json()
                    if r.status == 200:
                        task_ids.append(data["output"]["task_id"])
                    return r.status

            async def query() -> int:
                async with session.get(f"{sb.base_url}/tasks/{random.choice(task_ids)}") as r:
                    await r.read()
                    return r.status

            async def list_page() -> int:
                async with session.get(f"{sb.base_url}/tasks", params={"page_size": "10"}) as r:
                    await r.read()
                    return r.status

            results.append(await _phase("create", seconds, concurrency, create))
            results.append(await _phase("query", seconds, concurrency, query))
            results.append(await _phase("list", seconds, concurrency, list_page))
        assert sb.stats.tasks_created(KEY) == results[0][1] - results[0][2]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each phase")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent client requests")
    args = parser.parse_args()
    logging.getLogger("wanbot.sandbox").setLevel(logging.WARNING)
    results = asyncio.run(run(args.seconds, args.concurrency))
    print(f"sandbox throughput, loopback, concurrency {args.concurrency}, {args.seconds:g} s per phase, "
          f"Python {sys.version.split()[0]}")
    print(f"{'phase':<8} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, count, errors, elapsed, lat in results:
        lat.sort()
        p50 = statistics.median(lat) * 1000 if lat else 0.0
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0
        print(f"{name:<8} {count:>9} {errors:>7} {count / elapsed:>9.0f} {p50:>8.2f} {p99:>8.2f}")


if __name__ == "__main__":
    main()
