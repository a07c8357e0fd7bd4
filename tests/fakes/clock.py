"""A virtual clock: ``sleep`` advances time instead of waiting, so tests never wait for real time."""

from __future__ import annotations

import asyncio


class FakeClock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        # Yield for real so other tasks run; a tiny real pause keeps a busy loop from starving the rest.
        await asyncio.sleep(0)
