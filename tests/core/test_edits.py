"""The status-edit scheduler (``core.edits``) on a virtual clock: never over a bucket's rate, latest view
wins, terminal states always land, state changes go before position moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from core.edits import EditScheduler, Urgency
from core.errors import PlatformError
from core.port import ConversationRef, EditBudget, MessageRef, StatusView
from tests.fakes.clock import FakeClock
from tests.fakes.port import RecordingPort
from tests.fakes.until import until

CONV = ConversationRef("test", "c1", "w1")


@dataclass
class TimedPort(RecordingPort):
    """Records when each edit reached the platform (virtual time)."""

    clock: FakeClock = field(default_factory=FakeClock)
    times: list[float] = field(default_factory=list)
    #: When set, edits wait on it (a slow platform): lets a test hold an edit in flight.
    gate: asyncio.Event | None = None

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        if self.gate is not None:
            await self.gate.wait()
        await super().edit_status(ref, view)
        self.times.append(self.clock())


@pytest.fixture
async def clock() -> AsyncIterator[FakeClock]:
    c = FakeClock()
    c.start()
    yield c
    await c.stop()


def view(job: str, state: str = "QUEUED", line: str = "") -> StatusView:
    return StatusView(job_id=job, state=state, title=state, prompt="p", line=line)


def ref(job: str) -> MessageRef:
    return MessageRef(CONV, f"m-{job}")


class Done:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []

    async def __call__(self, v: StatusView, ok: bool) -> None:
        self.calls.append((v.job_id, v.line, ok))


def max_in_window(times: list[float], window: float) -> int:
    """The most edits any ``window`` seconds held (a window starting at each edit)."""
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def test_a_burst_never_goes_over_the_buckets_rate_and_every_edit_lands(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=0.5, burst=3))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    done = Done()
    sent_now = [await edits.edit(port, ref(f"j{i}"), view(f"j{i}"), urgency=Urgency.STATE, done=done)
                for i in range(20)]
    assert sent_now == [True] * 3 + [False] * 17  # the burst goes at once, the rest waits
    await until(lambda: len(port.edits) == 20, clock=clock)
    # A token bucket of rate r and burst b allows b + r·T edits in any T seconds, never more.
    assert max_in_window(port.times, 10.0) <= 3 + 5
    assert max_in_window(port.times, 60.0) <= 3 + 30
    assert [v.job_id for _, v in port.edits] == [f"j{i}" for i in range(20)]  # oldest first within a rank
    assert len(done.calls) == 17 and all(ok for *_, ok in done.calls)


async def test_buckets_are_independent(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=0.1, burst=1))
    other = TimedPort(clock=clock, budget=EditBudget("w2", per_second=0.1, burst=1))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    assert await edits.edit(port, ref("a"), view("a"), urgency=Urgency.STATE, done=Done())
    assert await edits.edit(other, ref("b"), view("b"), urgency=Urgency.STATE, done=Done())
    assert not await edits.edit(port, ref("c"), view("c"), urgency=Urgency.STATE, done=Done())


async def test_latest_view_wins_while_a_message_waits(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=0.2, burst=1))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    done = Done()
    assert await edits.edit(port, ref("other"), view("other"), urgency=Urgency.STATE, done=done)
    for line in ("position 3", "position 2", "next in line"):
        assert not await edits.edit(port, ref("j"), view("j", line=line), urgency=Urgency.POSITION, done=done)
    assert edits.waiting() == 1
    await until(lambda: edits.waiting() == 0 and done.calls, clock=clock)
    assert [v.line for r, v in port.edits if v.job_id == "j"] == ["next in line"]  # one edit, the newest
    assert done.calls == [("j", "next in line", True)]


async def test_state_changes_go_before_position_moves_and_terminal_states_first(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=1.0, burst=1))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    done = Done()
    assert await edits.edit(port, ref("first"), view("first"), urgency=Urgency.STATE, done=done)
    for i in range(5):
        await edits.edit(port, ref(f"q{i}"), view(f"q{i}"), urgency=Urgency.POSITION, done=done)
    await edits.edit(port, ref("run"), view("run", "RUNNING"), urgency=Urgency.STATE, done=done)
    await edits.edit(port, ref("end"), view("end", "DELIVERED"), urgency=Urgency.TERMINAL, done=done)
    await until(lambda: len(port.edits) == 8, clock=clock)
    assert [v.job_id for _, v in port.edits] == ["first", "end", "run", "q0", "q1", "q2", "q3", "q4"]


async def test_the_terminal_state_lands_even_when_it_replaces_a_waiting_position_move(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=0.1, burst=1))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    done = Done()
    await edits.edit(port, ref("x"), view("x"), urgency=Urgency.STATE, done=done)
    await edits.edit(port, ref("j"), view("j", line="position 2"), urgency=Urgency.POSITION, done=done)
    await edits.edit(port, ref("k"), view("k", line="position 3"), urgency=Urgency.POSITION, done=done)
    await edits.edit(port, ref("k"), view("k", "CANCELED"), urgency=Urgency.TERMINAL, done=done)
    await until(lambda: len(port.edits) == 3, clock=clock)
    assert [(v.job_id, v.state) for _, v in port.edits] == [("x", "QUEUED"), ("k", "CANCELED"), ("j", "QUEUED")]


async def test_one_edit_per_message_in_flight_so_an_older_view_never_lands_last(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=100.0, burst=100))
    port.gate = asyncio.Event()
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    done = Done()
    first = asyncio.ensure_future(edits.edit(port, ref("j"), view("j", "PENDING"), urgency=Urgency.STATE,
                                             done=done))
    await clock.idle()
    # The first edit is on its way; the next one of that message waits for it even with tokens to spare.
    assert not await edits.edit(port, ref("j"), view("j", "RUNNING"), urgency=Urgency.STATE, done=done)
    port.gate.set()
    assert await first
    await until(lambda: len(port.edits) == 2, clock=clock)
    assert [v.state for _, v in port.edits] == ["PENDING", "RUNNING"]


async def test_a_failed_waiting_edit_is_reported_and_the_rest_still_go(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=1.0, burst=1))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    done = Done()
    await edits.edit(port, ref("a"), view("a"), urgency=Urgency.STATE, done=done)
    await edits.edit(port, ref("b"), view("b"), urgency=Urgency.STATE, done=done)
    await edits.edit(port, ref("c"), view("c"), urgency=Urgency.STATE, done=done)
    port.edit_failures = [PlatformError("502", code="HTTP502", http_status=502, retryable=True)]
    await until(lambda: len(done.calls) == 2, clock=clock)
    assert done.calls == [("b", "", False), ("c", "", True)]
    assert [v.job_id for _, v in port.edits] == ["a", "c"]


async def test_an_immediate_edit_that_fails_raises_to_the_caller(clock: FakeClock) -> None:
    port = TimedPort(clock=clock)
    port.edit_failures = [PlatformError("502", code="HTTP502", http_status=502, retryable=True)]
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    with pytest.raises(PlatformError):
        await edits.edit(port, ref("a"), view("a"), urgency=Urgency.STATE, done=Done())
    assert await edits.edit(port, ref("a"), view("a"), urgency=Urgency.STATE, done=Done())


async def test_a_discarded_waiting_edit_is_never_made(clock: FakeClock) -> None:
    port = TimedPort(clock=clock, budget=EditBudget("w1", per_second=1.0, burst=1))
    edits = EditScheduler(clock=clock, sleep=clock.sleep)
    await edits.edit(port, ref("a"), view("a"), urgency=Urgency.STATE, done=Done())
    await edits.edit(port, ref("b"), view("b"), urgency=Urgency.STATE, done=Done())
    await edits.edit(port, ref("c"), view("c"), urgency=Urgency.STATE, done=Done())
    edits.discard(ref("b"))  # another replica took b's job over
    await until(lambda: len(port.edits) == 2 and edits.waiting() == 0, clock=clock)
    assert [v.job_id for _, v in port.edits] == ["a", "c"]
