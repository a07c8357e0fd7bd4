"""Group commits (``core.store.batch``): concurrent inserts share transactions, yet every limit holds job by
job, in arrival order, exactly as if the jobs had been inserted one at a time (both backends)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from core.budget import Budget, BudgetCheck, Period, Scope, Unit
from core.errors import QuotaExceeded
from core.jobs import Job
from core.store import DuplicateJob, JobStore, TaskClaimed
from core.store.schema import jobs
from tests.store.test_store import T0, make_job


def _workspace_budget(limit: str) -> BudgetCheck:
    budget = Budget(Scope.WORKSPACE, Period.DAY, Decimal(limit), Unit.CNY)
    return BudgetCheck(budget, since=T0 - timedelta(hours=1), platform="discord", workspace_id="w1", user_id=None)


def _burst() -> list[Job]:
    """40 requests from 4 users, a ¥1 estimate each, spaced 10 s apart per user."""
    out = []
    for i in range(40):
        out.append(make_job(user=f"u{i % 4}", created_at=T0 + timedelta(seconds=10 * (i // 4)),
                            reserved_seconds=5.0, reserved_cost=Decimal("1.00")))
    return out


async def _attempt(store: JobStore, job: Job, cooldown: float | None) -> str:
    try:
        await store.insert(job, within=[_workspace_budget("11.00")], max_active_for_user=3, cooldown=cooldown)
    except QuotaExceeded as exc:
        return exc.code
    return "stored"


async def _outcomes(store: JobStore, burst: list[Job], *, concurrent: bool, cooldown: float | None = None
                    ) -> list[str]:
    if concurrent:
        return list(await asyncio.gather(*(_attempt(store, job, cooldown) for job in burst)))
    return [await _attempt(store, job, cooldown) for job in burst]


async def test_a_concurrent_burst_admits_exactly_what_one_by_one_inserts_admit(db_url: str) -> None:
    """The cap (3 per user) and the workspace budget (¥11 = 11 jobs) are both reached inside the burst: a
    batch that checked every job against the stored rows alone (not the jobs before it) would admit all 40."""
    burst = _burst()
    async with await JobStore.open(db_url) as store:
        together = await _outcomes(store, burst, concurrent=True)
        batches = store._inserts.batches
        async with store.engine.connect() as conn:
            stored = await conn.scalar(select(func.count()).select_from(jobs))
    # The first eleven fit; the twelfth (u3's third) exceeds the budget; after that u0-u2 are at their
    # cap and u3, one below it, is still over the budget.
    expected = ["stored"] * 11 + ["Budget"] + [("Budget" if i % 4 == 3 else "UserCap") for i in range(12, 40)]
    assert together == expected
    assert stored == 11
    assert batches < len(burst)  # grouped: fewer transactions than jobs
    async with await JobStore.open(db_url) as fresh:
        async with fresh.engine.begin() as conn:
            await conn.execute(jobs.delete())
        one_by_one = await _outcomes(fresh, [j.evolve(id=j.id + "b") for j in burst], concurrent=False)
    assert together == one_by_one


async def test_the_cooldown_counts_the_jobs_before_it_in_the_batch(db_url: str) -> None:
    burst = _burst()
    async with await JobStore.open(db_url) as store:
        together = await _outcomes(store, burst, concurrent=True, cooldown=15)
    # Each user's jobs are 10 s apart: with a 15 s cooldown every other one of them is refused.
    assert together == await _reference(db_url, burst, cooldown=15)
    assert together[:4] == ["stored"] * 4 and together[4:8] == ["Cooldown"] * 4


async def _reference(db_url: str, burst: list[Job], *, cooldown: float) -> list[str]:
    async with await JobStore.open(db_url) as store:
        async with store.engine.begin() as conn:
            await conn.execute(jobs.delete())
        return await _outcomes(store, [j.evolve(id=j.id + "r") for j in burst], concurrent=False, cooldown=cooldown)


async def test_a_collision_in_a_batch_refuses_only_the_colliding_job(store: JobStore) -> None:
    await store.insert(first := make_job(task_id="task-1"))
    others = [make_job(), make_job(id=first.id), make_job(), make_job(task_id="task-1"), make_job()]
    results = await asyncio.gather(*(store.insert(job, max_active_for_user=10) for job in others),
                                   return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType", "DuplicateJob", "NoneType", "TaskClaimed",
                                                   "NoneType"]
    assert isinstance(results[1], DuplicateJob) and isinstance(results[3], TaskClaimed)
    # The refused ones did not count against the cap of the ones after them, and nothing else was lost.
    assert {j.id for j in await store.active()} == {first.id, others[0].id, others[2].id, others[4].id}


async def test_an_insert_returns_only_once_its_job_is_committed(tmp_path: Path) -> None:
    """Each caller, the moment its insert returns, finds its row from another connection (another process
    would): the answer is given after the batch's COMMIT, never before."""
    path = tmp_path / "jobs.db"
    async with await JobStore.open(f"sqlite:///{path}") as store:
        outside = sqlite3.connect(path)
        seen: list[bool] = []

        async def insert_and_look(job: Job) -> None:
            await store.insert(job, max_active_for_user=100)
            row = outside.execute("SELECT count(*) FROM jobs WHERE id = ?", (job.id,)).fetchone()
            seen.append(row[0] == 1)

        try:
            await asyncio.gather(*(insert_and_look(make_job(user=f"u{i}")) for i in range(50)))
        finally:
            outside.close()
        assert seen == [True] * 50
        assert store._inserts.batches < 50


async def test_a_cancelled_caller_does_not_abort_its_batch(store: JobStore) -> None:
    jobs_ = [make_job(user=f"u{i}") for i in range(5)]
    tasks = [asyncio.create_task(store.insert(job)) for job in jobs_]
    await asyncio.sleep(0)  # all five are in line
    tasks[2].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await store._inserts.drain()
    assert {j.id for j in await store.active()} == {j.id for j in jobs_}
