"""The archiver's own rules on a virtual clock (issue 13): retention deletes copies (and rows) older than
``WANBOT_ARCHIVE_RETENTION_DAYS`` — the periodic sweep does it as virtual days pass — and keeps newer ones;
without a retention nothing is ever deleted; spooled files of jobs that did not end delivered are dropped,
those still being delivered are kept; an image job's several files get one key each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.archive import Archiver, LocalDirBackend
from core.jobs import Job, JobState
from core.store import JobStore
from tests.fakes.clock import FakeClock
from tests.fakes.until import until
from tests.store.test_store import make_job

DAY = 86400.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[JobStore]:
    async with await JobStore.open(f"sqlite:///{tmp_path}/wanbot.db") as s:
        yield s


def _archiver(tmp_path: Path, store: JobStore, clock: FakeClock, jobs: dict[str, Job],
              retention_days: float | None) -> Archiver:
    async def job(job_id: str) -> Job | None:
        return jobs.get(job_id)

    return Archiver(LocalDirBackend(tmp_path / "archive"), store.archive, job, spool=tmp_path / "archive" / ".spool",
                    now=lambda: datetime.fromtimestamp(clock(), UTC), retention_days=retention_days,
                    interval=3600.0, sleep=clock.sleep)


async def _deliver(archiver: Archiver, tmp_path: Path, job: Job, *names: str) -> list[Path]:
    files = []
    for name in names:
        path = tmp_path / "work" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{job.id}:{name}".encode())
        files.append(path)
    await archiver.stage(job, files)
    for path in files:
        path.unlink()  # what the delivery does right after staging
    await archiver.delivered(job.id)
    return files


async def test_the_periodic_sweep_deletes_copies_past_retention_and_keeps_newer_ones(
        tmp_path: Path, store: JobStore) -> None:
    clock = FakeClock()
    old, new = make_job(state=JobState.DELIVERED), make_job(state=JobState.DELIVERED)
    jobs = {old.id: old, new.id: new}
    archiver = _archiver(tmp_path, store, clock, jobs, retention_days=30)
    await _deliver(archiver, tmp_path, old, "wan.mp4")
    clock.advance(10 * DAY)
    await _deliver(archiver, tmp_path, new, "wan.mp4")
    archive = tmp_path / "archive"
    assert (archive / f"{old.id}.mp4").read_bytes() == f"{old.id}:wan.mp4".encode()
    clock.start()
    sweeper = asyncio.create_task(archiver.run_forever())
    try:
        # 30 days after the old one was archived, the hourly sweep deletes it; the new one is 20 days old.
        await until(lambda: not (archive / f"{old.id}.mp4").exists(), "the old copy swept", clock=clock,
                    steps=30 * 24 + 5)
        assert 30 * DAY <= clock() - 1_790_000_000.0 <= 30 * DAY + 3600 + 1
        assert (archive / f"{new.id}.mp4").exists()
        assert list(await store.archive.for_jobs([old.id, new.id])) == [new.id]
    finally:
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)
        await clock.stop()


async def test_without_retention_nothing_is_ever_deleted(tmp_path: Path, store: JobStore) -> None:
    clock = FakeClock()
    job = make_job(state=JobState.DELIVERED)
    archiver = _archiver(tmp_path, store, clock, {job.id: job}, retention_days=None)
    await _deliver(archiver, tmp_path, job, "wan.mp4")
    clock.advance(3650 * DAY)
    report = await archiver.sweep()
    assert report.expired == 0
    assert (tmp_path / "archive" / f"{job.id}.mp4").exists()


async def test_the_sweep_drops_what_was_never_delivered_and_waits_for_deliveries(
        tmp_path: Path, store: JobStore) -> None:
    clock = FakeClock()
    failed, delivering = make_job(state=JobState.FAILED), make_job(state=JobState.SUCCEEDED)
    jobs = {failed.id: failed, delivering.id: delivering}
    archiver = _archiver(tmp_path, store, clock, jobs, retention_days=None)
    for job in (failed, delivering):
        path = tmp_path / f"{job.id}.mp4"
        path.write_bytes(b"video")
        await archiver.stage(job, [path])
    report = await archiver.sweep()
    assert (report.archived, report.dropped) == (0, 1)
    spool = tmp_path / "archive" / ".spool"
    assert sorted(p.name for p in spool.iterdir()) == [delivering.id]
    jobs[delivering.id] = delivering.evolve(state=JobState.DELIVERED)
    assert (await archiver.sweep()).archived == 1
    assert (tmp_path / "archive" / f"{delivering.id}.mp4").read_bytes() == b"video"


async def test_an_image_job_s_files_get_one_key_each(tmp_path: Path, store: JobStore) -> None:
    clock = FakeClock()
    job = make_job(state=JobState.DELIVERED)
    archiver = _archiver(tmp_path, store, clock, {job.id: job}, retention_days=None)
    await _deliver(archiver, tmp_path, job, "wan-1.png", "wan-2.png")
    entries = (await store.archive.for_jobs([job.id]))[job.id]
    assert [(e.key, e.content_type) for e in entries] == [(f"{job.id}-1.png", "image/png"),
                                                          (f"{job.id}-2.png", "image/png")]
    assert (tmp_path / "archive" / f"{job.id}-2.png").read_bytes() == f"{job.id}:wan-2.png".encode()
    assert await archiver.forget(job.id) == 2
    assert not list((tmp_path / "archive").glob(f"{job.id}*"))


async def test_a_result_whose_upload_was_found_after_a_crash_is_fetched_again_to_archive(
        tmp_path: Path, store: JobStore) -> None:
    """A retried delivery that finds its upload already posted downloads nothing, so nothing is staged."""
    clock = FakeClock()
    now = datetime.fromtimestamp(clock(), UTC)
    fresh = make_job(state=JobState.DELIVERED, video_url="https://dashscope.example/a.mp4",
                     video_expires_at=now + timedelta(hours=20))
    expired = make_job(state=JobState.DELIVERED, video_url="https://dashscope.example/b.mp4",
                       video_expires_at=now - timedelta(hours=1))
    fetched: list[str] = []

    async def download(url: str, path: Path) -> int:
        fetched.append(url)
        path.write_bytes(b"the video again")
        return 15

    async def job(job_id: str) -> Job | None:
        return {fresh.id: fresh, expired.id: expired}.get(job_id)

    archiver = Archiver(LocalDirBackend(tmp_path / "archive"), store.archive, job, spool=tmp_path / "spool",
                        now=lambda: datetime.fromtimestamp(clock(), UTC), download=download)
    await archiver.delivered(fresh.id)
    await archiver.delivered(expired.id)  # its link is dead: nothing to fetch, nothing archived
    assert fetched == ["https://dashscope.example/a.mp4"]
    assert (tmp_path / "archive" / f"{fresh.id}.mp4").read_bytes() == b"the video again"
    assert list(await store.archive.for_jobs([fresh.id, expired.id])) == [fresh.id]
    await archiver.delivered(fresh.id)  # archived already: not fetched twice
    assert len(fetched) == 1


class _DownForDeletes(LocalDirBackend):
    """A local backend whose deletes fail while ``down`` (an object store that is unreachable)."""

    down = True

    async def delete(self, key: str) -> None:
        if self.down:
            raise ConnectionError("object store unreachable")
        await super().delete(key)


async def test_a_delete_while_the_store_is_down_forgets_at_once_and_the_sweep_removes_the_copy(
        tmp_path: Path, store: JobStore) -> None:
    clock = FakeClock()
    job = make_job(state=JobState.DELIVERED)
    backend = _DownForDeletes(tmp_path / "archive")
    archiver = _archiver(tmp_path, store, clock, {job.id: job}, retention_days=None)
    archiver.backend = backend
    await _deliver(archiver, tmp_path, job, "wan.mp4")
    copy = tmp_path / "archive" / f"{job.id}.mp4"
    assert copy.exists()

    assert await archiver.forget(job.id) == 1
    assert await store.archive.for_jobs([job.id]) == {}, "history forgets the deleted result at once"
    assert copy.exists(), "the object store was down"

    await archiver.sweep()
    assert copy.exists(), "still down: the note is kept for the next sweep"
    backend.down = False
    await archiver.sweep()
    assert not copy.exists(), "the sweep finished the delete"
    assert not list((tmp_path / "archive" / ".deleting").glob("*"))

