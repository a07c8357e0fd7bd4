"""Group commits of job saves: concurrent ``JobStore.save`` calls share one transaction, each still its own
optimistic-concurrency check.

Why: every save was one transaction of its own — a pooled connection checked out, ``BEGIN``, the UPDATE,
``COMMIT``, the reset on check-in, each a hop to aiosqlite's thread and back — and its UPDATE was built
anew from ~30 keyword values (SQLAlchemy's ``values()`` plus a fresh cache key), the largest share of the
engine's CPU per job in ``bench/scale.py``'s profile. Here:

* ``SAVE`` is built once: ``UPDATE jobs SET <the columns given> WHERE id = :w_id AND version = :w_version``,
  compiled once per column set and cached by SQLAlchemy;
* ``SaveBatcher.save`` puts the row in line and waits; one writer task takes everything waiting (up to
  ``MAX_BATCH``) and runs the UPDATEs in arrival order inside **one** transaction, under the process's
  write gate (``core.store.gate``), then commits;
* each caller is answered only after that commit, with its own row count: a copy at an old version
  (``StaleJob``) is still told apart job by job, and nothing is acknowledged before it is durable;
* on SQLite (a file) the whole batch is one trip to aiosqlite's thread (``_sqlite_batch``, below): before,
  a batch of n saves was 5 + 3n trips and a single save 8.

A unique-key violation (a task id another job holds: rare, a reconcile race) fails one UPDATE; PostgreSQL
then aborts the whole transaction, so the batch is rolled back and written again one transaction per
save, the colliding one answered with ``TaskClaimed``. Any other failure fails every save of the batch,
and each caller sees the error as before.

The writer runs in a task of its own, so a caller cancelled while it waits does not abort the batch: its
save is still written (``core.store.atomic``'s promise for every write), as before.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import Dialect, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool

from core.jobs import Job
from core.store.batch import retrieved
from core.store.errors import TaskClaimed
from core.store.gate import WriteGate
from core.store.rows import LEASE_COLUMNS, job_to_row
from core.store.schema import jobs

#: Saves per transaction at most: bounds how long one batch holds the write lock.
MAX_BATCH = 256

#: The one UPDATE every save (and ``Leases.take_slot``) runs: the SET clause is the parameters' columns.
SAVE = update(jobs).where(jobs.c.id == bindparam("w_id"), jobs.c.version == bindparam("w_version"))


def save_params(saved: Job, expected_version: int) -> dict[str, Any]:
    """``SAVE``'s parameters: every column of ``saved`` but the id and the lease (only
    ``core.store.leases`` moves a lease; renewals do not bump the version, so a copy's lease may be
    older than the row's), where the row is still at ``expected_version``."""
    row = job_to_row(saved)
    for column in ("id", *LEASE_COLUMNS):
        del row[column]
    row["w_id"] = saved.id
    row["w_version"] = expected_version
    return row


async def execute_save(conn: AsyncConnection, params: dict[str, Any]) -> int:
    """Run ``SAVE`` on ``conn`` (in the caller's transaction): how many rows it changed (1, or 0: stale)."""
    result = await conn.execute(SAVE, params)
    return int(result.rowcount)


@dataclass
class _Waiting:
    params: dict[str, Any]
    done: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _answer(waiting: _Waiting, rows: int | None, error: BaseException | None) -> None:
    if waiting.done.done():
        return
    if error is None:
        assert rows is not None
        waiting.done.set_result(rows)
    else:
        waiting.done.set_exception(error)


class SaveBatcher:
    """One writer of job saves for one database engine (``JobStore.save`` goes through it)."""

    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)
        self._line: deque[_Waiting] = deque()
        self._writer: asyncio.Task[None] | None = None
        #: SQLite on a file: a batch is one trip to aiosqlite's thread (below). Not for ``:memory:``, whose
        #: one connection is shared by every checkout (``StaticPool``): a read's transaction may be open on it.
        self._fast = fast_sqlite(engine)
        #: Transactions written and saves in them (for tests and benchmarks: how well saves were grouped).
        self.batches = 0
        self.written = 0

    async def save(self, params: dict[str, Any]) -> int:
        """Run ``SAVE`` with ``params`` once its transaction has committed; the rows it changed (0: stale).
        Raises ``TaskClaimed`` when its task id belongs to another job."""
        waiting = _Waiting(params)
        waiting.done.add_done_callback(retrieved)
        self._line.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="wanbot-store-saves")
        return await asyncio.shield(waiting.done)

    async def drain(self) -> None:
        """Wait until every save put in line so far is written (before the engine is disposed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait([self._writer])

    async def _write_all(self) -> None:
        while self._line:
            batch = [self._line.popleft() for _ in range(min(MAX_BATCH, len(self._line)))]
            try:
                answers = await self._write(batch)
            except BaseException as exc:  # the whole transaction failed: nothing of the batch is stored
                for waiting in batch:
                    _answer(waiting, None, exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            self.batches += 1
            self.written += len(batch)
            for waiting, (rows, error) in zip(batch, answers, strict=True):
                _answer(waiting, rows, error)

    async def _write(self, batch: Sequence[_Waiting]) -> list[tuple[int | None, BaseException | None]]:
        try:
            if self._fast:
                async with self._gate.turn(), self._engine.connect() as conn:
                    counts = await _sqlite_batch(conn, [w.params for w in batch])
            else:
                async with self._gate.turn(), self._engine.begin() as conn:
                    counts = [await execute_save(conn, w.params) for w in batch]
        except (IntegrityError, sqlite3.IntegrityError):
            if len(batch) == 1:
                return [(None, _claimed(batch[0]))]
            return [await self._one(w) for w in batch]
        return [(n, None) for n in counts]

    async def _one(self, waiting: _Waiting) -> tuple[int | None, BaseException | None]:
        """The slow path after a collision: this save in a transaction of its own."""
        try:
            async with self._gate.turn(), self._engine.begin() as conn:
                return await execute_save(conn, waiting.params), None
        except IntegrityError:
            return None, _claimed(waiting)


# -- SQLite: a whole batch in one trip to aiosqlite's thread ---------------------------------------------

#: aiosqlite runs each call on its connection's own thread; through SQLAlchemy a batch of n saves was
#: 5 + 3n trips there and back (BEGIN, and a cursor, the UPDATE and a close per save, COMMIT), each a
#: cross-thread wake-up and an event-loop wake-up, plus SQLAlchemy's per-statement execution context. Here
#: the batch (BEGIN IMMEDIATE, every UPDATE with its own row count, COMMIT — or ROLLBACK on any error) is
#: one function run on that thread: one trip. The statement and its bind processors (JSON, timestamps,
#: decimals: the same ``core.store.schema`` types) come from SQLAlchemy's compiler, once. It needs
#: aiosqlite's ``Connection._execute`` (how SQLAlchemy's own adapter talks to it); without it the generic
#: path above is used.
_SQLITE_FAST_PATH = hasattr(aiosqlite.Connection, "_execute") and hasattr(aiosqlite.Connection, "_conn")

def fast_sqlite(engine: AsyncEngine) -> bool:
    """Whether ``engine``'s writes may take the one-trip path: SQLite on a file."""
    return engine.dialect.name == "sqlite" and _SQLITE_FAST_PATH and not isinstance(engine.pool, StaticPool)


_WHERE_TYPES = {"w_id": jobs.c.id.type, "w_version": jobs.c.version.type}


@functools.cache
def _compiled_save(dialect: Dialect, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...],
                                                                     tuple[Callable[[Any], Any] | None, ...]]:
    compiled = SAVE.compile(dialect=dialect, column_keys=[k for k in keys if k not in _WHERE_TYPES])
    order = tuple(compiled.positiontup or ())
    processors = tuple(
        (_WHERE_TYPES[name] if name in _WHERE_TYPES else jobs.c[name].type).bind_processor(dialect)
        for name in order
    )
    return compiled.string, order, processors


def _run_batch(raw: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> list[int]:
    """On aiosqlite's thread: the batch as one IMMEDIATE transaction; each UPDATE's row count."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        counts = [raw.execute(sql, row).rowcount for row in rows]
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return counts


def sqlite_rows(dialect: Dialect, batch: Sequence[dict[str, Any]]) -> tuple[str, list[tuple[Any, ...]]]:
    """``SAVE`` as SQLite text and each save's positional, bind-processed values."""
    sql, order, processors = _compiled_save(dialect, tuple(sorted(batch[0])))
    rows = []
    for params in batch:
        values = [params[name] for name in order]
        rows.append(tuple(p(v) if p is not None else v for p, v in zip(processors, values, strict=True)))
    return sql, rows


T = TypeVar("T")


async def on_sqlite_thread(conn: AsyncConnection, fn: Callable[..., T], *args: Any) -> T:
    """``fn(sqlite3_connection, *args)`` on the aiosqlite thread of ``conn``'s connection: one trip.
    ``fn`` must leave no transaction open (it commits or rolls back what it began)."""
    fairy = await conn.get_raw_connection()
    aio = fairy.driver_connection
    assert isinstance(aio, aiosqlite.Connection)
    try:
        result: T = await aio._execute(fn, aio._conn, *args)  # type: ignore[no-untyped-call]
        return result
    except sqlite3.IntegrityError:
        raise
    except BaseException:
        # A failure half-way (the database went away mid-ROLLBACK, a cancelled wait): never hand this
        # connection back to the pool in an unknown transaction state.
        await conn.invalidate()
        raise


async def _sqlite_batch(conn: AsyncConnection, batch: Sequence[dict[str, Any]]) -> list[int]:
    sql, rows = sqlite_rows(conn.dialect, batch)
    return list(await on_sqlite_thread(conn, _run_batch, sql, rows))


def _claimed(waiting: _Waiting) -> TaskClaimed:
    return TaskClaimed(f"task {waiting.params.get('task_id')} already belongs to another job")


__all__ = ["MAX_BATCH", "SAVE", "SaveBatcher", "execute_save", "fast_sqlite", "on_sqlite_thread", "save_params",
           "sqlite_rows"]
