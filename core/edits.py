"""Status edits on their way from the job book to ``ChatPort.edit_status``: coalesced per message,
most urgent first, and never faster than the platform allows.

Each port declares the limit a message's edits count against (``ChatPort.edit_budget``: Slack's
``chat.update`` is Tier 3, ~50 a minute per workspace; Discord allows 5 edits per 5 s per channel). Edits
sharing a limit draw on one token bucket. ``EditScheduler.edit`` sends at once while the bucket has a
token and nothing at least as urgent waits in it; otherwise the view waits in the bucket, one slot per
message, and a newer view of that message replaces the waiting one (latest wins: a message whose job
moved twice while it waited is edited once, to what it shows now). Waiting edits go out as tokens come
back: a terminal state first, then any other state change, then a queue-position move; oldest first
within a rank.

Promises:

* never more edits in a bucket than its rate and burst allow;
* one edit per message in flight at a time, so an older view never lands after a newer one;
* a waiting view is replaced only by a newer one of the same message (always rendered from the job's
  current state), so a job's final state, once asked for, is the one its message ends on;
* when a waiting edit has been tried, ``done(view, ok)`` is called, for the caller's bookkeeping (the job
  book stores what the message shows; a failed edit stays behind and is retried by it).

When the budget allows, nothing waits and every state is shown; only a burst beyond the budget makes a
message skip an intermediate state it no longer is in. Pure scheduling: the clock, sleep and the way
background drains are started are given to it; nothing here knows a platform.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from core.errors import WanbotError
from core.port import ChatPort, EditBudget, MessageRef, StatusView

log = logging.getLogger("wanbot.edits")

#: Called once a waiting edit has been tried: the view sent and whether it landed.
Done = Callable[[StatusView, bool], Awaitable[None]]


class Urgency(IntEnum):
    """What an edit shows that the message does not yet: higher goes first."""

    POSITION = 0
    STATE = 1
    TERMINAL = 2


@dataclass
class _Waiting:
    port: ChatPort
    ref: MessageRef
    view: StatusView
    urgency: Urgency
    seq: int
    done: Done


@dataclass
class _Bucket:
    budget: EditBudget
    tokens: float
    stamp: float
    waiting: dict[MessageRef, _Waiting] = field(default_factory=dict)
    draining: bool = False
    #: Set when a message's edit in flight finishes: a drain waiting only on busy messages looks again.
    freed: asyncio.Event = field(default_factory=asyncio.Event)

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(float(self.budget.burst), self.tokens + elapsed * self.budget.per_second)
        self.stamp = now

    def next_due(self, busy: set[MessageRef]) -> _Waiting | None:
        ready = [w for w in self.waiting.values() if w.ref not in busy]
        return max(ready, key=lambda w: (w.urgency, -w.seq)) if ready else None

    def waits_at_least(self, urgency: Urgency) -> bool:
        return any(w.urgency >= urgency for w in self.waiting.values())


class EditScheduler:
    def __init__(
        self,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        spawn: Callable[[Coroutine[Any, Any, None]], None] | None = None,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._spawn = spawn or self._own_task
        self._tasks: set[asyncio.Task[None]] = set()
        self._buckets: dict[str, _Bucket] = {}
        self._seq = itertools.count()
        #: Messages with an edit on its way to the platform right now.
        self._in_flight: set[MessageRef] = set()

    def waiting(self) -> int:
        """Edits waiting for their bucket's budget (all buckets)."""
        return sum(len(b.waiting) for b in self._buckets.values())

    def discard(self, ref: MessageRef) -> None:
        """Forget the edit of ``ref`` still waiting, if any (its job is another replica's now)."""
        for bucket in self._buckets.values():
            bucket.waiting.pop(ref, None)

    async def edit(self, port: ChatPort, ref: MessageRef, view: StatusView, *, urgency: Urgency,
                   done: Done) -> bool:
        """Edit ``ref`` to ``view`` now if the budget allows (``True``: it landed; a ``WanbotError`` from the
        port propagates), else leave it waiting and return ``False`` (``done`` follows once it was tried)."""
        bucket = self._bucket(port.edit_budget(ref))
        bucket.refill(self.clock())
        older = bucket.waiting.pop(ref, None)
        if older is not None:
            # Latest wins, keeping the place in line and the urgency of what the message has not shown yet.
            urgency = max(urgency, older.urgency)
        if ref not in self._in_flight and bucket.tokens >= 1 and not bucket.waits_at_least(urgency):
            bucket.tokens -= 1
            await self._send(bucket, port, ref, view)
            return True
        seq = older.seq if older is not None else next(self._seq)
        bucket.waiting[ref] = _Waiting(port, ref, view, urgency, seq, done)
        if not bucket.draining:
            bucket.draining = True
            self._spawn(self._drain(bucket))
        return False

    async def _send(self, bucket: _Bucket, port: ChatPort, ref: MessageRef, view: StatusView) -> None:
        self._in_flight.add(ref)
        try:
            await port.edit_status(ref, view)
        finally:
            self._in_flight.discard(ref)
            bucket.freed.set()

    async def _drain(self, bucket: _Bucket) -> None:
        """Send the bucket's waiting edits as its tokens come back; ends when none is left."""
        try:
            while bucket.waiting:
                bucket.refill(self.clock())
                if bucket.tokens < 1:
                    await self.sleep((1 - bucket.tokens) / bucket.budget.per_second)
                    continue
                item = bucket.next_due(self._in_flight)
                if item is None:  # every waiting message has an edit in flight: wait for one to finish
                    bucket.freed.clear()
                    await bucket.freed.wait()
                    continue
                del bucket.waiting[item.ref]
                bucket.tokens -= 1
                ok = True
                self._in_flight.add(item.ref)  # held through ``done``: its bookkeeping is part of the edit
                try:
                    try:
                        await item.port.edit_status(item.ref, item.view)
                    except WanbotError as exc:
                        log.warning("job %s: status edit failed (%s); will retry", item.view.job_id, exc.code)
                        ok = False
                    except Exception:  # a bug in a port must not strand every other edit of the bucket
                        log.exception("job %s: status edit crashed", item.view.job_id)
                        ok = False
                    try:
                        await item.done(item.view, ok)
                    except Exception:
                        log.exception("job %s: recording a status edit failed", item.view.job_id)
                finally:
                    self._in_flight.discard(item.ref)
                    bucket.freed.set()
        finally:
            bucket.draining = False

    def _bucket(self, budget: EditBudget) -> _Bucket:
        bucket = self._buckets.get(budget.key)
        if bucket is None:
            bucket = self._buckets[budget.key] = _Bucket(budget, float(budget.burst), self.clock())
        else:
            bucket.budget = budget  # a port may revise its limit (a plan change): the newest one counts
        return bucket

    def _own_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


__all__ = ["Done", "EditScheduler", "Urgency"]
