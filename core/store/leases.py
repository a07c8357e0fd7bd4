"""Several wanbot processes on one database: job leases, the shared DashScope slots, replica heartbeats.

* A job's watching and delivery belong to one replica at a time, through an expiring lease
  (``lease_owner``, ``lease_until``) that its owner renews. When a replica dies its leases run out and
  ``claim`` hands the jobs to a live one (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two claimers
  never take the same job). Claiming bumps the job's version, so the old owner's next save fails
  instead of overwriting the new owner's work.
* DashScope's in-flight limit is per account, not per process: ``take_slot`` moves a job to
  SUBMITTING only if fewer than N jobs of *all* replicas hold a slot and none is SUBMITTING (one
  unresolved create per account at a time), under one lock.
* ``heartbeat`` records that a replica is alive and says how many are, so each can take its share of
  the account's query budget.

On SQLite the same calls work for one process (``BEGIN IMMEDIATE`` stands in for the row locks).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Dialect, and_, case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.jobs import Job, JobState
from core.store.atomic import completes
from core.store.errors import StaleJob
from core.store.gate import WriteGate
from core.store.saves import execute_save, fast_sqlite, on_sqlite_thread, save_params, sqlite_rows
from core.store.schema import ACTIVE_STATES, IN_FLIGHT_STATES, jobs, replicas

TERMINAL_STATES = tuple(s.value for s in JobState if s.terminal)
#: How long after it ended a job whose status message is behind is still brought up to date.
UNSHOWN_FOR = timedelta(days=1)

#: Slots held across every replica, and how many of them are SUBMITTING (built once: asked on every pump).
_SLOTS = select(
    func.count(),
    func.coalesce(func.sum(case((jobs.c.state == JobState.SUBMITTING.value, 1), else_=0)), 0),
).select_from(jobs).where(jobs.c.state.in_(IN_FLIGHT_STATES))

@functools.cache
def _slots_sql(dialect: Dialect) -> str:
    """``_SLOTS`` as plain SQLite text (its only parameters are constant state names)."""
    return str(_SLOTS.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _no_slot_sqlite(raw: sqlite3.Connection, slots: str, max_in_flight: int) -> bool:
    busy, unresolved = raw.execute(slots).fetchone()
    return int(busy or 0) >= max_in_flight or int(unresolved or 0) > 0


def _take_sqlite(raw: sqlite3.Connection, slots: str, max_in_flight: int, sql: str,
                 row: tuple[Any, ...]) -> int | None:
    """On aiosqlite's thread: ``None`` when no slot is free, else the UPDATE's row count (committed)."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        if _no_slot_sqlite(raw, slots, max_in_flight):
            raw.execute("ROLLBACK")
            return None
        changed = raw.execute(sql, row).rowcount
        raw.execute("COMMIT" if changed == 1 else "ROLLBACK")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return int(changed)


# Any fixed 64-bit number: the lock that serialises taking DashScope slots across replicas.
_PG_SLOTS_LOCK = 0x77616E736C6F7473  # "wanslots"


class Leases:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        #: The process's SQLite write turns (``core.store.gate``); ungated when none is given.
        self._gate = gate or WriteGate(enabled=False)

    async def _begin_locked(self, conn: AsyncConnection) -> AsyncConnection:
        if conn.dialect.name == "sqlite":
            return await conn.execution_options(sqlite_immediate=True)
        return conn

    @completes
    async def claim(
        self,
        owner: str,
        *,
        now: datetime,
        until: datetime,
        limit: int = 50,
        platforms: Collection[str] = (),
        include_own: bool = False,
        exclude: Collection[str] = (),
    ) -> list[str]:
        """Take the unfinished jobs that nobody holds — and the recently finished ones whose status message
        is behind — of ``platforms`` only when given (a replica cannot edit messages on a platform it does
        not run). ``include_own`` also takes back jobs leased to
        ``owner`` (a restart under the same replica id); ``exclude`` are jobs the caller runs already.

        Returns the ids now leased to ``owner``; each claimed row's version is bumped.
        """
        free = or_(jobs.c.lease_owner.is_(None), jobs.c.lease_until < now)
        if include_own:
            free = or_(free, jobs.c.lease_owner == owner)
        # A job that ended while its status message was behind (killed between storing the end and the
        # edit) is taken too, for a while: otherwise its message would say "Queued" (with a live Cancel
        # button) forever. Once shown, it is no longer picked.
        unshown = and_(
            jobs.c.state.in_(TERMINAL_STATES),
            or_(jobs.c.shown_state.is_(None), jobs.c.shown_state != jobs.c.state),
            jobs.c.updated_at >= now - UNSHOWN_FOR,
        )
        conds = [or_(jobs.c.state.in_(ACTIVE_STATES), unshown), free]
        if platforms:
            conds.append(jobs.c.platform.in_(list(platforms)))
        if exclude:
            conds.append(jobs.c.id.not_in(list(exclude)))
        pick = (
            select(jobs.c.id)
            .where(*conds)
            .order_by(jobs.c.created_at, jobs.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._gate.turn(), self._engine.connect() as raw:
            conn = await self._begin_locked(raw)
            async with conn.begin():
                ids = list((await conn.scalars(pick)).all())
                if ids:
                    await conn.execute(
                        update(jobs)
                        .where(jobs.c.id.in_(ids))
                        .values(lease_owner=owner, lease_until=until, version=jobs.c.version + 1)
                    )
        return ids

    @completes
    async def renew(self, owner: str, job_ids: Collection[str], *, until: datetime) -> set[str]:
        """Extend ``owner``'s leases; returns the ids it still holds (the others were taken over)."""
        if not job_ids:
            return set()
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(list(job_ids)), jobs.c.lease_owner == owner)
                .values(lease_until=until)
            )
            held = await conn.scalars(select(jobs.c.id).where(jobs.c.id.in_(list(job_ids)),
                                                              jobs.c.lease_owner == owner))
            return set(held.all())

    @completes
    async def release(self, owner: str, job_ids: Collection[str]) -> None:
        """Give leases back at a clean shutdown, so another replica need not wait for them to expire."""
        if not job_ids:
            return
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(list(job_ids)), jobs.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    @completes
    async def take_slot(self, job: Job, *, max_in_flight: int, now: datetime) -> Job | None:
        """Store ``job`` as SUBMITTING if a DashScope slot is free across every replica and no job of any
        replica is SUBMITTING, else ``None``.

        SUBMITTING is the deployment's create gate: a job stays in it until its create is resolved (task
        id stored, definite refusal, or proven absent), so at most one create whose outcome is uncertain
        exists per account at any moment — across replicas, and across a SIGKILL (the row stays
        SUBMITTING until whoever claims the job resolves it). That is what lets a lost create's task be
        told apart in the task list (``core.dashscope.reconcile``).

        ``job`` must be QUEUED at its current stored version; raises ``StaleJob`` if the row moved on
        (the caller, ``JobBook.take_slot``, reloads it or lets go of it).
        """
        submitting = job.moved_to(JobState.SUBMITTING, now, submit_started_at=now)
        saved = submitting.evolve(version=job.version + 1)

        def no_slot(busy: int | None, unresolved: int | None) -> bool:
            return int(busy or 0) >= max_in_flight or int(unresolved or 0) > 0

        if fast_sqlite(self._engine):
            return await self._take_slot_sqlite(job, saved, max_in_flight)
        # A plain read first: with every slot taken (a burst queues hundreds of jobs, each accept pumps once)
        # the answer is "no" without taking the write lock that new jobs' inserts are waiting for. A slot
        # freed after this read is offered again: whoever frees one pumps once it is stored.
        async with self._engine.connect() as reader:
            if no_slot(*(await reader.execute(_SLOTS)).one()):
                return None
        async with self._gate.turn(), self._engine.connect() as raw:
            conn = await self._begin_locked(raw)
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SLOTS_LOCK})
                if no_slot(*(await conn.execute(_SLOTS)).one()):
                    return None
                if await execute_save(conn, save_params(saved, job.version)) != 1:
                    # Not "no slot": the caller must learn the row changed (a claim bumped it), or it
                    # would keep offering a copy that can never win and the job would wait forever.
                    raise StaleJob(job.id, job.version)
        return saved

    async def _take_slot_sqlite(self, job: Job, saved: Job, max_in_flight: int) -> Job | None:
        """``take_slot`` on SQLite in two trips to aiosqlite's thread instead of ~19 (``core.store.saves``):
        the same plain read first, then the same check and UPDATE in one IMMEDIATE transaction."""
        async with self._engine.connect() as reader:
            slots = _slots_sql(reader.dialect)
            if await on_sqlite_thread(reader, _no_slot_sqlite, slots, max_in_flight):
                return None
        async with self._gate.turn(), self._engine.connect() as conn:
            sql, rows = sqlite_rows(conn.dialect, [save_params(saved, job.version)])
            changed = await on_sqlite_thread(conn, _take_sqlite, slots, max_in_flight, sql, rows[0])
        if changed is None:
            return None
        if changed != 1:
            raise StaleJob(job.id, job.version)  # the row moved on (see take_slot)
        return saved

    @completes
    async def heartbeat(self, replica_id: str, *, now: datetime, ttl: float) -> int:
        """Record that ``replica_id`` is alive; forget long-silent ones; return how many are alive."""
        async with self._gate.turn(), self._engine.begin() as conn:
            updated = await conn.execute(update(replicas).where(replicas.c.replica_id == replica_id)
                                         .values(seen_at=now))
            if updated.rowcount == 0:
                await conn.execute(replicas.insert().values(replica_id=replica_id, started_at=now, seen_at=now))
            await conn.execute(delete(replicas).where(replicas.c.seen_at < now - timedelta(seconds=ttl * 10)))
            alive = await conn.scalar(
                select(func.count()).select_from(replicas).where(replicas.c.seen_at >= now - timedelta(seconds=ttl))
            )
        return max(1, int(alive or 0))
