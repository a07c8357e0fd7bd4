"""The Alembic migrations (``core.store.migrations``), on SQLite and PostgreSQL (see conftest).

A fresh database reaches the head and equals the code's ``metadata`` (Alembic's autogenerate diff is
empty); the revisions build exactly what the hand-written migrations built (``legacy_schema``, a frozen
copy); a database that system built is adopted at its version and upgraded with its data; databases
newer than this build are refused, and builds from before Alembic refuse ours; concurrent openers on
PostgreSQL wait for the advisory lock; downgrade to nothing and back works.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.store import HEAD_REVISION, LATEST_VERSION, JobStore, SchemaError, SchemaState
from core.store.jobstore import _make_engine, driver_url
from core.store.migrations import LEGACY_MARKER, SCRIPTS, downgrade
from core.store.rows import job_to_row
from core.store.schema import channel_defaults, jobs, metadata, schema_version
from tests.fakes.until import until
from tests.store import legacy_schema
from tests.store.conftest import _admin
from tests.store.test_store import make_job


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A bare engine on the empty database, configured like the store's (SQLite: WAL, explicit BEGIN)."""
    eng = _make_engine(driver_url(db_url))
    try:
        yield eng
    finally:
        await eng.dispose()


def _diff(conn: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


def _shape(conn: Connection) -> dict[str, Any]:
    """Every table but Alembic's own: columns, primary key, indexes (and on SQLite the DDL text itself)."""
    insp = inspect(conn)
    shape: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        if table == "alembic_version":
            continue
        shape[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in insp.get_columns(table)],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in insp.get_indexes(table)),
            "unique": insp.get_unique_constraints(table),
            "foreign": insp.get_foreign_keys(table),
        }
    if conn.dialect.name == "sqlite":
        shape["sqlite_master"] = sorted(
            (kind, name, sql) for kind, name, sql in conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name != 'alembic_version'").all())
    return shape


async def _legacy_build(engine: AsyncEngine, upto: int) -> None:
    async with engine.execution_options(sqlite_immediate=True).begin() as conn:
        await conn.run_sync(lambda c: legacy_schema.migrate(c, upto))


async def _revision(store: JobStore) -> list[str]:
    async with store.engine.connect() as conn:
        return list((await conn.scalars(text("SELECT version_num FROM alembic_version"))).all())


# -- fresh databases -------------------------------------------------------------------------------------------


async def test_a_fresh_database_reaches_the_head_and_equals_the_metadata(db_url: str) -> None:
    async with await JobStore.open(db_url) as store:
        assert store.schema == SchemaState(revision=HEAD_REVISION, before=None)
        assert await _revision(store) == [HEAD_REVISION]
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []


async def test_the_revisions_build_what_the_hand_written_migrations_built(db_url: str, engine: AsyncEngine) -> None:
    await _legacy_build(engine, legacy_schema.LATEST_VERSION)
    async with engine.connect() as conn:
        old = await conn.run_sync(_shape)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: _drop_everything(c))
    async with await JobStore.open(db_url) as store, store.engine.connect() as conn:
        new = await conn.run_sync(_shape)
    assert new == old


def _drop_everything(conn: Connection) -> None:
    md = MetaData()
    md.reflect(conn)
    md.drop_all(conn)


def test_revisions_are_numbered_in_one_line_and_named_after_their_number() -> None:
    scripts = list(reversed(list(SCRIPTS.walk_revisions())))
    ids = [s.revision for s in scripts]
    assert ids == [f"{n:04d}" for n in range(1, len(ids) + 1)]
    assert [s.down_revision for s in scripts] == [None, *ids[:-1]]
    assert all(Path(s.path).name.startswith(f"v{s.revision}_") for s in scripts)
    assert ids[-1] == HEAD_REVISION and len(ids) == LATEST_VERSION


async def test_stores_on_different_databases_migrate_at_once_in_one_process(tmp_path: Path) -> None:
    # Nothing serialises these (different files): each migration must use its own connection only.
    urls = [f"sqlite:///{tmp_path}/db{n}.db" for n in range(4)]
    stores = await asyncio.gather(*(JobStore.open(url) for url in urls))
    try:
        for store in stores:
            assert store.schema == SchemaState(revision=HEAD_REVISION, before=None)
            async with store.engine.connect() as conn:
                assert await conn.run_sync(_diff) == []
    finally:
        for store in stores:
            await store.close()


# -- databases of the hand-written system --------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 5, legacy_schema.LATEST_VERSION])
async def test_a_hand_written_database_is_adopted_and_upgraded_with_its_data(
        db_url: str, engine: AsyncEngine, version: int) -> None:
    await _legacy_build(engine, version)
    job = make_job(task_id="task-old")
    async with engine.begin() as conn:
        have = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("jobs")})
        # Through the code's tables (their types encode the values), naming only the columns there are.
        await conn.execute(insert(jobs).values({k: v for k, v in job_to_row(job).items() if k in have}))
        if version >= 2:
            await conn.execute(insert(channel_defaults).values(
                platform="discord", workspace_id="w1", channel_id="c0", defaults={"duration": 5}, updated_by="old",
                updated_at=job.created_at))

    async with await JobStore.open(db_url) as store:
        assert store.schema == SchemaState(revision=HEAD_REVISION, before=f"{version:04d}", adopted_from=version)
        assert store.schema.describe() == (
            f"schema revision {HEAD_REVISION} (adopted from hand-written schema version {version}"
            + (", then upgraded)" if version < LATEST_VERSION else ")"))
        assert await store.get(job.id) == job
        assert await store.by_task_id("task-old") == job
        if version >= 2:
            assert await store.channels.get("discord", "w1", "c0") == {"duration": 5}
        # The columns and tables of the later revisions work.
        await store.insert(make_job(reserved_cost=Decimal("1.5")))
        await store.channels.set("discord", "w1", "c1", {"duration": 5}, by="x")
        assert await _revision(store) == [HEAD_REVISION]
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            history = (await conn.scalars(select(schema_version.c.version).order_by(schema_version.c.version))).all()
        assert list(history) == [*range(1, version + 1), LEGACY_MARKER]

    # Once adopted, a reopen is an ordinary one.
    async with await JobStore.open(db_url) as again:
        assert again.schema == SchemaState(revision=HEAD_REVISION, before=HEAD_REVISION)


async def test_a_hand_written_database_newer_than_every_revision_is_refused(db_url: str, engine: AsyncEngine) -> None:
    await _legacy_build(engine, legacy_schema.LATEST_VERSION)
    async with engine.begin() as conn:
        await conn.execute(schema_version.insert().values(version=LATEST_VERSION + 1, description="from the future",
                                                          applied_at=make_job().created_at))
    with pytest.raises(SchemaError, match=f"hand-written schema version {LATEST_VERSION + 1}, newer than this wanbot"):
        await JobStore.open(db_url)
    async with engine.connect() as conn:  # nothing was stamped or changed
        assert not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version"))


async def test_a_build_from_before_alembic_refuses_a_database_alembic_manages(db_url: str, engine: AsyncEngine) -> None:
    await (await JobStore.open(db_url)).close()
    with pytest.raises(legacy_schema.SchemaError, match=f"schema version {LEGACY_MARKER}, newer than this wanbot"):
        async with engine.begin() as conn:
            await conn.run_sync(legacy_schema.migrate)


# -- locking and downgrades ------------------------------------------------------------------------------------


async def test_concurrent_openers_on_postgresql_wait_for_the_advisory_lock(pg_database: str) -> None:
    from core.store.migrations import _PG_MIGRATION_LOCK

    await _admin("DROP SCHEMA public CASCADE; CREATE SCHEMA public", pg_database)
    holder = await asyncpg.connect(pg_database, timeout=5)
    try:
        # A session lock on the same key conflicts with the transaction lock ``migrate`` takes.
        await holder.execute("SELECT pg_advisory_lock($1)", _PG_MIGRATION_LOCK)
        openers = [asyncio.ensure_future(JobStore.open(pg_database)) for _ in range(2)]

        async def both_waiting() -> bool:
            if any(o.done() for o in openers):
                return True
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
                _PG_MIGRATION_LOCK & 0xFFFFFFFF)
            return bool(waiting == 2)

        await until(both_waiting, "both openers wait for the migration lock", timeout=30)
        assert not any(o.done() for o in openers), "an opener migrated without waiting for the lock"
        assert await holder.fetchval("SELECT to_regclass('public.alembic_version')") is None
        await holder.execute("SELECT pg_advisory_unlock($1)", _PG_MIGRATION_LOCK)
        stores = await asyncio.gather(*openers)
    finally:
        await holder.close()
    try:
        # One created the schema, the other found it done: the second waited and did not run DDL again.
        assert sorted(s.schema.before or "" for s in stores) == ["", HEAD_REVISION]
        assert await _revision(stores[0]) == [HEAD_REVISION]
    finally:
        for s in stores:
            await s.close()


async def test_downgrade_to_nothing_and_up_again(db_url: str) -> None:
    async with await JobStore.open(db_url) as store:
        await store.insert(make_job())
        async with store.engine.execution_options(sqlite_immediate=True).begin() as conn:
            await conn.run_sync(lambda c: downgrade(c, "0001"))
        async with store.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("jobs")})
        assert tables == {"alembic_version", "schema_version", "jobs"}
        assert {"reserved_cost", "lease_owner", "image_urls"}.isdisjoint(columns)
        async with store.engine.execution_options(sqlite_immediate=True).begin() as conn:
            await conn.run_sync(lambda c: downgrade(c, "base"))
        async with store.engine.connect() as conn:
            assert set(await conn.run_sync(lambda c: inspect(c).get_table_names())) == {"alembic_version"}
    async with await JobStore.open(db_url) as again, again.engine.connect() as conn:
        assert again.schema.before is None
        assert await conn.run_sync(_diff) == []
