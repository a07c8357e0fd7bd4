"""Rate limiting: sliding one-second windows per API key.

``RateLimiter.try_acquire(key)`` admits at most ``limit`` events per key within any ``window``
seconds of the injected clock and records only admitted events, so a refused request does not
extend the penalty. A limit of 0 admits everything. (In-flight counting lives in the task store.)
"""

from __future__ import annotations

from collections import deque

from sandbox.clock import Clock


class RateLimiter:
    def __init__(self, limit: int, clock: Clock, window: float = 1.0) -> None:
        self.limit = limit
        self.clock = clock
        self.window = window
        self._events: dict[str, deque[float]] = {}

    def try_acquire(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may be admitted again (0 when it may now)."""
        events = self._events.get(key)
        if self.limit <= 0 or not events or len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window - self.clock())
