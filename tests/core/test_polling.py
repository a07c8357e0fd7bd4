"""The poll planner: sparse while a task cannot be done, dense around its expected end, gentle after it."""

from __future__ import annotations

from datetime import UTC, datetime

from core.dashscope import TaskInfo, TaskStatus
from core.durations import Durations
from core.polling import PollPlanner, PollPolicy

SHAPE = "wan2.7-t2v/720P/5"  # prior: queue 2–15 s, run 70–140 s → finishes 72–155 s after submission
T0 = 1_790_000_000.0


def planner(**policy: float) -> PollPlanner:
    return PollPlanner(Durations(), PollPolicy(**policy))


def looks(p: PollPlanner, key: str, until: float, info: TaskInfo | None = None) -> list[float]:
    """The times the planner would look at ``key`` from its first look until ``until`` (answers: ``info``)."""
    at = [p.first_due(key, T0)]
    while at[-1] < until:
        at.append(p.next_due(key, at[-1], info))
    return at


def test_sparse_until_the_window_then_dense_landing_exactly_on_it() -> None:
    p = planner(min_interval=1.0, solo_interval=3.0, max_interval=15.0)
    p.track("job", SHAPE, submitted=T0)
    at = [t - T0 for t in looks(p, "job", T0 + 160)]
    assert at[0] == 15.0  # the end of the usual queue wait: an early failure or the start is seen
    before = [t for t in at if t < 72]
    assert all(b - a <= 15.0 for a, b in zip(before, before[1:], strict=False))
    assert len(before) <= 5
    assert 72.0 in at  # lands on the earliest expected end
    inside = [t for t in at if 72 <= t < 155]
    assert all(abs((b - a) - 3.0) < 1e-9 for a, b in zip(inside, inside[1:], strict=False))
    assert len(at) < 45  # vs 160 looks at one a second


def test_an_overrun_backs_off_up_to_the_longest_gap() -> None:
    p = planner(min_interval=1.0, max_interval=15.0, overrun_growth=0.25)
    p.track("job", SHAPE, submitted=T0)
    at = looks(p, "job", T0 + 600)
    gaps = [b - a for a, b in zip(at, at[1:], strict=False) if a > T0 + 160]
    assert gaps == sorted(gaps) and max(gaps) == 15.0


def test_the_start_time_narrows_the_window() -> None:
    p = planner()
    p.track("job", SHAPE, submitted=T0)
    running = TaskInfo(task_id="t", status=TaskStatus.RUNNING,
                       submit_time=datetime.fromtimestamp(T0, UTC), scheduled_time=datetime.fromtimestamp(T0 + 3, UTC))
    p.next_due("job", T0 + 15, running)
    assert p.expected_end("job") == (T0 + 3 + 70, T0 + 3 + 140)


def test_tasks_inside_their_windows_together_are_looked_at_more_often() -> None:
    p = planner(min_interval=1.0, solo_interval=3.0)
    for i in range(3):
        p.track(f"job{i}", SHAPE, submitted=T0 + i)
    now = T0 + 100  # inside all three windows
    assert p.next_due("job0", now) - now == 1.0  # one list query reads all three: 3 s / 3
    p.sweeps = False  # no list (a gateway): each look is its own query
    assert p.next_due("job0", now) - now == 3.0


def test_an_untracked_task_is_polled_every_min_interval() -> None:
    p = planner(min_interval=1.0)
    assert p.first_due("resumed", T0) == T0 + 1.0 and p.next_due("resumed", T0) == T0 + 1.0
