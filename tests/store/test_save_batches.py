"""Group commits of saves (``core.store.saves``): concurrent saves share a transaction, yet each keeps its own
version check and its own answer (both backends)."""

from __future__ import annotations

import asyncio

import pytest

from core.jobs import JobState
from core.store import JobStore, StaleJob, TaskClaimed
from tests.store.test_store import make_job


async def test_concurrent_saves_share_one_transaction_and_each_is_stored(db_url: str) -> None:
    async with await JobStore.open(db_url) as store:
        jobs = [make_job(user=f"u{i}") for i in range(40)]
        for job in jobs:
            await store.insert(job)
        saved = await asyncio.gather(*(store.save(job.moved_to(JobState.SUBMITTING, job.created_at))
                                       for job in jobs))
        # Before: one transaction per save (40). Now the 40 go together (the first may write alone).
        assert store._saves.batches <= 2
        for job, new in zip(jobs, saved, strict=True):
            assert new.version == job.version + 1
            stored = await store.get(job.id)
            assert stored is not None
            assert stored.state is JobState.SUBMITTING and stored.version == new.version


async def test_a_stale_copy_in_a_batch_fails_alone(db_url: str) -> None:
    async with await JobStore.open(db_url) as store:
        jobs = [make_job(user=f"u{i}") for i in range(5)]
        for job in jobs:
            await store.insert(job)
        await store.save(jobs[2].evolve(delivery_note="moved on"))  # jobs[2] is now an old copy
        results = await asyncio.gather(*(store.save(job.evolve(delivery_note="batch")) for job in jobs),
                                       return_exceptions=True)
        assert isinstance(results[2], StaleJob)
        assert [type(r).__name__ for i, r in enumerate(results) if i != 2] == ["Job"] * 4
        stored = await store.get(jobs[2].id)
        assert stored is not None and stored.delivery_note == "moved on"
        for i in (0, 1, 3, 4):
            other = await store.get(jobs[i].id)
            assert other is not None and other.delivery_note == "batch"


async def test_a_task_id_collision_in_a_batch_fails_only_that_save(db_url: str) -> None:
    """PostgreSQL aborts the whole transaction on the violation: the others must still be stored."""
    async with await JobStore.open(db_url) as store:
        jobs = [make_job(user=f"u{i}") for i in range(4)]
        for job in jobs:
            await store.insert(job)
        await store.save(jobs[0].evolve(task_id="t-taken"))
        copies = [store.get(j.id) for j in jobs]
        current = [c for c in await asyncio.gather(*copies) if c is not None]
        results = await asyncio.gather(
            store.save(current[1].evolve(task_id="t-taken")),  # another job holds it
            store.save(current[2].evolve(task_id="t-2")),
            store.save(current[3].evolve(task_id="t-3")),
            return_exceptions=True,
        )
        assert isinstance(results[0], TaskClaimed)
        for job, task in ((jobs[2], "t-2"), (jobs[3], "t-3")):
            stored = await store.get(job.id)
            assert stored is not None and stored.task_id == task
        loser = await store.get(jobs[1].id)
        assert loser is not None and loser.task_id is None


async def test_a_cancelled_caller_still_has_its_save_written(db_url: str) -> None:
    async with await JobStore.open(db_url) as store:
        job = make_job()
        await store.insert(job)
        task = asyncio.create_task(store.save(job.evolve(delivery_note="kept")))
        await asyncio.sleep(0)  # in line
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await store._saves.drain()
        stored = await store.get(job.id)
        assert stored is not None and stored.delivery_note == "kept" and stored.version == job.version + 1
