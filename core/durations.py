"""How long DashScope takes: the queue wait and the run time of each task shape, learnt from this deployment.

A *shape* is what makes a task slower or faster: model, resolution class and clip length (``shape_of``).
For each shape the estimator keeps the latest ``keep`` samples of two spans, both measured on the
service's own clock so that a skewed local clock cannot bias them:

* **queue** — ``scheduled_time − submit_time`` (PENDING until a worker took it);
* **run** — ``end_time − scheduled_time`` (RUNNING until SUCCEEDED).

``window(shape)`` answers the span a task of that shape is expected to finish in, as seconds after its
submission ``(low, high)``, and ``run_window(shape)`` the same after it started running. With fewer than
``min_samples`` samples the answer is the prior: the reference's typical times (``../shared/docs/
dashscope-wan.md``: "720P 5 s often 70–140 s", "1–5 minutes"), scaled by resolution and clip length. With
enough samples it is the samples' range, widened by ``margin`` on each side, so one unusually fast or slow
task widens the window rather than being missed.

The store primes it at start (``prime``, from the local times of recently delivered jobs — within a poll
interval of the service's); each SUCCEEDED answer adds a precise sample (``learn``). The estimator is a
plain in-memory object: losing it on a restart costs a few extra polls until ``prime`` runs, never a video.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from core.jobs import Job, JobState

#: Prior run time (seconds, RUNNING → SUCCEEDED) of a 720P 5 s clip, from the reference.
PRIOR_RUN_720P_5S = (70.0, 140.0)
#: Prior queue wait (PENDING → RUNNING): the vendor's examples show about 10 s.
PRIOR_QUEUE = (2.0, 15.0)
#: Prior for image tasks (the reference: "usually 1–2 minutes" for the slowest, often far less).
PRIOR_IMAGE_RUN = (5.0, 120.0)
#: How much a resolution class costs relative to 720P. The reference gives no figure; 1080P "can
#: exceed 5 min" for long clips, which 1.8× reproduces. Wrong priors only cost polls until samples arrive.
_RESOLUTION_FACTOR = {"480P": 0.7, "720P": 1.0, "1080P": 1.8}


def shape_of(request: object) -> str:
    """``"wan2.7-t2v/720P/5"``: the parts of a request that decide how long its task runs."""
    model = getattr(request, "model", "?")
    if getattr(request, "kind", "video") == "image":
        return f"{model}/image"
    resolution = getattr(request, "resolution", None) or "720P"
    duration = getattr(request, "duration", None) or 5
    return f"{model}/{resolution}/{duration}"


def _length_factor(seconds: int) -> float:
    # Longer clips take longer, but not proportionally (a fixed part of the work is per task).
    return 0.4 + 0.6 * seconds / 5


def prior_run(shape: str) -> tuple[float, float]:
    parts = shape.split("/")
    if len(parts) == 2:
        return PRIOR_IMAGE_RUN
    resolution, seconds = parts[1], int(parts[2]) if parts[2].isdigit() else 5
    factor = _RESOLUTION_FACTOR.get(resolution, 1.0) * _length_factor(seconds)
    low, high = PRIOR_RUN_720P_5S
    return low * factor, high * factor


@dataclass
class _Samples:
    queue: deque[float]
    run: deque[float]


class Durations:
    """Queue and run spans per task shape, with priors until the deployment has its own history."""

    def __init__(self, *, keep: int = 50, min_samples: int = 3, margin: float = 0.05, scale: float = 1.0) -> None:
        self.keep = keep
        self.min_samples = min_samples
        self.margin = margin
        #: Multiplies the priors (the sandbox runs tasks ``speed`` times faster than the service).
        self.scale = scale
        self._by_shape: dict[str, _Samples] = {}

    def _samples(self, shape: str) -> _Samples:
        found = self._by_shape.get(shape)
        if found is None:
            found = self._by_shape[shape] = _Samples(deque(maxlen=self.keep), deque(maxlen=self.keep))
        return found

    def learn(self, shape: str, *, submitted: datetime | None, scheduled: datetime | None,
              ended: datetime | None) -> None:
        """Add one finished task's spans (any missing time skips the span it is needed for)."""
        samples = self._samples(shape)
        if submitted is not None and scheduled is not None:
            queue = (scheduled - submitted).total_seconds()
            if queue >= 0:
                samples.queue.append(queue)
        if scheduled is not None and ended is not None:
            run = (ended - scheduled).total_seconds()
            if run > 0:
                samples.run.append(run)

    def prime(self, jobs: Iterable[Job]) -> int:
        """Learn from delivered jobs' stored state times (oldest first); returns how many were used."""
        used = 0
        for job in jobs:
            ended = job.entered(JobState.SUCCEEDED)
            scheduled = job.entered(JobState.RUNNING)
            if ended is None or scheduled is None:
                continue
            self.learn(shape_of(job.request), submitted=job.entered(JobState.PENDING), scheduled=scheduled,
                       ended=ended)
            used += 1
        return used

    def _range(self, values: deque[float], prior: tuple[float, float]) -> tuple[float, float]:
        if len(values) < self.min_samples:
            return prior[0] * self.scale, prior[1] * self.scale
        return min(values) * (1 - self.margin), max(values) * (1 + self.margin)

    def queue_window(self, shape: str) -> tuple[float, float]:
        return self._range(self._samples(shape).queue, PRIOR_QUEUE)

    def run_window(self, shape: str) -> tuple[float, float]:
        """Seconds after the task started running in which it is expected to finish."""
        return self._range(self._samples(shape).run, prior_run(shape))

    def window(self, shape: str) -> tuple[float, float]:
        """Seconds after submission in which a task of ``shape`` is expected to finish."""
        queue_low, queue_high = self.queue_window(shape)
        run_low, run_high = self.run_window(shape)
        return queue_low + run_low, queue_high + run_high

    def typical(self, shape: str) -> float | None:
        """Seconds a task of ``shape`` usually takes here, submission to result (the medians of its queue and
        run samples), or None until this deployment has seen ``min_samples`` of them: no prior is shown
        to people as "usually"."""
        samples = self._samples(shape)
        if len(samples.run) < self.min_samples:
            return None
        queue = median(samples.queue) if samples.queue else 0.0
        return queue + median(samples.run)

    def samples(self, shape: str) -> int:
        return len(self._samples(shape).run)
