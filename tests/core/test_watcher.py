"""The watcher's budget: ~1 s detection lag with few tasks, never more than the budget with many."""

from __future__ import annotations

import asyncio
from collections import Counter

from core.errors import DashScopeRateLimited
from core.watcher import Watcher
from tests.fakes.clock import FakeClock


class CountingReader:
    def __init__(self, clock: FakeClock, throttle_first: int = 0) -> None:
        self.clock = clock
        self.calls: list[tuple[float, str]] = []
        self.throttle_first = throttle_first

    async def get_task(self, task_id: str) -> object:
        self.calls.append((self.clock(), task_id))
        if self.throttle_first > 0:
            self.throttle_first -= 1
            raise DashScopeRateLimited("slow down", code="Throttling", http_status=429)
        return task_id


async def _run_for(watcher: Watcher, clock: FakeClock, seconds: float) -> None:
    start = clock()
    task = asyncio.create_task(watcher.run())
    for _ in range(200_000):  # virtual time only moves while the watcher sleeps; an idle one never does
        if clock() - start >= seconds:
            break
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_few_tasks_are_each_polled_about_once_a_second() -> None:
    clock = FakeClock()
    reader = CountingReader(clock)
    seen: list[str] = []

    async def on_result(key: str, info: object) -> None:
        seen.append(key)

    watcher = Watcher(reader, on_result=on_result, clock=clock, sleep=clock.sleep, queries_per_second=10,
                      min_interval=1.0)
    for i in range(3):
        watcher.watch(f"job{i}", f"task{i}")
    await _run_for(watcher, clock, 20)
    per_task = Counter(task for _, task in reader.calls)
    for count in per_task.values():
        assert 17 <= count <= 22  # about one poll a second: detection lag ≈ 1 s
    assert set(seen) == {"job0", "job1", "job2"}


async def test_many_tasks_share_the_budget_without_exceeding_it() -> None:
    clock = FakeClock()
    reader = CountingReader(clock)

    async def on_result(key: str, info: object) -> None:
        return None

    watcher = Watcher(reader, on_result=on_result, clock=clock, sleep=clock.sleep, queries_per_second=10,
                      min_interval=1.0)
    for i in range(50):
        watcher.watch(f"job{i}", f"task{i}")
    await _run_for(watcher, clock, 30)
    times = [t for t, _ in reader.calls]
    span = times[-1] - times[0]
    assert len(times) / span <= 10 * 1.1 + 0.5  # the budget, plus the initial burst
    per_task = Counter(task for _, task in reader.calls)
    assert min(per_task.values()) >= max(per_task.values()) - 2  # shared fairly, oldest poll first


async def test_throttling_pauses_everyone_then_recovers() -> None:
    clock = FakeClock()
    reader = CountingReader(clock, throttle_first=3)

    async def on_result(key: str, info: object) -> None:
        return None

    watcher = Watcher(reader, on_result=on_result, clock=clock, sleep=clock.sleep, queries_per_second=10,
                      min_interval=1.0)
    watcher.watch("job", "task")
    watcher.watch("other", "task2")
    await _run_for(watcher, clock, 60)
    assert reader.throttle_first == 0
    gaps = [b[0] - a[0] for a, b in zip(reader.calls, reader.calls[1:], strict=False)]
    assert max(gaps[:4]) > 1.0  # backed off after the 429s
    assert len(reader.calls) > 40  # and kept watching afterwards


async def test_unwatched_tasks_are_not_polled_again() -> None:
    clock = FakeClock()
    reader = CountingReader(clock)

    async def on_result(key: str, info: object) -> None:
        watcher.unwatch(key)

    watcher = Watcher(reader, on_result=on_result, clock=clock, sleep=clock.sleep)
    watcher.watch("job", "task")
    await _run_for(watcher, clock, 10)
    assert len(reader.calls) == 1 and "job" not in watcher
