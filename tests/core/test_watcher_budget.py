"""The watcher's query budget and list sweeps: never over the share in any second; one list for many."""

from __future__ import annotations

from collections.abc import Sequence

from core.dashscope import TaskInfo, TaskStatus
from core.errors import DashScopeError, TransportError
from core.watcher import QueryWindow, Watcher
from tests.core.test_watcher import _run_for as run_for
from tests.fakes.clock import FakeClock


def most_in_one_second(times: Sequence[float]) -> int:
    ordered, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - 1.0 + 1e-9:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class Service:
    """Answers task queries and lists from a table of statuses, recording each call's time."""

    def __init__(self, clock: FakeClock, statuses: dict[str, TaskStatus]) -> None:
        self.clock = clock
        self.statuses = statuses
        self.gets: list[tuple[float, str]] = []
        self.lists: list[float] = []
        self.list_error: Exception | None = None
        self.unlisted: set[str] = set()

    async def get_task(self, task_id: str) -> TaskInfo:
        self.gets.append((self.clock(), task_id))
        return TaskInfo(task_id=task_id, status=self.statuses[task_id])

    async def list_since(self, since: float) -> Sequence[TaskInfo]:
        self.lists.append(self.clock())
        if self.list_error is not None:
            raise self.list_error
        return [TaskInfo(task_id=t, status=s) for t, s in self.statuses.items() if t not in self.unlisted]


def sweeping_two(service: Service, clock: FakeClock) -> Watcher:
    """A watcher with a lister over ``service``, watching task0 and task1 (answers ignored)."""

    async def on_result(key: str, info: object) -> None:
        return None

    watcher = Watcher(service, on_result=on_result, clock=clock, sleep=clock.sleep, min_interval=1.0,
                      lister=service.list_since)
    watcher.watch("job0", "task0")
    watcher.watch("job1", "task1")
    return watcher


async def test_no_second_ever_holds_more_queries_than_the_share() -> None:
    # Observed on main: 29 task queries in one second. A token bucket's burst came on top of its rate.
    clock = FakeClock()
    service = Service(clock, {f"task{i}": TaskStatus.RUNNING for i in range(60)})

    async def on_result(key: str, info: object) -> None:
        return None

    watcher = Watcher(service, on_result=on_result, clock=clock, sleep=clock.sleep, queries_per_second=10,
                      min_interval=1.0)
    for i in range(60):
        watcher.watch(f"job{i}", f"task{i}")
    await run_for(watcher, clock, 30)
    times = [t for t, _ in service.gets]
    assert len(times) > 250  # the share is used...
    assert most_in_one_second(times) <= 10  # ...and never exceeded, not even at the start


def test_the_window_spaces_queries_below_one_a_second() -> None:
    clock = FakeClock()
    window = QueryWindow(0.5, clock)  # 20 replicas sharing 10/s
    window.take()
    assert window.wait_time() == 2.0
    window.set_rate(4)
    for _ in range(3):
        window.take()
    assert window.wait_time() > 0  # four in the last second


async def test_one_list_reads_every_task_due_and_finished_ones_are_then_read_in_full() -> None:
    clock = FakeClock()
    statuses = {f"task{i}": TaskStatus.RUNNING for i in range(5)}
    service = Service(clock, statuses)
    seen: list[tuple[str, TaskStatus]] = []

    async def on_result(key: str, info: object) -> None:
        assert isinstance(info, TaskInfo)
        seen.append((key, info.status))
        if info.status.terminal:
            watcher.unwatch(key)

    watcher = Watcher(service, on_result=on_result, clock=clock, sleep=clock.sleep, queries_per_second=10,
                      min_interval=1.0, lister=service.list_since)
    for i in range(5):
        watcher.watch(f"job{i}", f"task{i}")
    await run_for(watcher, clock, 0.5)
    assert len(service.lists) == 1 and service.gets == []  # five due tasks, one query
    assert sorted(seen) == [(f"job{i}", TaskStatus.RUNNING) for i in range(5)]
    statuses["task3"] = TaskStatus.SUCCEEDED
    await run_for(watcher, clock, 3)
    assert [t for _, t in service.gets] == ["task3"]  # the list has no video URL: the finished one alone
    assert ("job3", TaskStatus.SUCCEEDED) in seen and "job3" not in watcher
    assert len(service.lists) <= 5  # about one a second for the four still running, not four a second
    # Every look is reported, as a poll's answer is (the engine checks each job's deadline on it).
    assert seen.count(("job0", TaskStatus.RUNNING)) >= 2


async def test_a_task_the_list_misses_is_read_on_its_own() -> None:
    clock = FakeClock()
    service = Service(clock, {"task0": TaskStatus.RUNNING, "task1": TaskStatus.RUNNING})
    service.unlisted = {"task1"}
    watcher = sweeping_two(service, clock)
    await run_for(watcher, clock, 0.5)
    assert [t for _, t in service.gets] == ["task1"]


async def test_a_list_that_cannot_work_is_switched_off_and_each_task_polled() -> None:
    clock = FakeClock()
    service = Service(clock, {"task0": TaskStatus.RUNNING, "task1": TaskStatus.RUNNING})
    service.list_error = DashScopeError("no such route", code="NotFound", http_status=404)
    watcher = sweeping_two(service, clock)
    await run_for(watcher, clock, 5)
    assert len(service.lists) == 1
    assert {t for _, t in service.gets} == {"task0", "task1"} and len(service.gets) >= 8


async def test_a_transient_list_failure_keeps_the_sweeps() -> None:
    clock = FakeClock()
    service = Service(clock, {"task0": TaskStatus.RUNNING, "task1": TaskStatus.RUNNING})
    service.list_error = TransportError("connection reset", ambiguous=False)
    watcher = sweeping_two(service, clock)
    await run_for(watcher, clock, 1)
    service.list_error = None
    await run_for(watcher, clock, 30)
    assert len(service.lists) >= 3 and service.gets == []
