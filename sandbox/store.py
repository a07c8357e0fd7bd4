"""The task store: creation, lookup, cancel, listing and expiry, per account (API key).

Tasks are kept in creation order; since every task lives the same time (``task_ttl / speed``),
expired ones sit at the front and are dropped in amortised O(1) on each create. A task is visible
only to the key that created it — another key sees ``UNKNOWN``, as another account would.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Iterable

from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.tasks import STUCK_TIMEOUT_SECONDS, Status, Task, plan_seconds
from sandbox.triggers import Outcome
from sandbox.validation import ImageJob, VideoJob


class TaskStore:
    def __init__(self, config: SandboxConfig, clock: Clock, rng: random.Random) -> None:
        self.config = config
        self.clock = clock
        self.rng = rng
        self._tasks: dict[str, Task] = {}
        self._order: deque[Task] = deque()
        self._by_key: dict[str, deque[Task]] = {}
        #: Per key, tasks that were in flight when last looked at.
        self._active: dict[str, list[Task]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def create(self, key_id: str, request_id: str, job: VideoJob | ImageJob,
               outcome: Outcome = Outcome.SUCCEED) -> Task:
        now = self.clock()
        self.prune(now)
        queue, run = plan_seconds(job, self.rng)
        if outcome is Outcome.STUCK:
            run = STUCK_TIMEOUT_SECONDS
        scale = self.config.scaled
        task = Task(
            task_id=str(uuid.uuid4()),
            key_id=key_id,
            request_id=request_id,
            job=job,
            outcome=outcome,
            created=now,
            scheduled=now + scale(queue),
            finished=now + scale(queue + run),
            expires=now + scale(self.config.limits.task_ttl_seconds),
        )
        self._tasks[task.task_id] = task
        self._order.append(task)
        self._by_key.setdefault(key_id, deque()).append(task)
        self._active.setdefault(key_id, []).append(task)
        return task

    def get(self, task_id: str, key_id: str | None = None) -> Task | None:
        """The live task, or ``None`` when unknown, expired or owned by another key."""
        task = self._tasks.get(task_id)
        if task is None or (key_id is not None and task.key_id != key_id):
            return None
        if task.status(self.clock()) is Status.UNKNOWN:
            return None
        return task

    def in_flight(self, key_id: str) -> int:
        now = self.clock()
        active = [t for t in self._active.get(key_id, ()) if t.in_flight(now)]
        self._active[key_id] = active
        return len(active)

    def tasks_of(self, key_id: str) -> Iterable[Task]:
        """Live tasks of a key, newest first."""
        now = self.clock()
        return (t for t in reversed(self._by_key.get(key_id, ())) if now < t.expires)

    def prune(self, now: float | None = None) -> int:
        now = self.clock() if now is None else now
        dropped = 0
        while self._order and self._order[0].expires <= now:
            task = self._order.popleft()
            self._tasks.pop(task.task_id, None)
            mine = self._by_key.get(task.key_id)
            if mine and mine[0] is task:
                mine.popleft()
                if not mine:
                    del self._by_key[task.key_id]
            dropped += 1
        return dropped
