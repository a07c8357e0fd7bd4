"""The watcher: one loop that polls every in-flight DashScope task within a shared query budget.

DashScope allows 20 task queries per second per account; the watcher spends a configurable share of
that (default 10/s) on the tasks it watches. Each task is polled at most every ``min_interval`` seconds
(about one second of detection lag when few tasks are in flight); with many tasks the budget is shared
out oldest-poll-first, so the lag grows smoothly instead of bursting into 429s.

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from core.errors import DashScopeRateLimited, WanbotError

log = logging.getLogger("wanbot.watcher")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class TaskReader(Protocol):
    """The one client method the watcher needs (``core.dashscope.DashScopeClient.get_task``)."""

    async def get_task(self, task_id: str) -> object: ...


@dataclass
class _Watched:
    task_id: str
    next_due: float
    failures: int = 0


class TokenBucket:
    """A budget of ``rate`` requests per second with bursts up to ``burst``, on an injected clock."""

    def __init__(self, rate: float, burst: float, clock: Clock) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()

    def wait_time(self) -> float:
        """Seconds until one token is available (0 when it is), without taking it."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        # The epsilon and the 1 ms floor keep float rounding (a clock near 1.8e9 s has ~0.2 µs steps)
        # from turning "almost one token" into an endless run of zero-length sleeps.
        if self._tokens >= 1 - 1e-6:
            return 0.0
        return max(0.001, (1 - self._tokens) / self.rate)

    def take(self) -> None:
        self._tokens -= 1


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
    ) -> None:
        self._client = client
        self._on_result = on_result
        self._on_error = on_error
        self._clock = clock
        self._sleep = sleep
        self._bucket = TokenBucket(queries_per_second, burst=max(1.0, queries_per_second / 2), clock=clock)
        self.min_interval = min_interval
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
        self._bucket.rate = queries_per_second
        self._bucket.burst = max(1.0, queries_per_second / 2)

    def watch(self, key: str, task_id: str, *, first_poll_in: float = 0.0) -> None:
        """Start polling ``task_id``; results are reported under ``key`` (the job id)."""
        self._watched[key] = _Watched(task_id, self._clock() + first_poll_in)
        self._wake.set()

    def unwatch(self, key: str) -> None:
        self._watched.pop(key, None)

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
                budget_wait = self._bucket.wait_time()
                if budget_wait > 0:
                    await self._sleep(budget_wait)
                    continue
                key = self._most_overdue()
                if key is None:
                    continue
                self._bucket.take()
                await self._slots.acquire()
                self._polling.add(key)
                task = asyncio.create_task(self._poll(key, self._watched[key].task_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
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

    def _most_overdue(self) -> str | None:
        now = self._clock()
        due = [(w.next_due, k) for k, w in self._watched.items() if k not in self._polling and w.next_due <= now]
        return min(due)[1] if due else None

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
                watched.next_due = self._clock() + self.min_interval
            try:
                await self._on_result(key, info)
            except Exception:  # the engine's bug must not end the watching of everyone else's tasks
                log.exception("job %s: handling the answer for task %s failed", key, task_id)
        finally:
            self._polling.discard(key)
            self._slots.release()
            self._wake.set()

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
            log.info("job %s: poll of task %s failed (%s); retry in %.1fs", key, watched.task_id, exc.code,
                     watched.next_due - now)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.max_backoff, self.min_interval * 2 ** min(failures, 16))
        return self.min_interval + self._rng.uniform(0, ceiling)
