"""The fair queue in front of DashScope's in-flight limit.

Jobs wait here, grouped by user; ``pop`` serves users round-robin so one person queueing ten videos
cannot starve the channel. Pure data structure, no I/O, no clock: the engine decides when a slot is
free and calls ``pop``; tests drive it directly.

``order``/``positions`` are asked for on every status view and every pump: they cost O(Q + U log U) for
Q waiting jobs of U users, and are remembered until the queue next changes (``bench/positions.py``
measured 80 ms per call at Q = 1,000 and two calls per edited message before).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from types import MappingProxyType


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
        #: ``positions()`` as of the last change (``None``: the queue changed since).
        self._positions: Mapping[str, int] | None = None

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
        self._positions = None

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
        self._positions = None

    def remove(self, job_id: str) -> bool:
        user_key = self._owner.pop(job_id, None)
        if user_key is None:
            return False
        queue = self._by_user[user_key]
        queue.remove(job_id)
        if not queue:
            del self._by_user[user_key]
            del self._waiting_since[user_key]
        self._positions = None
        return True

    def order(self) -> list[str]:
        """Every waiting job in the order ``pop`` would return them (if nothing else arrives).

        Serving a user gives it the newest tick, which sends it behind everyone waiting: after the first
        pick the order is a plain rotation of the users, sorted once by their rank.
        """
        rotation = deque(sorted(self._by_user, key=lambda u: self._rank(u, self._last_served)))
        queues = {user: deque(self._by_user[user]) for user in rotation}
        out: list[str] = []
        while rotation:
            user_key = rotation.popleft()
            queue = queues[user_key]
            out.append(queue.popleft())
            if queue:
                rotation.append(user_key)
        return out

    def positions(self) -> Mapping[str, int]:
        """Job id → 1-based place in line (read-only; remembered until the queue changes)."""
        if self._positions is None:
            self._positions = MappingProxyType({job_id: i for i, job_id in enumerate(self.order(), start=1)})
        return self._positions

    def position(self, job_id: str) -> int | None:
        """``positions().get(job_id)``, in O(U + this user's jobs) when the line changed since it was last
        read: a new job's status shows its place, and a burst of accepts must not rebuild the whole line
        (O(Q)) once per accept.

        The order is rounds: round ``r`` serves the ``r``-th job of every user with more than ``r``, in the
        rotation's order (``order``). So the ``i``-th job (0-based) of user ``u`` comes after ``min(len, i)``
        jobs of every other user, after its own ``i`` earlier jobs, and after the round-``i`` job of each
        user ahead of ``u`` in the rotation that has one.
        """
        if self._positions is not None:
            return self._positions.get(job_id)
        user_key = self._owner.get(job_id)
        if user_key is None:
            return None
        index = self._by_user[user_key].index(job_id)
        place = 1 + index
        ahead = True
        for other in sorted(self._by_user, key=lambda u: self._rank(u, self._last_served)):
            if other == user_key:
                ahead = False
                continue
            waiting = len(self._by_user[other])
            place += min(waiting, index) + (1 if ahead and waiting > index else 0)
        return place

    def count_for(self, user_key: str) -> int:
        queue = self._by_user.get(user_key)
        return len(queue) if queue else 0
