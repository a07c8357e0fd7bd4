"""Store writes that, once started, finish even when the caller is cancelled.

A task cancelled while it waits on a SQLite write (inside ``BEGIN IMMEDIATE``) leaves its connection
holding the database's write lock: SQLAlchemy gives up on the connection without rolling it back, so
every later write waits ``busy_timeout`` (10 s) and fails with "database is locked". That is what a
shutdown did whenever it cancelled a step mid-write (taking a slot, saving a state): the lease release
that follows failed after 10 s, and the next start had to wait for the leases to run out.

``completes`` runs the write in a task of its own and shields it: the caller's cancellation still
cancels the *caller* at once, but the write commits or rolls back and lets go of its connection. Every
write it guards is one the engine would redo or resume anyway (a state change, a lease, a slot, an
insert — the job then simply exists, as for a kill after the commit), so finishing it is always safe.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger("wanbot.store")

P = ParamSpec("P")
T = TypeVar("T")

#: Writes still finishing after their caller was cancelled (kept so they are not garbage-collected).
_finishing: set[asyncio.Task[Any]] = set()


def completes(write: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(write)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        task = asyncio.ensure_future(write(*args, **kwargs))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                _finishing.add(task)
                task.add_done_callback(_finished)
            raise

    return guarded


def _finished(task: asyncio.Task[Any]) -> None:
    _finishing.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.info("a store write finished after its caller was cancelled: %r", task.exception())


async def settle_writes() -> None:
    """Wait for writes still finishing after their callers were cancelled (before closing the store)."""
    if _finishing:
        await asyncio.gather(*list(_finishing), return_exceptions=True)


__all__ = ["completes", "settle_writes"]
