"""Races inside one engine: one writer per job row, ``StaleJob`` a takeover only when it really is one.

Each test stages, deterministically, an interleaving that CPU load used to produce by chance: our own
housekeeping claiming a job whose insert outlasted its lease (the cause of the round-robin test's double
create), a row whose version our own claim bumped, a row another replica holds, and a create answered
with a task id another job already owns.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.dashscope import TaskInfo
from core.dashscope import TaskStatus as S
from core.jobs import Job, JobState
from core.store import StaleJob
from core.store.schema import jobs
from tests.engine.conftest import Harness


def _takeovers(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "letting go" in r.getMessage()]


async def test_own_housekeeping_never_claims_a_job_whose_insert_outlasted_its_lease(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # What CPU load did: virtual time ran past the new job's lease while its insert was in flight, and the
    # housekeeping tick that ran meanwhile claimed it as a job nobody held — a second copy resumed beside
    # the one the engine was accepting, then a StaleJob dropped the job it owned, it was claimed again and
    # resumed as SUBMITTING, and the reconcile that found "no task" (it excluded the task this very job had
    # just been given) queued it for a second create.
    harness.api.script = (S.PENDING, S.SUCCEEDED)
    engine = await harness.start()
    assert harness.store is not None
    real_insert = harness.store.insert

    async def slow_insert(job: Job, **limits: object) -> None:
        await real_insert(job, **limits)  # type: ignore[arg-type]
        harness.clock.advance(harness.config.lease_seconds + 1)  # the lease lapses before we return...
        await engine.replica.tick(engine.now())  # ...and housekeeping runs right then

    harness.store.insert = slow_insert  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    job = await harness.submit("only once")
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert [harness.api.tasks[t].request.prompt for t in harness.api.creates] == ["only once"]
    assert len([1 for _, v in harness.port.posts if v.job_id == job.id]) == 1
    assert not [r for r in caplog.records if "claimed by replica" in r.getMessage()]
    assert _takeovers(caplog) == []


async def test_a_version_bumped_by_our_own_claim_is_reloaded_not_dropped(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.config = replace(harness.config, max_in_flight=1)
    harness.api.script = (S.PENDING, S.SUCCEEDED)
    harness.api.create_gate = asyncio.Event()  # the first job holds the only slot
    engine = await harness.start()
    first = await harness.submit("first", user="a")
    second = await harness.submit("second", user="b")
    # Something outside the book (a claim under our own replica id, as a restart racing us would make)
    # moves the second job's row on: its in-memory copy is now one version behind.
    claimed = await engine.store.leases.claim(
        harness.config.replica_id, now=engine.now(), until=engine.replica.lease_until(engine.now()),
        include_own=True, exclude=[first.id],
    )
    assert claimed == [second.id]
    caplog.set_level(logging.INFO)
    harness.api.create_gate.set()
    # The slot frees: the second job must still win it (take_slot used to fail the version check forever),
    # and nothing may be dropped as "another replica's".
    for job in (first, second):
        assert (await harness.finish(job.id)).state is JobState.DELIVERED
    assert sorted(harness.api.tasks[t].request.prompt for t in harness.api.creates) == ["first", "second"]
    assert _takeovers(caplog) == []


async def test_a_row_another_replica_holds_is_let_go(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=0)  # stays queued
    engine = await harness.start()
    job = await harness.submit()
    # replica-2 takes the job over, as ``Leases.claim`` does once our lease has run out (written directly:
    # a release-then-claim here could be won back by our own housekeeping in between).
    async with engine.store.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job.id).values(
            # (a day: replica-2 stays alive however far virtual time runs while real I/O is pending)
            lease_owner="replica-2", lease_until=engine.now() + timedelta(days=1),
            version=jobs.c.version + 1))
    with pytest.raises(StaleJob):
        await engine.book.update(job.id, extra={"touched": True})
    assert engine.peek(job.id) is None and job.id not in engine.queue
    # A late step must not bring the row back either: it is replica-2's to write.
    with pytest.raises(StaleJob):
        await engine.book.show(job.id, force=True)
    stored = await engine.store.get(job.id)
    assert stored is not None and stored.lease_owner == "replica-2" and "touched" not in stored.extra


async def test_a_task_id_another_job_owns_does_not_leave_the_job_stuck(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1)
    harness.api.script = (S.PENDING, S.SUCCEEDED)
    await harness.start()
    owner = await harness.submit("owner of task-1", user="a")
    assert (await harness.finish(owner.id)).task_id == "task-1"
    real_create = harness.api.create_video_task
    answers = [TaskInfo(task_id="task-1", status=S.PENDING)]  # the next create "returns" a known task

    async def create(request: object, **kwargs: object) -> TaskInfo:
        if answers:
            return answers.pop()
        return await real_create(request, **kwargs)  # type: ignore[arg-type]

    harness.api.create_video_task = create  # type: ignore[method-assign]
    victim = await harness.submit("victim", user="b")
    after = await harness.submit("after", user="c")
    await harness.settle(lambda: (j := harness.engine.peek(victim.id)) is not None  # type: ignore[union-attr]
                         and j.state is not JobState.SUBMITTING)
    stuck = harness.engine.peek(victim.id)  # type: ignore[union-attr]
    assert stuck is not None and stuck.task_id != "task-1"  # never given another job's task
    # The slot it held is free again: the next job is created and delivered.
    assert (await harness.finish(after.id)).state is JobState.DELIVERED
    if stuck.state is JobState.FAILED:  # said so, in one clear sentence
        assert harness.port.states_shown(victim.id)[-1] == "FAILED" and stuck.error_message


async def test_extras_built_from_an_old_copy_do_not_undo_a_change_made_meanwhile(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=0)
    engine = await harness.start()
    job = await harness.submit()
    old = engine.book[job.id]
    await engine.book.update(job.id, extra={"set_meanwhile": True})
    await engine.book.update(job.id, extra={**old.extra, "from_the_old_copy": True})
    stored = await engine.store.get(job.id)
    assert stored is not None
    assert stored.extra.get("set_meanwhile") and stored.extra.get("from_the_old_copy")
