"""The task record and its state machine, computed lazily from timestamps.

A task is planned once, at creation: when it leaves PENDING (``scheduled``), when it finishes
(``finished``) and how it ends (``Outcome``). Its state at any moment is a pure function of the
clock reading — no timers run — so a test can move a ``ManualClock`` and query again::

    PENDING --scheduled--> RUNNING --finished--> SUCCEEDED | FAILED
    PENDING --cancel--> CANCELED          (any state) --expires--> UNKNOWN

Generation times at speed 1 follow the vendor's description (1–5 minutes typical; 720P 5 s about
70–140 s; 1080P and long clips longer); ``plan_seconds`` holds the model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from sandbox.errors import MSG_INSPECTION_OUTPUT, MSG_INTERNAL, MSG_TIMEOUT
from sandbox.triggers import Outcome
from sandbox.validation import ImageJob, VideoJob

#: The service gives up on a task after 3 hours (InternalError.Timeout), before dividing by speed.
STUCK_TIMEOUT_SECONDS = 3 * 3600.0

#: Queue wait (PENDING) at speed 1: the vendor's examples show 9–11 s.
QUEUE_SECONDS = (3.0, 12.0)
#: Run time of a 720P 5 s clip on wan2.7 at speed 1.
BASE_RUN_SECONDS = (70.0, 140.0)
#: Relative cost of a model and of a resolution class.
MODEL_FACTOR = {"wan2.1-t2v-turbo": 0.6, "wan2.2-t2v-plus": 0.8, "wan2.1-t2v-plus": 0.9}
RESOLUTION_FACTOR = {"480P": 0.7, "720P": 1.0, "1080P": 1.8}
#: No video task finishes sooner than this (queue + run) at speed 1.
MIN_TOTAL_SECONDS = 60.0
#: Image generation at speed 1 (per request, any n).
IMAGE_RUN_SECONDS = (8.0, 25.0)


class Status(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    UNKNOWN = "UNKNOWN"


TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELED, Status.UNKNOWN})


def duration_factor(seconds: int) -> float:
    """Run time grows with clip length, sub-linearly: 5 s → 1.0, 10 s → 1.6, 15 s → 2.2."""
    return 0.4 + 0.6 * seconds / 5


def plan_seconds(job: VideoJob | ImageJob, rng: random.Random) -> tuple[float, float]:
    """(queue, run) seconds at speed 1 for ``job``, with jitter drawn from ``rng``."""
    queue = rng.uniform(*QUEUE_SECONDS)
    if isinstance(job, ImageJob):
        return queue, rng.uniform(*IMAGE_RUN_SECONDS)
    base = rng.uniform(*BASE_RUN_SECONDS)
    factor = (MODEL_FACTOR.get(job.model, 1.0) * RESOLUTION_FACTOR.get(job.resolution, 1.0)
              * duration_factor(job.duration))
    # The vendor's floor: "1–5 minutes" even for the cheapest clip.
    return queue, max(base * factor, MIN_TOTAL_SECONDS - queue)


@dataclass
class Task:
    """One asynchronous task; times are clock readings (unix seconds)."""

    task_id: str
    key_id: str
    request_id: str
    job: VideoJob | ImageJob
    outcome: Outcome
    created: float
    scheduled: float
    finished: float
    expires: float
    canceled_at: float | None = None

    @property
    def model(self) -> str:
        return self.job.model

    @property
    def is_image(self) -> bool:
        return isinstance(self.job, ImageJob)

    def status(self, now: float) -> Status:
        if now >= self.expires:
            return Status.UNKNOWN
        if self.canceled_at is not None:
            return Status.CANCELED
        if now < self.scheduled:
            return Status.PENDING
        if now < self.finished:
            return Status.RUNNING
        return Status.SUCCEEDED if self.outcome is Outcome.SUCCEED else Status.FAILED

    def in_flight(self, now: float) -> bool:
        return self.status(now) in (Status.PENDING, Status.RUNNING)

    def end_time(self, now: float) -> float | None:
        """When the task reached its terminal state, or ``None`` while it has not."""
        if self.canceled_at is not None:
            return self.canceled_at
        return self.finished if now >= self.finished else None

    def failure(self) -> tuple[str, str]:
        """(code, message) of a FAILED task."""
        if self.outcome is Outcome.REJECT:
            return "DataInspectionFailed", MSG_INSPECTION_OUTPUT
        if self.outcome is Outcome.STUCK:
            return "InternalError.Timeout", MSG_TIMEOUT
        return "InternalError", MSG_INTERNAL

    def cancel(self, now: float) -> bool:
        """Cancel if PENDING; ``False`` (and no change) otherwise."""
        if self.status(now) is not Status.PENDING:
            return False
        self.canceled_at = now
        return True
