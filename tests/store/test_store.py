"""Contract tests of ``JobStore``: each runs on SQLite and on PostgreSQL (see conftest)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text

from core.errors import ConfigError, WanbotError
from core.jobs import Job, JobState, Requester
from core.port import ConversationRef, MessageRef
from core.request import GenerationRequest
from core.store import (
    HEAD_REVISION,
    DuplicateJob,
    JobStore,
    SchemaError,
    StaleJob,
    TaskClaimed,
    driver_url,
)
from core.store.migrations import LEGACY_MARKER
from core.store.schema import iso_utc, jobs, schema_version, votes

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
_ids = count(1)


def make_job(
    *,
    user: str = "u1",
    workspace: str | None = "w1",
    platform: str = "discord",
    state: JobState = JobState.QUEUED,
    created_at: datetime = T0,
    **changes: Any,
) -> Job:
    conv = ConversationRef(platform=platform, channel_id="c1", workspace_id=workspace)
    job = Job(
        id=f"job{next(_ids):05d}",
        requester=Requester(platform=platform, user_id=user, channel_id="c1", workspace_id=workspace),
        conversation=conv,
        request=GenerationRequest.build(prompt="a red fox in the snow"),
        state=state,
        created_at=created_at,
    )
    return job.evolve(**changes)


def full_job() -> Job:
    """Every field set to a non-default value, with awkward timestamps and an exact decimal."""
    conv = ConversationRef(platform="slack", channel_id="C42", workspace_id="T1", thread_id="1700000000.0001")
    plus8 = timezone(timedelta(hours=8))
    return Job(
        id="abcd2345",
        requester=Requester(platform="slack", user_id="U9", channel_id="C42", workspace_id="T1",
                            user_name="Zoë ☃"),
        conversation=conv,
        request=GenerationRequest.build(prompt="城市夜景, neon", negative_prompt="blur", seed=7,
                                        duration=10, resolution="1080P", ratio="9:16", watermark=True),
        state=JobState.DELIVERED,
        created_at=T0,
        state_times={
            "QUEUED": T0,
            "RUNNING": datetime(2025, 3, 1, 20, 1, 2, 999999, tzinfo=plus8),
            "DELIVERED": datetime(2025, 3, 1, 12, 5, 0, 0, tzinfo=UTC),
        },
        task_id="0385dc79-5ff8-4d82-bcb6-xxxxxxxxxxxx",
        submit_started_at=T0 + timedelta(microseconds=1),
        status_ref=MessageRef(conv, "1700000000.0002"),
        video_url="https://dashscope-result.oss.example/abc.mp4?Expires=1&Signature=x%2By",
        video_expires_at=datetime(2025, 3, 2, 20, 0, 0, 1, tzinfo=plus8),
        delivered_ref=MessageRef(ConversationRef("slack", "C43", "T1"), "1700000000.0003"),
        delivery_note="re-encoded to 720p to fit 8 MB",
        billed_seconds=10.0,
        cost=Decimal("1.0000"),
        error_code="InternalError.Timeout",
        error_message="it's \"quoted\"\nand multi-line",
        shown_state="DELIVERED",
        updated_at=T0 + timedelta(minutes=5),
        version=3,
        extra={"reroll_of": "zzzz2222", "nested": {"n": [1, 2.5, None, True]}},
    )


def assert_aware_utc_equal(a: datetime | None, b: datetime | None) -> None:
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert a.tzinfo is not None and a.utcoffset() is not None
        assert a == b


# -- round trip ---------------------------------------------------------------------------------------------


async def test_full_job_round_trips(store: JobStore) -> None:
    job = full_job()
    await store.insert(job)
    got = await store.get(job.id)
    assert got == job  # dataclass equality covers every field; aware datetimes compare by instant
    assert got is not None
    for name in ("created_at", "updated_at", "submit_started_at", "video_expires_at"):
        assert_aware_utc_equal(getattr(got, name), getattr(job, name))
    for key, when in job.state_times.items():
        assert_aware_utc_equal(got.state_times[key], when)
    assert isinstance(got.cost, Decimal) and str(got.cost) == "1.0000"
    assert got.request == job.request and got.request.seed == 7
    assert got.state is JobState.DELIVERED
    assert got.requester.user_name == "Zoë ☃"


async def test_minimal_job_round_trips(store: JobStore) -> None:
    job = make_job(workspace=None)
    await store.insert(job)
    assert await store.get(job.id) == job
    assert await store.get("missing") is None


async def test_naive_datetimes_are_refused(store: JobStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.insert(make_job(created_at=datetime(2025, 1, 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.insert(make_job(state_times={"QUEUED": datetime(2025, 1, 1)}))


async def test_by_task_id(store: JobStore) -> None:
    job = make_job(task_id="task-1", state=JobState.PENDING)
    await store.insert(job)
    await store.insert(make_job(task_id="task-2"))
    assert await store.by_task_id("task-1") == job
    assert await store.by_task_id("nope") is None


# -- schema and reopening ------------------------------------------------------------------------------------


async def _revisions(store: JobStore) -> list[str]:
    async with store.engine.connect() as conn:
        return list((await conn.scalars(text("SELECT version_num FROM alembic_version"))).all())


async def test_fresh_database_gets_every_migration(store: JobStore) -> None:
    async with store.engine.connect() as conn:
        legacy = (await conn.scalars(select(schema_version.c.version))).all()
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("jobs")})
        indexes = await conn.run_sync(lambda c: {ix["name"] for ix in inspect(c).get_indexes("jobs")})
    assert await _revisions(store) == [HEAD_REVISION]
    assert store.schema.describe() == f"schema revision {HEAD_REVISION} (new database)"
    # The old version table holds only the marker that makes pre-Alembic builds refuse this database.
    assert list(legacy) == [LEGACY_MARKER]
    # The migrations and the table the code uses must describe the same columns.
    assert columns == {c.name for c in jobs.columns}
    assert {"ix_jobs_state_created", "ix_jobs_user", "ux_jobs_task_id"} <= indexes
    # Issue 13 votes (migration 9): the votes table as the code reads it.
    async with store.engine.connect() as conn:
        vote_columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("votes")})
        vote_indexes = await conn.run_sync(lambda c: {ix["name"] for ix in inspect(c).get_indexes("votes")})
    assert vote_columns == {c.name for c in votes.columns}
    assert "ix_votes_channel" in vote_indexes


async def test_reopen_is_idempotent_and_sees_the_same_jobs(db_url: str) -> None:
    first = await JobStore.open(db_url)
    job = full_job()
    await first.insert(job)
    await first.close()
    async with await JobStore.open(db_url) as second, await JobStore.open(db_url) as third:
        assert await second.get(job.id) == job
        assert await third.get(job.id) == job
        assert await _revisions(second) == [HEAD_REVISION]
        assert second.schema.describe().endswith("(up to date)")


async def test_concurrent_opens_of_an_empty_database(db_url: str) -> None:
    stores = await asyncio.gather(*(JobStore.open(db_url) for _ in range(3)))
    try:
        assert await _revisions(stores[0]) == [HEAD_REVISION]
        assert sorted(s.schema.before or "" for s in stores) == ["", HEAD_REVISION, HEAD_REVISION]
    finally:
        for s in stores:
            await s.close()


async def test_newer_schema_is_refused(db_url: str) -> None:
    async with await JobStore.open(db_url) as s, s.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match=r"database is at schema revision 9999, newer than this wanbot"):
        await JobStore.open(db_url)


# -- optimistic concurrency ----------------------------------------------------------------------------------


async def test_save_bumps_version_and_stale_save_raises(store: JobStore) -> None:
    job = make_job()
    await store.insert(job)
    a = job.moved_to(JobState.SUBMITTING, T0 + timedelta(seconds=1))
    b = job.evolve(error_message="from another worker")
    saved = await store.save(a)
    assert saved.version == job.version + 1
    assert await store.get(job.id) == saved
    with pytest.raises(StaleJob) as info:
        await store.save(b)
    assert isinstance(info.value, WanbotError) and info.value.code == "StaleJob"
    assert not info.value.missing
    # The losing write left no trace; the winner can keep going from what save returned.
    again = await store.save(saved.evolve(task_id="t-9"))
    assert again.version == 2 and (await store.get(job.id)) == again


async def test_concurrent_saves_exactly_one_wins(store: JobStore) -> None:
    job = make_job()
    await store.insert(job)
    results = await asyncio.gather(
        *(store.save(job.evolve(delivery_note=str(i))) for i in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, Job) for r in results) == 1
    assert sum(isinstance(r, StaleJob) for r in results) == 4


async def test_save_of_a_missing_job_is_stale(store: JobStore) -> None:
    with pytest.raises(StaleJob) as info:
        await store.save(make_job())
    assert info.value.missing


async def test_duplicate_id_and_claimed_task(store: JobStore) -> None:
    job = make_job(task_id="t-1")
    await store.insert(job)
    with pytest.raises(DuplicateJob):
        await store.insert(job.evolve(task_id=None))
    with pytest.raises(TaskClaimed):
        await store.insert(make_job(task_id="t-1"))
    other = make_job()
    await store.insert(other)
    with pytest.raises(TaskClaimed):
        await store.save(other.evolve(task_id="t-1"))
    # The failed save changed nothing.
    assert await store.get(other.id) == other


# -- queries -------------------------------------------------------------------------------------------------


async def test_active_is_non_terminal_oldest_first(store: JobStore) -> None:
    made = {}
    for i, state in enumerate(JobState):
        # Insert out of time order so the ORDER BY, not insertion order, decides.
        job = make_job(state=state, created_at=T0 - timedelta(seconds=(i * 7) % 5, microseconds=i))
        made[state] = job
        await store.insert(job)
    active = await store.active()
    assert {j.state for j in active} == {s for s in JobState if not s.terminal}
    assert [j.created_at for j in active] == sorted(j.created_at for j in active)
    assert len(active) == 5


async def test_per_user_counts_recent_and_latest(store: JobStore) -> None:
    for i, state in enumerate([JobState.QUEUED, JobState.RUNNING, JobState.DELIVERED, JobState.FAILED]):
        await store.insert(make_job(state=state, created_at=T0 + timedelta(seconds=i)))
    await store.insert(make_job(user="u2"))
    await store.insert(make_job(workspace="w2"))
    await store.insert(make_job(platform="slack"))
    dm = make_job(workspace=None, state=JobState.PENDING)
    await store.insert(dm)

    assert await store.count_active_for_user("discord", "w1", "u1") == 2
    assert await store.count_active_for_user("discord", "w1", "u2") == 1
    assert await store.count_active_for_user("discord", None, "u1") == 1
    assert await store.count_active_for_user("discord", "w1", "nobody") == 0

    recent = await store.recent_for_user("discord", "w1", "u1", limit=3)
    assert [j.state for j in recent] == [JobState.FAILED, JobState.DELIVERED, JobState.RUNNING]
    latest = await store.latest_active_for_user("discord", "w1", "u1")
    assert latest is not None and latest.state is JobState.RUNNING
    assert await store.latest_active_for_user("discord", None, "u1") == dm
    assert await store.latest_active_for_user("discord", "w1", "nobody") is None


async def test_usage_sums_billed_jobs_in_the_period(store: JobStore) -> None:
    march, april = T0, T0 + timedelta(days=31)

    async def add(state: JobState, when: datetime, seconds: float | None, cost: str | None,
                  user: str = "u1") -> None:
        await store.insert(make_job(state=state, created_at=when, user=user, billed_seconds=seconds,
                                    cost=Decimal(cost) if cost else None))

    await add(JobState.DELIVERED, march, 5, "0.5")
    await add(JobState.DELIVERED, april, 5, "0.5")
    await add(JobState.SUCCEEDED, april, 10, "1.0000")
    await add(JobState.DELIVERED, april, 5, "0.1", user="u2")
    await add(JobState.FAILED, april, None, None)  # failed generations are free
    await add(JobState.RUNNING, april, None, None)

    totals = await store.usage(since=april, platform="discord", workspace_id="w1", user_id="u1")
    assert (totals.jobs, totals.billed_seconds, totals.cost) == (2, 15.0, Decimal("1.5"))
    workspace = await store.usage(since=march, platform="discord", workspace_id="w1")
    assert (workspace.jobs, workspace.billed_seconds, workspace.cost) == (4, 25.0, Decimal("2.1"))
    only_march = await store.usage(since=march, until=april, platform="discord", workspace_id="w1")
    assert (only_march.jobs, only_march.cost) == (1, Decimal("0.5"))
    nothing = await store.usage(since=april, platform="slack", workspace_id="w1")
    assert (nothing.jobs, nothing.billed_seconds, nothing.cost) == (0, 0.0, Decimal(0))


async def test_task_ids_since(store: JobStore) -> None:
    await store.insert(make_job(task_id="old", created_at=T0 - timedelta(hours=2)))
    await store.insert(make_job(task_id="new", created_at=T0 + timedelta(seconds=1)))
    await store.insert(make_job(task_id=None, created_at=T0 + timedelta(seconds=2)))
    # Created before the cut-off but submitted after it: still claimed.
    await store.insert(make_job(task_id="late-submit", created_at=T0 - timedelta(hours=1),
                                submit_started_at=T0 + timedelta(seconds=3)))
    assert await store.task_ids_since(T0) == {"new", "late-submit"}
    assert await store.task_ids_since(T0 - timedelta(days=1)) == {"old", "new", "late-submit"}


# -- SQLite specifics and URLs ------------------------------------------------------------------------------


async def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    async with await JobStore.open(f"sqlite:///{tmp_path}/a/b/w.db") as s, s.engine.connect() as conn:
        assert (await conn.scalar(text("PRAGMA journal_mode"))) == "wal"
        assert (await conn.scalar(text("PRAGMA busy_timeout"))) >= 1000
    assert (tmp_path / "a" / "b" / "w.db").exists()


async def test_sqlite_memory_url_works() -> None:
    async with await JobStore.open("sqlite:///:memory:") as s:
        job = make_job()
        await s.insert(job)
        assert await s.get(job.id) == job


def test_driver_urls() -> None:
    assert driver_url("sqlite:///./wanbot.db").drivername == "sqlite+aiosqlite"
    assert driver_url("postgresql://u:p@h:5432/db").render_as_string(hide_password=False) == (
        "postgresql+asyncpg://u:p@h:5432/db"
    )
    assert driver_url("postgres://h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(ConfigError):
        driver_url("mysql://h/db")
    with pytest.raises(ConfigError):
        driver_url("not a url")


# Fixed offsets only: zoneinfo times inside a DST gap never compare equal across zones (PEP 495),
# which would test Python rather than the store.
_offsets = st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                                             max_value=timedelta(hours=23, minutes=59)))
_aware = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=_offsets)


@given(_aware, _aware)
def test_sqlite_timestamp_text_is_exact_and_sorts_in_time_order(a: datetime, b: datetime) -> None:
    assert datetime.fromisoformat(iso_utc(a)) == a
    assert (iso_utc(a) < iso_utc(b)) == (a < b)


async def test_an_unreadable_row_does_not_stop_the_others_from_resuming(tmp_path: Path) -> None:
    from sqlalchemy import update as sql_update

    store = await JobStore.open(f"sqlite:///{tmp_path}/corrupt.db")
    try:
        good, bad = make_job(), make_job(created_at=T0 + timedelta(seconds=1))
        await store.insert(good)
        await store.insert(bad)
        async with store.engine.begin() as conn:
            await conn.execute(sql_update(jobs).where(jobs.c.id == bad.id).values(request='{"model": 1}'))
        assert [j.id for j in await store.active()] == [good.id]
    finally:
        await store.close()


# -- image jobs (issue 10) ---------------------------------------------------------------------------------


async def test_an_image_job_round_trips_as_an_image_request(store: JobStore) -> None:
    from core.request import ImageRequest

    request = ImageRequest.build(prompt="a mountain lake", model="wan2.7-image-pro", size="4K", n=3, seed=9,
                                 watermark=True, thinking_mode=False)
    job = make_job(request=request, state=JobState.SUCCEEDED, cost=Decimal("1.50"),
                   image_urls=("https://r/a.png?Expires=1", "https://r/b.png?Expires=1"))
    await store.insert(job)
    got = await store.get(job.id)
    assert got == job and isinstance(got.request, ImageRequest) and got.request == request
    assert got.image_urls == job.image_urls
    video = make_job()
    await store.insert(video)
    again = await store.get(video.id)
    assert again is not None and isinstance(again.request, GenerationRequest) and again.image_urls == ()


async def test_a_stored_request_without_a_kind_reads_as_a_video(store: JobStore) -> None:
    job = make_job()
    await store.insert(job)
    legacy = job.request.model_dump(mode="json")
    del legacy["kind"]
    async with store.engine.begin() as conn:
        await conn.execute(jobs.update().where(jobs.c.id == job.id).values(request=legacy))
    assert await store.get(job.id) == job


async def test_usage_counts_images(store: JobStore) -> None:
    from core.request import ImageRequest

    image = make_job(request=ImageRequest.build(prompt="a lake", n=4), state=JobState.DELIVERED,
                     cost=Decimal("0.60"), image_urls=("u1", "u2", "u3"))
    video = make_job(state=JobState.DELIVERED, billed_seconds=5.0, cost=Decimal("3.00"))
    failed = make_job(request=ImageRequest.build(prompt="a lake", n=2), state=JobState.FAILED)
    for job in (image, video, failed):
        await store.insert(job)
    usage = await store.usage(since=T0 - timedelta(days=1), platform="discord", workspace_id="w1")
    assert (usage.jobs, usage.images, usage.billed_seconds, usage.cost) == (2, 3, 5.0, Decimal("3.60"))
