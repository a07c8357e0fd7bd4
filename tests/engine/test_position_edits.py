"""Status edits at scale through the engine: a freed slot edits only the messages whose text changed, and
a burst stays inside the platform's edit budget with every job's final state shown."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core.dashscope import TaskStatus as S
from core.jobs import Job, JobState
from core.port import EditBudget, MessageRef, StatusView
from core.status import place_in_line
from tests.engine.conftest import Harness
from tests.fakes.clock import FakeClock
from tests.fakes.port import RecordingPort


@dataclass
class TimedPort(RecordingPort):
    """Records the virtual time of every edit."""

    clock: FakeClock | None = None
    times: list[float] = field(default_factory=list)

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        await super().edit_status(ref, view)
        assert self.clock is not None
        self.times.append(self.clock())


def max_in_window(times: list[float], window: float) -> int:
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def test_a_freed_slot_at_q50_edits_only_the_messages_whose_place_reads_differently(
        harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1, per_user_cap=1)
    harness.api.script = (S.PENDING,) * 100_000  # every task waits: the holder stays cancellable
    engine = await harness.start()
    holder = await harness.submit("holding the slot", user="holder")
    await harness.settle(lambda: harness.live(holder.id).state is JobState.PENDING)
    line = [await harness.submit(f"queued {i}", user=f"u{i}") for i in range(50)]
    await harness.settle(lambda: len(harness.port.posts) == 51 and engine.edits.waiting() == 0)
    before = dict(engine.queue.positions())
    assert sorted(before.values()) == list(range(1, 51))

    assert harness.store is not None
    saved: list[str] = []
    save = harness.store.save

    async def counting_save(job: Job, *args: Any, **kwargs: Any) -> Job:
        saved.append(job.id)
        return await save(job, *args, **kwargs)

    harness.store.save = counting_save  # type: ignore[method-assign]
    edits_before = len(harness.port.edits)

    await engine.cancel(holder.id)  # frees the slot: the head of the line takes it, the rest move up
    head = line[0]
    await harness.settle(lambda: harness.live(head.id).state is JobState.PENDING and engine.edits.waiting() == 0)

    after = dict(engine.queue.positions())
    new_edits = harness.port.edits[edits_before:]
    queued_edited = sorted(v.job_id for _, v in new_edits if v.state == "QUEUED")
    changed = sorted(j for j, p in after.items() if place_in_line(p, engine.messages) !=
                     place_in_line(before[j], engine.messages))
    assert queued_edited == changed
    assert len(changed) == 11  # places 2–11 move to 1–10, and 21 crosses into "11–20"; the other 38 read the same
    assert {(v.job_id, v.state) for _, v in new_edits if v.state != "QUEUED"} == {
        (holder.id, "CANCELED"), (head.id, "PENDING")}
    # A position move is no state change: none of the jobs still waiting had its row written.
    assert not set(saved) & set(after)


async def test_a_burst_stays_inside_the_edit_budget_and_every_job_ends_on_its_final_state(
        harness: Harness) -> None:
    port = TimedPort(clock=harness.clock, budget=EditBudget("w1", per_second=0.5, burst=3))
    harness.port = port
    harness.config = replace(harness.config, max_in_flight=5, per_user_cap=1)
    engine = await harness.start()
    jobs = [await harness.submit(f"burst {i}", user=f"u{i}") for i in range(20)]
    for job in jobs:
        await harness.finish(job.id)
    # (What the port showed, not the engine's copy: finished jobs leave the engine's memory after a minute.)
    await harness.settle(lambda: engine.edits.waiting() == 0
                         and all(port.states_shown(j.id)[-1:] == ["DELIVERED"] for j in jobs))

    assert max_in_window(port.times, 10.0) <= 3 + 5  # burst + rate × window, never more
    assert max_in_window(port.times, 60.0) <= 3 + 30
    for job in jobs:
        assert port.states_shown(job.id)[-1] == "DELIVERED"
        assert len(port.refs_used(job.id)) == 1
    assert len(harness.api.creates) == 20 and len(port.uploads) == 20


async def test_every_state_is_shown_when_the_budget_allows(harness: Harness) -> None:
    harness.port = TimedPort(clock=harness.clock, budget=EditBudget("w1", per_second=5.0, burst=5))
    await harness.start()
    job = await harness.submit()
    await harness.finish(job.id)
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]


async def test_an_edit_still_waiting_at_a_stop_is_made_after_the_restart(harness: Harness) -> None:
    harness.port.budget = EditBudget("w1", per_second=1e-6, burst=1)  # one edit, then none for days
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING"]  # the rest waits for the budget
    assert harness.store is not None
    stored = await harness.store.get(job.id)
    assert stored is not None and stored.shown_state == "PENDING"  # the store knows the message is behind

    await harness.stop()
    harness.port.budget = EditBudget("w1", per_second=5.0, burst=5)
    await harness.start()
    await harness.settle(lambda: harness.port.states_shown(job.id)[-1:] == ["DELIVERED"])
    assert harness.port.refs_used(job.id) == {"m1"}


async def test_with_its_own_jobs_in_every_slot_the_pump_does_not_ask_the_store(harness: Harness) -> None:
    """Each accept pumps the queue; with the slots all held by this process's own jobs the answer is known
    ("no slot"), so a burst of accepts must not run a slot query each (the store's ``take_slot``)."""
    harness.config = replace(harness.config, max_in_flight=2)
    harness.api.script = (S.PENDING,) * 100_000  # every task waits: the two slots stay held
    engine = await harness.start()
    holders = [await harness.submit(f"holding {i}", user=f"h{i}") for i in range(2)]
    await harness.settle(lambda: all(harness.live(h.id).state is JobState.PENDING for h in holders))
    assert engine.in_flight() == 2
    assert harness.store is not None
    asked: list[str] = []
    take_slot = engine._take_slot

    async def counting(job: Job) -> Job | None:
        asked.append(job.id)
        return await take_slot(job)

    engine._take_slot = counting  # type: ignore[method-assign]
    for i in range(20):
        await harness.submit(f"waiting {i}", user=f"u{i}")
    await harness.settle(lambda: len(engine.queue) == 20)
    assert asked == []
    await engine.cancel(holders[0].id)  # a freed slot (the local count is below the limit): asked again
    await harness.settle(lambda: engine.in_flight() == 2 and len(engine.queue) == 19)
    assert len(asked) >= 1
