"""Coalesced runs of a step that looks at the current state (``Coalesced``): many callers, few runs.

The engine fills free DashScope slots and refreshes queue positions after every change: each accept,
each finished task, each cancel calls it. Run once per call (one after the other, behind a lock), a burst
of 5,000 accepts made 5,000 runs, each reading the whole queue: O(Q²) of CPU for one answer. A step that
only looks at the state *now* needs one run after the latest change, not one per change. Here a caller
that arrives while a run is going waits for the *next* run, which every caller arriving meanwhile shares
and which starts after the current one ends, so it sees every change made before any of their calls.
Nothing is skipped that a caller could be waiting for: when ``__call__`` returns, a run that started
after the call has finished.

The runs happen in a task of their own (started by ``spawn`` so the owner can cancel it at stop); a
cancelled caller stops waiting but does not stop the run others share. An error of a run is raised in
every caller of that run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


def _retrieved(future: asyncio.Future[None]) -> None:
    # Every caller of a failed run may have been cancelled meanwhile: read the error here, so asyncio does
    # not log "exception was never retrieved".
    if not future.cancelled():
        future.exception()


class Coalesced:
    def __init__(self, step: Callable[[], Awaitable[None]], *,
                 spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]] | None = None) -> None:
        self._step = step
        self._spawn = spawn or asyncio.create_task
        #: The run the next caller waits for (not started yet), if any.
        self._next: asyncio.Future[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        #: Runs made (for tests and benchmarks: how many calls were coalesced).
        self.runs = 0

    async def __call__(self) -> None:
        """Run the step (or join the run that starts next) and return once it has finished."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieved)
        future = self._next
        if self._runner is None or self._runner.done():
            self._runner = self._spawn(self._run())
        await asyncio.shield(future)

    async def _run(self) -> None:
        future: asyncio.Future[None] | None = None
        try:
            while self._next is not None:
                future, self._next = self._next, None
                self.runs += 1
                try:
                    await self._step()
                except Exception as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(None)
        finally:
            # Cancelled (the engine stopped): nobody may wait forever for a run that will not come.
            for left in (future, self._next):
                if left is not None and not left.done():
                    left.cancel()
            self._next = None


__all__ = ["Coalesced"]
