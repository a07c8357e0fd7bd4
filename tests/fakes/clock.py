"""A virtual clock for tests: ``sleep`` waits for virtual time, which jumps ahead instead of passing.

Sleepers wait in a heap by wake-up time. A driver task (``start()``/``stop()``) repeatedly lets the
event loop run for a real millisecond — long enough for real I/O such as a SQLite write to land — and
then moves the clock to the earliest wake-up and releases that sleeper. Periodic loops (the watcher,
housekeeping) therefore interleave in virtual-time order, as they would in real time, while a test
covering hours of virtual time finishes in well under a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools


class FakeClock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        if self._driver is None:
            # No driver: the simple model, time jumps by the whole sleep at once.
            self.now += seconds
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), future))
        await future

    def start(self) -> None:
        if self._driver is None:
            self._driver = asyncio.create_task(self._drive())

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None

    async def _drive(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
                heapq.heappop(self._sleepers)
            if self._sleepers:
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
