"""One write transaction at a time in this process on SQLite, new jobs first: ``WriteGate``.

SQLite has one write lock per database. Before, every writer of the process (inserts, saves, leases) went
for it on its own pooled connection, and the losers slept in SQLite's busy handler, in growing steps,
with no order: under a burst the inserts a chat acknowledgement waits for could sleep behind a hundred
status saves (bench/acks.md: an insert waited up to 1.7 s). Here the process's writers take turns on
asyncio instead, in arrival order, and the insert batch (``core.store.batch``) is *urgent*: it goes next
whatever is waiting. Another process on the same file still meets the busy handler; PostgreSQL (row locks,
no database-wide write lock) is not gated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class WriteGate:
    def __init__(self, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Hold the process's write turn for one transaction (``urgent``: before every normal waiter)."""
        if not self._enabled:
            yield
            return
        if self._busy:
            waiter = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._normal).append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._pass_on()  # handed the turn just as we were cancelled: give it to the next one
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        for line in (self._urgent, self._normal):
            while line:
                waiter = line.popleft()
                if not waiter.done():  # a cancelled waiter left; the turn stays taken for the next one
                    waiter.set_result(None)
                    return
        self._busy = False


__all__ = ["WriteGate"]
