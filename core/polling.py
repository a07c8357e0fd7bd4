"""When to look at a DashScope task next: sparse while it cannot be near done, dense around its expected end.

The watcher (``core.watcher``) asks ``PollPlanner.next_due`` after every answer; the planner knows each
task's shape and when it was submitted (``track``) and asks ``core.durations.Durations`` when tasks of that
shape usually finish. For one task, with ``[low, high]`` its expected end:

* **first look** at the end of the usual queue wait (``queue_window``'s high end): a task that failed at
  once is seen early, and a running one tells its ``scheduled_time`` — from then on the window is counted
  from when it really started (``run_window``), which narrows it by the queue's spread;
* **before ``low``**: one look every ``max_interval`` at most, the last one landing on ``low``;
* **inside ``[low, high]``**: every ``solo_interval`` seconds, divided by the number of tasks inside
  their own windows at the same time (never below ``min_interval``). The watcher reads all of those with
  one list query (a *sweep*), so the queries the key spends per second stay the same as for one task while
  each task is seen more often;
* **after ``high``** (slower than any task seen): the gap grows with the overrun, up to ``max_interval``.

A task the planner does not know (resumed before its shape was tracked) is polled every ``min_interval``.
All times are the watcher's clock; spans come from ``Durations`` in the service's own seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.dashscope.models import TaskInfo, TaskStatus
from core.durations import Durations


@dataclass(frozen=True)
class PollPolicy:
    #: The densest polling (also the spacing for tasks the planner does not know).
    min_interval: float = 1.0
    #: Spacing inside the expected window when this task is the only one there.
    solo_interval: float = 2.0
    #: The sparsest polling: the longest a task ever goes unlooked-at.
    max_interval: float = 15.0
    #: After the window: each second of overrun adds this much to the gap.
    overrun_growth: float = 0.25


@dataclass
class _Track:
    shape: str
    #: Local time of the submission (the create's answer, or the stored submit time on a resume).
    submitted: float
    #: Service seconds from submission to start, once an answer carried ``scheduled_time``.
    started_after: float | None = None


class PollPlanner:
    """Plans each watched task's next look from its shape's history (``Durations``)."""

    def __init__(self, durations: Durations, policy: PollPolicy | None = None) -> None:
        self.durations = durations
        self.policy = policy or PollPolicy()
        self._tracks: dict[str, _Track] = {}
        #: Whether several tasks can be read with one query (the watcher turns this off without a list).
        self.sweeps = True

    def track(self, key: str, shape: str, *, submitted: float) -> None:
        self._tracks[key] = _Track(shape, submitted)

    def forget(self, key: str) -> None:
        self._tracks.pop(key, None)

    def first_due(self, key: str, now: float) -> float:
        track = self._tracks.get(key)
        if track is None:
            return now + self.policy.min_interval
        low, _ = self._window(track)
        queue_end = track.submitted + self.durations.queue_window(track.shape)[1]
        return max(now + self.policy.min_interval, min(queue_end, low))

    def next_due(self, key: str, now: float, info: TaskInfo | None = None) -> float:
        """When to look again after an answer (``info``) read at ``now``."""
        policy = self.policy
        track = self._tracks.get(key)
        if track is None:
            return now + policy.min_interval
        if (
            info is not None and info.status is not TaskStatus.PENDING and track.started_after is None
            and info.scheduled_time is not None and info.submit_time is not None
        ):
            track.started_after = max(0.0, (info.scheduled_time - info.submit_time).total_seconds())
        low, high = self._window(track)
        if now < low:
            return min(low, now + policy.max_interval)
        if now < high:
            return now + self._dense_interval(now)
        gap = policy.min_interval + (now - high) * policy.overrun_growth
        return now + min(policy.max_interval, gap)

    def expected_end(self, key: str) -> tuple[float, float] | None:
        """``(low, high)`` local times the task is expected to finish between (None when not tracked)."""
        track = self._tracks.get(key)
        return None if track is None else self._window(track)

    def _window(self, track: _Track) -> tuple[float, float]:
        if track.started_after is not None:
            run_low, run_high = self.durations.run_window(track.shape)
            start = track.submitted + track.started_after
            return start + run_low, start + run_high
        low, high = self.durations.window(track.shape)
        return track.submitted + low, track.submitted + high

    def _dense_interval(self, now: float) -> float:
        sharing = 1
        if self.sweeps:
            sharing = sum(1 for t in self._tracks.values() if self._inside(t, now))
        return max(self.policy.min_interval, self.policy.solo_interval / max(1, sharing))

    def _inside(self, track: _Track, now: float) -> bool:
        low, high = self._window(track)
        return low <= now < high


__all__ = ["PollPlanner", "PollPolicy"]
