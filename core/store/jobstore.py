"""``JobStore``: persistence of ``Job`` records on SQLite (default) or PostgreSQL.

Owns the engine and its per-backend settings (the row mapping is ``core.store.rows``),
optimistic concurrency (``save`` only writes over the version it read), and the few queries the
engine needs: restart recovery, per-user caps and status, usage totals and task-id reconciliation.
Built on SQLAlchemy Core (tables and statements, no ORM): a ``Job`` is immutable and the store
hands back fresh copies, so there is no identity map to keep in sync.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import ColumnElement, and_, bindparam, event, func, or_, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from core.budget import BudgetCheck
from core.errors import ConfigError
from core.jobs import Job, JobState
from core.store.archive import ArchiveRows
from core.store.atomic import completes, settle_writes
from core.store.batch import InsertBatcher
from core.store.channels import ChannelDefaults
from core.store.errors import CorruptJob, StaleJob
from core.store.gate import WriteGate
from core.store.ideas import IdeaThreads
from core.store.leases import Leases
from core.store.limits import Limits
from core.store.migrations import SchemaState, migrate
from core.store.orphans import OrphanTasks
from core.store.rows import row_to_job
from core.store.saves import SaveBatcher, save_params
from core.store.schema import ACTIVE_STATES, BILLED_STATES, jobs, require_aware, user_filter
from core.store.settings import ChannelSettings
from core.store.spend import SpendAsks
from core.store.user_prefs import UserPrefs
from core.store.votes import Votes

log = logging.getLogger("wanbot.store")


@dataclass(frozen=True)
class UsageTotals:
    """What ``/wan usage`` shows: billed jobs (videos and image jobs), video seconds, images and money."""

    jobs: int = 0
    billed_seconds: float = 0.0
    cost: Decimal = Decimal("0")
    #: Images billed (returned by DashScope) across the image jobs among ``jobs``.
    images: int = 0
    #: How many of ``jobs`` were image jobs (the rest are videos).
    image_jobs: int = 0

    @property
    def videos(self) -> int:
        return self.jobs - self.image_jobs


# -- URLs and engines ------------------------------------------------------------------------------------

_SQLITE_BUSY_TIMEOUT_MS = 10_000


def driver_url(url: str) -> URL:
    """``sqlite:///x.db`` → ``sqlite+aiosqlite:///x.db``; ``postgresql://`` → ``postgresql+asyncpg://``."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # Not echoed: an unparsable URL may still hold a password.
        raise ConfigError("not a database URL: use sqlite:///path.db or postgresql://user:password@host/db") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ConfigError(f"unsupported database {backend!r}: use sqlite:///path.db or postgresql://...")


def _sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


async def _switch_to_wal(conn: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the write lock.

    Switching a new (rollback-journal) database reads page 1 and then takes the write lock. SQLite
    does not apply ``busy_timeout`` to that upgrade, so while another connection is writing — a second
    process, replica or pooled connection opening the same new file — it fails at once with "database
    is locked". Once the file is in WAL mode the statement changes nothing and takes no lock.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor = await conn.execute("PRAGMA journal_mode=WAL")
            await cursor.close()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.01)


def _make_engine(url: URL) -> AsyncEngine:
    if url.get_backend_name() != "sqlite":
        # pre_ping: a bot idles for hours and PostgreSQL (or a proxy) drops idle connections.
        return create_async_engine(url, pool_pre_ping=True)
    if _sqlite_memory(url):
        # One shared connection, or every checkout would see its own empty database.
        engine = create_async_engine(url, poolclass=StaticPool)
    else:
        assert url.database is not None
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # No rollback when a connection goes back to the pool: ``Connection.close`` has already rolled back
        # whatever was open (``async with engine.connect()`` / ``begin()`` always close), so the pool's own
        # reset was a second, empty ROLLBACK — one more hop to aiosqlite's thread on every store call.
        engine = create_async_engine(url, pool_reset_on_return=None)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below): the sqlite3 module's implicit transactions skip
        # SELECT and DDL, which would break the migration transaction and read consistency.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # First: switching a new database to WAL needs a brief exclusive lock, and a second process
        # opening at the same moment must wait for it rather than fail with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: readers never block the writer, so status queries do not stall job updates.
        dbapi_conn.run_async(_switch_to_wal)
        # NORMAL is durable across application crashes in WAL mode and avoids an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, for read-then-write transactions (migrations) that
        # would otherwise fail with SQLITE_BUSY when upgrading a read lock under contention.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


#: ``JobStore.save_shown``'s statement.
_SHOWN = (update(jobs).where(jobs.c.id == bindparam("s_id"), jobs.c.version == bindparam("s_version"))
          .values(shown_state=bindparam("s_shown")))

#: ``JobStore.get``'s statement.
_GET = select(jobs).where(jobs.c.id == bindparam("g_id"))


# -- the store ---------------------------------------------------------------------------------------------


class JobStore:
    """Async persistence for jobs. Create with ``await JobStore.open(url)``; close when done."""

    @functools.cached_property
    def channels(self) -> ChannelDefaults:
        """Per-channel request defaults (``/wan defaults``): one per store, so concurrent reads share."""
        return ChannelDefaults(self._engine, self._gate)

    @functools.cached_property
    def settings(self) -> ChannelSettings:
        """Per-channel settings (``/wan settings``; ``core.channel_settings`` says what they mean)."""
        return ChannelSettings(self._engine, self._gate)

    @functools.cached_property
    def user_prefs(self) -> UserPrefs:
        """Issue 14: per-person preferences (``/wan notify on|off``)."""
        return UserPrefs(self._engine, self._gate)

    @functools.cached_property
    def ideas(self) -> IdeaThreads:
        """Which idea a thread belongs to (``core.ideas``)."""
        return IdeaThreads(self._engine)

    @functools.cached_property
    def spend(self) -> SpendAsks:
        """Issue 13: pending confirmations and approvals, and once-only notices (``core.spend``)."""
        return SpendAsks(self._engine, self._gate)

    @functools.cached_property
    def votes(self) -> Votes:
        """Issue 13: votes on delivered results (``core.store.votes``)."""
        return Votes(self._engine, self._gate)

    def __init__(self, engine: AsyncEngine, schema: SchemaState) -> None:
        self._engine = engine
        #: What ``open`` found and did to the schema: ``schema.describe()`` is one line for logs.
        self.schema = schema
        #: SQLite: the process's write transactions take turns, new jobs first (``core.store.gate``).
        self._gate = WriteGate(enabled=engine.dialect.name == "sqlite")
        #: The one writer of new jobs: group commits (``core.store.batch``).
        self._inserts = InsertBatcher(engine, self._gate)
        #: The one writer of saves: group commits too (``core.store.saves``).
        self._saves = SaveBatcher(engine, self._gate)

    @classmethod
    async def open(cls, url: str) -> JobStore:
        """Connect, create the database file if needed and bring the schema up to date."""
        engine = _make_engine(driver_url(url))
        try:
            async with engine.execution_options(sqlite_immediate=True).begin() as conn:
                schema = await conn.run_sync(migrate)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, schema)

    async def close(self) -> None:
        await self._inserts.drain()  # a caller waiting on an insert gets its answer before the pool goes
        await self._saves.drain()
        await settle_writes()  # a write its cancelled caller left finishing must not meet a closed pool
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    # -- writes --------------------------------------------------------------------------------------------

    async def insert(
        self,
        job: Job,
        *,
        within: Sequence[BudgetCheck] = (),
        max_active_for_user: int | None = None,
        cooldown: float | None = None,
    ) -> None:
        """Store a new job as given (its ``version`` is kept, normally 0); returns once it is committed.

        With ``within`` / ``max_active_for_user`` / ``cooldown`` (seconds since the user's latest job),
        the budgets, the per-user cap and the cooldown are checked in the same locked transaction as the
        insert, so concurrent requests (from any replica) cannot both slip under a limit: raises
        ``BudgetExceeded`` / ``QuotaExceeded`` and stores nothing. Concurrent inserts share one
        transaction (``core.store.batch``), each checked after the ones before it.
        """
        await self._inserts.insert(job, Limits(within, max_active_for_user, cooldown))

    async def insert_group(
        self,
        group: Sequence[Job],
        *,
        within: Sequence[BudgetCheck] = (),
        max_active_for_user: int | None = None,
        cooldown: float | None = None,
    ) -> None:
        """``insert`` for jobs started together (a variants batch): all stored, each counted against the
        limits, or none (the first refusal is raised). The cooldown is checked once, for the first."""
        await self._inserts.insert_group(list(group), Limits(within, max_active_for_user, cooldown))

    async def save(self, job: Job) -> Job:
        """Write ``job`` over the stored row if that row is still at ``job.version``.

        Returns the job at its new version once it is committed; raises ``StaleJob`` if another writer got
        there first (re-read with ``get`` and re-apply the change) or the row is gone. Concurrent saves share
        a transaction (``core.store.saves``); a caller cancelled meanwhile still has its save written.
        """
        saved = job.evolve(version=job.version + 1)
        rows = await self._saves.save(save_params(saved, job.version))
        if rows != 1:
            raise StaleJob(job.id, job.version, missing=await self.get(job.id) is None)
        return saved

    @completes
    async def save_shown(self, shown: Sequence[tuple[str, int, str]]) -> None:
        """Record what status messages show: ``(job id, version, shown_state)`` each, in one transaction.

        ``shown_state`` is the job book's note of its own edits (``core.jobbook``: written behind, when no
        save of the job carried it first). Written only where the row is still at that version (a row
        that moved on was saved, or claimed, with its own), and without bumping the version: the holder's
        in-memory copy, which has the value already, stays valid for its next save.
        """
        if not shown:
            return
        params = [{"s_id": job_id, "s_version": version, "s_shown": state} for job_id, version, state in shown]
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(_SHOWN, params)

    @property
    def leases(self) -> Leases:
        """Job leases, global DashScope slots and replica heartbeats (several processes, one database)."""
        return Leases(self._engine, self._gate)

    @functools.cached_property
    def archive(self) -> ArchiveRows:
        """Archived copies of delivered results, and the channel history read (issue 13)."""
        return ArchiveRows(self._engine, self._gate)

    @property
    def orphans(self) -> OrphanTasks:
        """DashScope tasks on the account that no job owns (never adopted again)."""
        return OrphanTasks(self._engine, self._gate)

    # -- reads ----------------------------------------------------------------------------------------------

    async def _fetch(
        self,
        *where: ColumnElement[bool],
        order: Sequence[Any] = (),
        limit: int | None = None,
        skip_corrupt: bool = False,
    ) -> list[Job]:
        stmt = select(jobs).where(*where).order_by(*order)
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        if not skip_corrupt:
            return [row_to_job(row) for row in rows]
        out = []
        for row in rows:
            try:
                out.append(row_to_job(row))
            except CorruptJob as exc:
                # One unreadable row (e.g. a model since removed from the catalogue) must not stop
                # every other job from resuming.
                log.error("skipping job %s: %s", row.id, exc.message)
        return out

    async def get(self, job_id: str) -> Job | None:
        # Built once (a job is read by id on every reload): no statement building or cache key per call.
        async with self._engine.connect() as conn:
            row = (await conn.execute(_GET, {"g_id": job_id})).first()
        return None if row is None else row_to_job(row)

    async def by_task_id(self, task_id: str) -> Job | None:
        found = await self._fetch(jobs.c.task_id == task_id)
        return found[0] if found else None

    async def active(self) -> list[Job]:
        """Every non-terminal job, oldest first: what a restarted process must pick up again."""
        return await self._fetch(
            jobs.c.state.in_(ACTIVE_STATES), order=(jobs.c.created_at, jobs.c.id), skip_corrupt=True
        )

    _user = staticmethod(user_filter)

    async def count_active_for_user(self, platform: str, workspace_id: str | None, user_id: str) -> int:
        stmt = (
            select(jobs.c.id)
            .where(*self._user(platform, workspace_id, user_id), jobs.c.state.in_(ACTIVE_STATES))
            .subquery()
        )
        async with self._engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(stmt)) or 0)

    async def recent_for_user(
        self, platform: str, workspace_id: str | None, user_id: str, limit: int = 10
    ) -> list[Job]:
        """The user's latest jobs, newest first, in any state."""
        return await self._fetch(
            *self._user(platform, workspace_id, user_id),
            order=(jobs.c.created_at.desc(), jobs.c.id.desc()),
            limit=limit,
        )

    async def latest_active_for_user(
        self, platform: str, workspace_id: str | None, user_id: str
    ) -> Job | None:
        """The job ``/wan status`` and ``/wan cancel`` mean when no id is given."""
        found = await self._fetch(
            *self._user(platform, workspace_id, user_id),
            jobs.c.state.in_(ACTIVE_STATES),
            order=(jobs.c.created_at.desc(), jobs.c.id.desc()),
            limit=1,
        )
        return found[0] if found else None

    async def usage(
        self,
        *,
        since: datetime,
        platform: str,
        workspace_id: str | None,
        user_id: str | None = None,
        until: datetime | None = None,
    ) -> UsageTotals:
        """Billed usage of jobs created in ``[since, until)``; ``user_id=None`` totals the workspace."""
        conds = [
            *self._user(platform, workspace_id, user_id),
            jobs.c.state.in_(BILLED_STATES),
            or_(jobs.c.billed_seconds.is_not(None), jobs.c.cost.is_not(None)),
            jobs.c.created_at >= require_aware(since, "since"),
        ]
        if until is not None:
            conds.append(jobs.c.created_at < require_aware(until, "until"))
        stmt = select(jobs.c.billed_seconds, jobs.c.cost, jobs.c.image_urls, jobs.c.request).where(and_(*conds))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        # Summed here, not in SQL: costs are exact decimal text, which SQLite's SUM would turn into floats.
        return UsageTotals(
            jobs=len(rows),
            billed_seconds=sum((r.billed_seconds or 0.0 for r in rows), 0.0),
            cost=sum((r.cost for r in rows if r.cost is not None), Decimal("0")),
            images=sum(len(r.image_urls or ()) for r in rows),
            image_jobs=sum(1 for r in rows if isinstance(r.request, dict) and r.request.get("kind") == "image"),
        )

    async def recently_delivered(self, limit: int = 200) -> list[Job]:
        """The latest delivered jobs, oldest first: the history task durations are learnt from."""
        found = await self._fetch(jobs.c.state == JobState.DELIVERED.value,
                                  order=(jobs.c.created_at.desc(),), limit=limit, skip_corrupt=True)
        return found[::-1]

    async def task_ids_since(self, since: datetime) -> set[str]:
        """Task ids of jobs created, submitted or updated at or after ``since``.

        Used to exclude already-claimed tasks when reconciling a create, so it errs on the side of
        more ids: a job created before ``since`` but submitted after it is included too.
        """
        since = require_aware(since, "since")
        stmt = select(jobs.c.task_id).where(
            jobs.c.task_id.is_not(None),
            or_(jobs.c.created_at >= since, jobs.c.submit_started_at >= since, jobs.c.updated_at >= since),
        )
        async with self._engine.connect() as conn:
            return {str(t) for t in (await conn.scalars(stmt)).all()}

    async def known_task_ids(self, since: datetime) -> set[str]:
        """Every task id the deployment knows since ``since``: jobs' tasks and recorded orphans.

        A reconciliation never adopts one of these; read from the store each time, so the tasks other
        replicas stored a moment ago count too.
        """
        return await self.task_ids_since(since) | await self.orphans.ids_since(since)
