"""Group commits of new jobs: concurrent inserts are written many per transaction, by one writer, in order.

Why: one transaction per insert made a burst of 200 commands a convoy — 200 writers waiting in SQLite's
busy handler (sleeping in growing steps) or for a pooled connection, and at 5,000 at once pool timeouts
and "database is locked" (bench/acks.md, bench/scale.md). Here ``InsertBatcher.insert`` puts the job in
line and waits; one writer task takes everything waiting (up to ``MAX_BATCH``) and writes it in **one**
locked transaction:

1. ``Admission.load`` takes the locks and reads what the limits need, once for the batch;
2. each job is admitted *in arrival order* against the store plus the jobs admitted before it — a refused
   job is simply left out (nothing of it was written, so it rolls nothing back);
3. the admitted rows are inserted with one multi-row statement, then the transaction commits;
4. only then is each caller answered: ``insert`` never returns before its job is durably committed.

A unique-key collision (an id or a task id already stored: rare, never for a fresh job) fails the
multi-row insert inside a SAVEPOINT; the batch then falls back to one SAVEPOINT per job, so only the
colliding job is refused and the limits of the rest count only jobs that really were stored. Any other
failure (the database is gone) fails every job of that batch, and the caller sees the error as before.

The writer runs in a task of its own, so a caller that is cancelled while it waits does not abort the
batch (``core.store.atomic``'s promise for every write): its job is still written with the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import QuotaExceeded, UserCapReached
from core.jobs import Job
from core.store.errors import DuplicateJob, TaskClaimed
from core.store.gate import WriteGate
from core.store.limits import Admission, Limits
from core.store.rows import job_to_row
from core.store.schema import jobs

log = logging.getLogger("wanbot.store")

#: Jobs per transaction at most: bounds one batch's time (and its IN lists under SQLite's variable limit).
MAX_BATCH = 256


@dataclass
class _Waiting:
    job: Job
    limits: Limits
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    #: Jobs stored with ``job`` or not at all (a variants batch, ``insert_group``): each counted against the
    #: limits after the ones before it; the cooldown is the first job's alone (one command).
    more: tuple[Job, ...] = ()

    def admitted(self, admission: Admission) -> Admission:
        """The admission after all of this entry's jobs (a copy for a group), or raise ``QuotaExceeded``."""
        if not self.more:
            admission.admit(self.job, self.limits)
            admission.count(self.job)
            return admission
        trial = admission.copy()
        rest = Limits(self.limits.within, self.limits.max_active, None)
        group = (self.job, *self.more)
        for i, job in enumerate(group):
            limits = self.limits if i == 0 else rest
            try:
                trial.admit(job, limits)
            except UserCapReached as exc:
                # Say what the person has running *before* this batch, and how many places it needs.
                raise UserCapReached(exc.message, active=(exc.active or 0) - i, wanted=len(group)) from None
            trial.count(job)
        return trial

    @property
    def jobs(self) -> tuple[Job, ...]:
        return (self.job, *self.more)


def _answer(waiting: _Waiting, error: BaseException | None) -> None:
    if waiting.done.done():
        return
    if error is None:
        waiting.done.set_result(None)
    else:
        waiting.done.set_exception(error)


def retrieved(future: asyncio.Future[Any]) -> None:
    """A done-callback for a batched write's answer (inserts here, saves in ``core.store.saves``): a caller
    cancelled while waiting never reads it, so read it here and asyncio does not log "exception was never
    retrieved" for a refusal nobody is left to hear."""
    if not future.cancelled():
        future.exception()


class InsertBatcher:
    """One writer of new jobs for one database engine (``JobStore.insert`` goes through it)."""

    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)
        self._line: deque[_Waiting] = deque()
        self._writer: asyncio.Task[None] | None = None
        #: Batches written and jobs in them (for tests and benchmarks: how well commits were grouped).
        self.batches = 0
        self.written = 0

    async def insert(self, job: Job, limits: Limits) -> None:
        """Store ``job`` (after its limits), returning once the transaction that holds it has committed."""
        waiting = _Waiting(job, limits)
        waiting.done.add_done_callback(retrieved)
        self._line.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="wanbot-store-inserts")
        await asyncio.shield(waiting.done)

    async def insert_group(self, jobs: Sequence[Job], limits: Limits) -> None:
        """Store all of ``jobs`` (in one transaction, after their limits, all counted) or none of them."""
        waiting = _Waiting(jobs[0], limits, more=tuple(jobs[1:]))
        waiting.done.add_done_callback(retrieved)
        self._line.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="wanbot-store-inserts")
        await asyncio.shield(waiting.done)

    async def drain(self) -> None:
        """Wait until every job put in line so far is written (before the engine is disposed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait([self._writer])

    async def _write_all(self) -> None:
        while self._line:
            batch = [self._line.popleft() for _ in range(min(MAX_BATCH, len(self._line)))]
            try:
                answers = await self._write(batch)
            except BaseException as exc:  # the whole transaction failed: nothing of the batch is stored
                for waiting in batch:
                    _answer(waiting, exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            self.batches += 1
            self.written += sum(1 for a in answers if a is None)
            for waiting, answer in zip(batch, answers, strict=True):
                _answer(waiting, answer)

    async def _write(self, batch: Sequence[_Waiting]) -> list[BaseException | None]:
        """One transaction for ``batch``; the answer for each job (``None``: stored), valid after commit."""
        items = [(job, w.limits) for w in batch for job in w.jobs]
        # Urgent: chat acknowledgements wait for this batch; the process's other writes go after it.
        async with self._gate.turn(urgent=True), self._engine.connect() as raw:
            # IMMEDIATE: the limits are read and then written on; the write lock must be ours from the start.
            conn = await raw.execution_options(sqlite_immediate=True)
            async with conn.begin():
                admission = await Admission.load(conn, items)
                answers: list[BaseException | None] = []
                rows: list[dict[str, Any]] = []
                for waiting in batch:
                    try:
                        admission = waiting.admitted(admission)
                    except QuotaExceeded as exc:
                        answers.append(exc)
                        continue
                    answers.append(None)
                    rows.extend(job_to_row(job) for job in waiting.jobs)
                if rows:
                    try:
                        async with conn.begin_nested():
                            await conn.execute(jobs.insert(), rows)
                    except IntegrityError:
                        answers = await self._one_by_one(conn, batch, items)
        return answers

    async def _one_by_one(self, conn: AsyncConnection, batch: Sequence[_Waiting],
                          items: Sequence[tuple[Job, Limits]]) -> list[BaseException | None]:
        """The slow path after a collision: each entry (a job, or a group's jobs) in its own SAVEPOINT,
        counted only once stored."""
        admission = await Admission.load(conn, items)
        answers: list[BaseException | None] = []
        for waiting in batch:
            try:
                after = waiting.admitted(admission)
                async with conn.begin_nested():
                    await conn.execute(jobs.insert(), [job_to_row(job) for job in waiting.jobs])
            except QuotaExceeded as exc:
                answers.append(exc)
                continue
            except IntegrityError:
                # Two unique keys can collide; tell the caller which, since the remedies differ.
                ids = [job.id for job in waiting.jobs]
                taken = await conn.scalar(select(jobs.c.id).where(jobs.c.id.in_(ids)))
                answers.append(DuplicateJob(f"job id {taken} already exists") if taken is not None
                               else TaskClaimed(f"task {waiting.job.task_id} already belongs to another job"))
                continue
            admission = after
            answers.append(None)
        log.info("a batch of %d new jobs collided on a unique key; written one by one", len(items))
        return answers


__all__ = ["MAX_BATCH", "InsertBatcher"]
