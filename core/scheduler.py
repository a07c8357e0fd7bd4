"""The fair queue in front of DashScope's in-flight limit.

Jobs wait here, grouped by user; ``pop`` serves users round-robin so one person queueing ten videos
cannot starve the channel. Pure data structure, no I/O, no clock: the engine decides when a slot is
free and calls ``pop``; tests drive it directly.
"""

from __future__ import annotations

from collections import deque


class FairQueue:
    """Round-robin across users, first-in-first-out within a user.

    The next job comes from the waiting user who was served least recently (never beats ever; ties go
    to whoever started waiting first). So a user whose last job just left the queue does not jump
    ahead of someone already waiting when they queue again.
    """

    def __init__(self) -> None:
        self._by_user: dict[str, deque[str]] = {}
        self._owner: dict[str, str] = {}
        self._last_served: dict[str, int] = {}
        self._waiting_since: dict[str, int] = {}
        self._tick = 0

    def __len__(self) -> int:
        return len(self._owner)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._owner

    def push(self, job_id: str, user_key: str, *, front: bool = False) -> None:
        """Add a job; ``front`` puts it first for its user (a retry after DashScope said "busy")."""
        if job_id in self._owner:
            return
        self._tick += 1
        queue = self._by_user.get(user_key)
        if queue is None:
            queue = self._by_user[user_key] = deque()
            self._waiting_since[user_key] = self._tick
        if front:
            queue.appendleft(job_id)
        else:
            queue.append(job_id)
        self._owner[job_id] = user_key

    def _rank(self, user_key: str, served: dict[str, int]) -> tuple[int, int]:
        return served.get(user_key, -1), self._waiting_since[user_key]

    def peek(self) -> str | None:
        """The job ``pop`` would return, left in place (a caller that must first win a slot)."""
        if not self._by_user:
            return None
        user_key = min(self._by_user, key=lambda u: self._rank(u, self._last_served))
        return self._by_user[user_key][0]

    def pop(self) -> str | None:
        """The next job to run, or ``None``."""
        job_id = self.peek()
        if job_id is not None:
            self.take(job_id)
        return job_id

    def take(self, job_id: str) -> None:
        """Remove ``job_id`` as served: its user goes to the back of the rotation."""
        user_key = self._owner[job_id]
        self.remove(job_id)
        self._tick += 1
        self._last_served[user_key] = self._tick

    def remove(self, job_id: str) -> bool:
        user_key = self._owner.pop(job_id, None)
        if user_key is None:
            return False
        queue = self._by_user[user_key]
        queue.remove(job_id)
        if not queue:
            del self._by_user[user_key]
            del self._waiting_since[user_key]
        return True

    def order(self) -> list[str]:
        """Every waiting job in the order ``pop`` would return them (if nothing else arrives)."""
        queues = {user: list(q) for user, q in self._by_user.items()}
        served = dict(self._last_served)
        tick = self._tick
        out: list[str] = []
        while queues:
            user_key = min(queues, key=lambda u: self._rank(u, served))
            out.append(queues[user_key].pop(0))
            tick += 1
            served[user_key] = tick
            if not queues[user_key]:
                del queues[user_key]
        return out

    def positions(self) -> dict[str, int]:
        """Job id → 1-based place in line."""
        return {job_id: i for i, job_id in enumerate(self.order(), start=1)}

    def count_for(self, user_key: str) -> int:
        queue = self._by_user.get(user_key)
        return len(queue) if queue else 0
