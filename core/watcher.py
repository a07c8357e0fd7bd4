"""The watcher: one loop that polls every in-flight DashScope task within a shared query budget.

DashScope allows 20 task queries (query + list + cancel) per second per account; the watcher spends a
configurable share of that (default 10/s, divided among the replicas alive) and never more: the budget is a
sliding window (``QueryWindow``), so no one-second span ever holds more than the share, bursts included.

When to look at each task comes from a ``core.polling.PollPlanner`` (sparse while a task cannot be near done,
dense around its expected end); without one, every ``min_interval`` seconds. With many tasks the budget is
shared out oldest-due-first, so the lag grows smoothly instead of bursting into 429s. When two or more
tasks are due together and a ``lister`` is given, ONE list query (``GET /tasks``, a *sweep*) reads them all:
a task the list shows finished is then read in full with its own query (the list carries no video URL),
and a watched task that was not even due but finished is seen too. A lister that fails for any reason
other than throttling or a transient error is switched off for good (a gateway may have no list route).

On a 429 every poll pauses (the budget is shared, so hammering one task hurts all); on a 5xx or a
connection error only that task backs off. Nothing transient ever stops the watching: the engine, which
owns a job's deadline, decides when to give up. The watcher reports each answer through ``on_result``
and each error through ``on_error``; it does not know about jobs, messages or the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.dashscope.client import MAX_LIST_WINDOW
from core.dashscope.models import TaskInfo, TaskPage, TaskStatus
from core.errors import DashScopeRateLimited, WanbotError
from core.polling import PollPlanner

log = logging.getLogger("wanbot.watcher")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
#: Reads every task of the key created since an epoch time (one list query): status and times only.
Lister = Callable[[float], Awaitable[Sequence[TaskInfo]]]

#: How far before the oldest watched task's submission a sweep's list window starts (clock skew).
SWEEP_MARGIN = 300.0


class TaskReader(Protocol):
    """The one client method the watcher needs (``core.dashscope.DashScopeClient.get_task``)."""

    async def get_task(self, task_id: str) -> object: ...


@dataclass
class _Watched:
    task_id: str
    next_due: float
    #: Local epoch time the task was submitted (where a sweep's list window must begin).
    since: float
    failures: int = 0
    status: TaskStatus | None = None
    #: Read this task with its own query next (a sweep did not list it, or listed it finished).
    read_alone: bool = False


class QueryWindow:
    """At most ``rate`` queries in any one-second span (at most one per ``1/rate`` s below 1/s).

    A sliding window, not a token bucket: a bucket's burst comes on top of its rate, which is how one
    second could hold 15 queries of a 10/s budget. Every query is stamped; the next may go when the
    ``count``-th latest stamp is ``span`` seconds old.
    """

    def __init__(self, rate: float, clock: Clock) -> None:
        self._clock = clock
        self._stamps: deque[float] = deque()
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.count = max(1, int(rate + 1e-9))
        self.span = self.count / rate

    def wait_time(self) -> float:
        """Seconds until one more query fits (0 when it does), without spending it."""
        now = self._clock()
        while len(self._stamps) > self.count:
            self._stamps.popleft()
        if len(self._stamps) < self.count:
            return 0.0
        # The 1 ms floor keeps float rounding from turning "almost due" into zero-length sleeps.
        wait = self._stamps[0] + self.span - now
        return 0.0 if wait <= 0 else max(0.001, wait)

    def take(self) -> None:
        self._stamps.append(self._clock())


class TaskLister(Protocol):
    """The list call a sweep needs (``core.dashscope.DashScopeClient.list_tasks``)."""

    async def list_tasks(self, *, start: datetime, end: datetime, page_size: int = 10) -> TaskPage: ...


def task_lister(client: object, clock: Clock, page_size: int = 100) -> Lister | None:
    """A sweep's one list query over ``client`` (None when the client cannot list): the newest
    ``page_size`` tasks created since the given epoch time (a task beyond them is read on its own)."""
    if not hasattr(client, "list_tasks"):
        return None
    lister: TaskLister = client

    async def list_since(since: float) -> Sequence[TaskInfo]:
        end = datetime.fromtimestamp(clock(), UTC) + timedelta(minutes=1)  # the service's may run ahead
        start = max(datetime.fromtimestamp(since, UTC), end - MAX_LIST_WINDOW + timedelta(minutes=1))
        page = await lister.list_tasks(start=start, end=end, page_size=page_size)
        return [row.as_task_info() for row in page.tasks]

    return list_since


class Watcher:
    """Polls watched tasks; call ``watch``/``unwatch`` from anywhere, run ``run()`` once."""

    def __init__(
        self,
        client: TaskReader,
        *,
        on_result: Callable[[str, object], Awaitable[None]],
        on_error: Callable[[str, WanbotError], Awaitable[None]] | None = None,
        clock: Clock,
        sleep: Sleep,
        queries_per_second: float = 10.0,
        min_interval: float = 1.0,
        max_backoff: float = 60.0,
        max_concurrent_polls: int = 8,
        rng: random.Random | None = None,
        planner: PollPlanner | None = None,
        lister: Lister | None = None,
    ) -> None:
        self._client = client
        self._on_result = on_result
        self._on_error = on_error
        self._clock = clock
        self._sleep = sleep
        self._budget = QueryWindow(queries_per_second, clock)
        self.min_interval = min_interval
        self.planner = planner
        self._lister = lister
        if planner is not None:
            planner.sweeps = lister is not None
        self.max_backoff = max_backoff
        self._rng = rng or random.Random()
        self._watched: dict[str, _Watched] = {}
        self._polling: set[str] = set()
        self._wake = asyncio.Event()
        self._paused_until = 0.0
        self._throttle_strikes = 0
        self._slots = asyncio.Semaphore(max_concurrent_polls)
        self._tasks: set[asyncio.Task[None]] = set()
        self.polls = 0

    # -- control -----------------------------------------------------------------------------------------

    def set_rate(self, queries_per_second: float) -> None:
        """Change the budget (a replica's share of the account's, as replicas come and go)."""
        self._budget.set_rate(queries_per_second)

    def watch(self, key: str, task_id: str, *, first_poll_in: float | None = None, shape: str | None = None,
              submitted: float | None = None) -> None:
        """Start polling ``task_id``; results are reported under ``key`` (the job id).

        ``shape`` (``core.durations.shape_of``) and ``submitted`` (local epoch time) let the planner
        time the looks; ``first_poll_in`` overrides the first one.
        """
        now = self._clock()
        since = now if submitted is None else submitted
        if self.planner is not None and shape is not None:
            self.planner.track(key, shape, submitted=since)
        if first_poll_in is not None:
            first = now + first_poll_in
        elif self.planner is not None:
            first = self.planner.first_due(key, now)
        else:
            first = now
        self._watched[key] = _Watched(task_id, first, since)
        self._wake.set()

    def unwatch(self, key: str) -> None:
        self._watched.pop(key, None)
        if self.planner is not None:
            self.planner.forget(key)

    def __contains__(self, key: object) -> bool:
        return key in self._watched

    def __len__(self) -> int:
        return len(self._watched)

    # -- the loop ----------------------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            while True:
                delay = self._time_to_next()
                if delay is None:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if delay > 0:
                    await self._sleep_or_wake(delay)
                    continue
                budget_wait = self._budget.wait_time()
                if budget_wait > 0:
                    await self._sleep(budget_wait)
                    continue
                due = self._due()
                if not due:
                    continue
                self._budget.take()
                await self._slots.acquire()
                sweep = self._sweepable(due)
                if self._lister is not None and len(sweep) >= 2:
                    self._polling.update(sweep)
                    self._start(self._sweep(sweep))
                else:
                    key = due[0]
                    self._polling.add(key)
                    self._start(self._poll(key, self._watched[key].task_id))
        finally:
            for task in list(self._tasks):
                task.cancel()
            for task in list(self._tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _time_to_next(self) -> float | None:
        ready = [w.next_due for k, w in self._watched.items() if k not in self._polling]
        if not ready:
            return None
        now = self._clock()
        return max(min(ready), self._paused_until) - now

    def _due(self) -> list[str]:
        """Keys whose look is due, most overdue first."""
        now = self._clock()
        due = sorted((w.next_due, k) for k, w in self._watched.items()
                     if k not in self._polling and w.next_due <= now)
        return [k for _, k in due]

    def _sweepable(self, due: list[str]) -> list[str]:
        """What one list query would read: the due tasks, and those due within ``min_interval`` (reading
        them a little early is free; their next look is planned from this answer)."""
        if self._lister is None:
            return []
        horizon = self._clock() + self.min_interval
        return [k for k, w in self._watched.items()
                if k not in self._polling and not w.read_alone and w.next_due <= horizon]

    def _start(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _plan(self, watched: _Watched, key: str, info: TaskInfo | None) -> None:
        now = self._clock()
        if self.planner is None:
            watched.next_due = now + self.min_interval
        else:
            watched.next_due = self.planner.next_due(key, now, info)

    async def _sleep_or_wake(self, delay: float) -> None:
        """Sleep up to ``delay``, returning early when a new task is watched."""
        self._wake.clear()
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (sleeper, waker):
                fut.cancel()

    async def _poll(self, key: str, task_id: str) -> None:
        try:
            self.polls += 1
            info = await self._client.get_task(task_id)
        except WanbotError as exc:
            self._after_error(key, exc)
            if self._on_error is not None:
                await self._on_error(key, exc)
        except Exception as exc:  # a bug must not kill the loop that watches everyone's videos
            log.exception("job %s: unexpected error polling task %s", key, task_id)
            self._after_error(key, WanbotError(repr(exc), retryable=True))
        else:
            self._throttle_strikes = 0
            watched = self._watched.get(key)
            if watched is not None:
                watched.failures = 0
                watched.read_alone = False
                if isinstance(info, TaskInfo):
                    watched.status = info.status
                self._plan(watched, key, info if isinstance(info, TaskInfo) else None)
            await self._report(key, task_id, info)
        finally:
            self._polling.discard(key)
            self._slots.release()
            self._wake.set()

    async def _report(self, key: str, task_id: str, info: object) -> None:
        try:
            await self._on_result(key, info)
        except Exception:  # the engine's bug must not end the watching of everyone else's tasks
            log.exception("job %s: handling the answer for task %s failed", key, task_id)

    async def _sweep(self, due: list[str]) -> None:
        """One list query for every due task (and news of any other watched task it happens to list)."""
        assert self._lister is not None
        try:
            self.polls += 1
            since = min((w.since for w in self._watched.values()), default=self._clock()) - SWEEP_MARGIN
            listed = {info.task_id: info for info in await self._lister(since)}
        except WanbotError as exc:
            self._sweep_failed(due, exc)
            return
        except Exception as exc:  # a bug in the list path must not stop the watching
            log.exception("task list sweep failed")
            self._sweep_failed(due, WanbotError(repr(exc), retryable=True))
            return
        else:
            self._throttle_strikes = 0
        finally:
            self._polling.difference_update(due)
            self._slots.release()
            self._wake.set()
        finished: list[str] = []
        for key, watched in list(self._watched.items()):
            info = listed.get(watched.task_id)
            was_due = key in due
            if info is None:
                if was_due:
                    watched.read_alone = True  # not listed (paged out, or not indexed yet): ask alone
                    watched.next_due = self._clock()
                continue
            if key in self._polling:
                continue
            if info.status.terminal:
                finished.append(key)  # the list has no video URL: read the task itself
                watched.read_alone = True
                watched.next_due = self._clock()
                continue
            changed = info.status is not watched.status
            if was_due or changed:
                # Reported like a poll's answer: the engine checks the job's own deadline on each one.
                watched.status = info.status
                watched.failures = 0
                self._plan(watched, key, info)
                await self._report(key, watched.task_id, info)
        if finished:
            self._wake.set()

    def _sweep_failed(self, due: list[str], exc: WanbotError) -> None:
        if isinstance(exc, DashScopeRateLimited) or exc.retryable:
            self._after_error(due[0], exc)  # one query failed: one strike, one back-off for all of them
            first = self._watched.get(due[0])
            for key in due[1:]:
                watched = self._watched.get(key)
                if watched is not None and first is not None:
                    watched.failures, watched.next_due = first.failures, first.next_due
            return
        # Not throttling, not transient: this endpoint has no usable list. Read each task on its own.
        log.warning("the task list failed (%s: %s); polling each task on its own from now on", exc.code,
                    exc.message)
        self._lister = None
        if self.planner is not None:
            self.planner.sweeps = False
        now = self._clock()
        for key in due:
            watched = self._watched.get(key)
            if watched is not None:
                watched.next_due = now

    def _after_error(self, key: str, exc: WanbotError) -> None:
        now = self._clock()
        if isinstance(exc, DashScopeRateLimited):
            # The query budget is per account: back everyone off together.
            self._throttle_strikes += 1
            pause = self._backoff(self._throttle_strikes)
            self._paused_until = max(self._paused_until, now + pause)
            log.warning("DashScope throttled task queries; pausing polls for %.1fs", pause)
        watched = self._watched.get(key)
        if watched is not None:
            watched.failures += 1
            watched.next_due = now + self._backoff(watched.failures)
            log.debug("job %s: poll of task %s failed (%s); retry in %.1fs", key, watched.task_id, exc.code,
                      watched.next_due - now)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.max_backoff, self.min_interval * 2 ** min(failures, 16))
        return self.min_interval + self._rng.uniform(0, ceiling)
