"""``Archiver``: each delivered result copied once to the archive, never at the delivery's expense.

The delivery (``core.delivery``) has the downloaded file on local disk until it deletes it; right before,
``stage`` links (or copies) it into the archive's spool (``<spool>/<job id>/``) — a local, near-instant
step whose failure is only logged. Once the job is stored DELIVERED, ``delivered`` (spawned in the
background by ``core.deliveries``) puts each spooled file into the backend, records its row
(``core.store.archive``) and only then removes the spooled file: a failure (the object store is down, the
disk is full) leaves the file in the spool, and ``sweep`` — at start and every ``interval`` — tries again.
So an archive failure never fails or delays a delivery, and nothing is lost until it is archived.

``sweep`` also drops spooled files of jobs that did not end DELIVERED (a failed delivery stages nothing
useful) and, with ``retention_days``, deletes archive copies (and their rows) older than that.
``forget`` removes a job's copies and rows (the Delete action); ``links`` signs a link per job for history.
A Delete while the object store is down removes the rows at once (history forgets the result) and
leaves a note ``<spool>/../.deleting/<job id>.json`` naming the objects still to delete; each ``sweep``
retries it until they are gone, so a deleted result never keeps a copy behind.

A delivery retried after a crash may find its upload already posted and download nothing, so nothing is
staged: ``delivered`` then fetches the result again from DashScope's links (``download``) while they last.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.archive.backends import ArchiveBackend, content_type_of, valid_key
from core.jobs import Job, JobState
from core.store.archive import ArchiveEntry, ArchiveRows

log = logging.getLogger("wanbot.archive")

#: Downloads a result link into a file (``DashScopeClient.download_to`` with its size bound).
Download = Callable[[str, Path], Awaitable[object]]

#: How often the sweep runs (it also runs once at start).
SWEEP_INTERVAL = 600.0


@dataclass(frozen=True)
class SweepReport:
    archived: int = 0
    dropped: int = 0
    expired: int = 0


def archive_key(job_id: str, index: int, count: int, suffix: str) -> str:
    """``<job>.mp4`` for a single file, ``<job>-<n>.png`` (from 1) for one of several."""
    ext = suffix.lower().lstrip(".") or "bin"
    ext = "jpg" if ext == "jpeg" else ext
    return f"{job_id}.{ext}" if count == 1 else f"{job_id}-{index + 1}.{ext}"


def _write_note(note: Path, keys: list[str]) -> None:
    note.parent.mkdir(parents=True, exist_ok=True)
    partial = note.with_suffix(".tmp")
    partial.write_text(json.dumps(keys))
    os.replace(partial, note)  # a crash mid-write leaves the old note or the new one, never half of one


def _digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


class Archiver:
    def __init__(self, backend: ArchiveBackend, rows: ArchiveRows, job: Callable[[str], Awaitable[Job | None]], *,
                 spool: Path, now: Callable[[], datetime], retention_days: float | None = None,
                 interval: float = SWEEP_INTERVAL,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 download: Download | None = None) -> None:
        #: Fetches a result link to a file (``DashScopeClient.download_to``); None: no refetching.
        self._download = download
        self.backend = backend
        self.rows = rows
        self._job = job
        self.spool = spool
        self._now = now
        self.retention_days = retention_days
        self._interval = interval
        self._sleep = sleep
        #: Notes of objects still to delete (a Delete while the backend was down), retried by each sweep.
        self.deleting = spool.parent / ".deleting"
        #: Jobs being archived by this process right now (the hook and a sweep never put one twice at once).
        self._busy: dict[str, asyncio.Lock] = {}

    # -- the delivery's two hooks ------------------------------------------------------------------------

    async def stage(self, job: Job, files: Sequence[Path]) -> None:
        """Keep ``files`` (still on local disk) for archiving; never raises."""
        try:
            await asyncio.to_thread(self._stage, job.id, list(files))
        except Exception:
            log.exception("job %s: could not keep the result for the archive", job.id)

    def _stage(self, job_id: str, files: list[Path]) -> None:
        folder = self.spool / job_id
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(folder)  # an earlier attempt's files: this attempt's are the delivered ones
        folder.mkdir(parents=True, exist_ok=True)
        for index, source in enumerate(files):
            target = folder / archive_key(job_id, index, len(files), source.suffix)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)

    async def delivered(self, job_id: str) -> None:
        """Archive what was staged for a job now stored DELIVERED; a failure waits for the next sweep."""
        try:
            await self._refetch_if_unstaged(job_id)
            await self._archive(job_id)
        except Exception as exc:
            log.warning("job %s: archiving failed (%r); the next sweep retries", job_id, exc)

    async def _refetch_if_unstaged(self, job_id: str) -> None:
        """Nothing staged (an upload a crashed attempt had made was found instead): download it again."""
        folder = self.spool / job_id
        if self._download is None or await asyncio.to_thread(lambda: folder.is_dir() and any(folder.iterdir())):
            return
        job = await self._job(job_id)
        if job is None or job.state is not JobState.DELIVERED or (await self.rows.for_jobs([job_id])):
            return
        urls = list(job.image_urls) if job.is_image else [job.video_url] if job.video_url else []
        if not urls or (job.video_expires_at is not None and self._now() >= job.video_expires_at):
            return
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        suffix = ".png" if job.is_image else ".mp4"
        for index, url in enumerate(urls):
            target = folder / archive_key(job_id, index, len(urls), suffix)
            partial = target.with_name(f".{target.name}.part")  # not a key: never archived half-written
            await self._download(url, partial)
            await asyncio.to_thread(os.replace, partial, target)
        log.info("job %s: nothing was staged (an earlier upload was found); fetched again to archive", job_id)

    # -- the sweep ------------------------------------------------------------------------------------------

    async def sweep(self) -> SweepReport:
        """Archive spooled files of delivered jobs, drop those of jobs that were not, apply retention."""
        archived = dropped = 0
        await self._retry_deletions()
        for job_id in await asyncio.to_thread(self._spooled):
            job = await self._job(job_id)
            if job is not None and job.state is JobState.SUCCEEDED:
                continue  # still being delivered: its delivery stages again and archives
            if job is None or job.state is not JobState.DELIVERED:
                await asyncio.to_thread(shutil.rmtree, self.spool / job_id, True)
                dropped += 1
                continue
            try:
                archived += await self._archive(job_id)
            except Exception as exc:
                log.warning("job %s: archiving failed again (%r); retrying later", job_id, exc)
        expired = await self._expire()
        if archived or dropped or expired:
            log.info("archive sweep: %d archived, %d dropped, %d past retention", archived, dropped, expired)
        return SweepReport(archived, dropped, expired)

    async def run_forever(self) -> None:
        """``sweep`` now and every ``interval`` seconds until cancelled; a failed sweep is retried later."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("archive sweep failed; retrying in %.0fs", self._interval)
            await self._sleep(self._interval)

    async def _expire(self) -> int:
        if self.retention_days is None:
            return 0
        cutoff = self._now() - timedelta(days=self.retention_days)
        removed = 0
        while entries := await self.rows.older_than(cutoff):
            for entry in entries:
                await self._drop(entry)
                removed += 1
        return removed

    # -- deleting and linking -----------------------------------------------------------------------------

    async def forget(self, job_id: str) -> int:
        """Delete a job's archive copies, their rows and anything still spooled (the Delete action).

        The objects to delete are written to a note first and the rows removed, then the objects deleted:
        if the backend is down, the note stays and the sweep finishes the job (never raises for that).
        """
        entries = (await self.rows.for_jobs([job_id])).get(job_id, [])
        await asyncio.to_thread(shutil.rmtree, self.spool / job_id, True)
        if not entries:
            return 0
        keys = [entry.key for entry in entries if entry.backend == self.backend.name]
        note = self.deleting / f"{job_id}.json"
        if keys:
            await asyncio.to_thread(_write_note, note, keys)
        await self.rows.remove(job_id)
        if keys:
            await self._delete_noted(note)
        return len(entries)

    async def _retry_deletions(self) -> None:
        notes = await asyncio.to_thread(lambda: sorted(self.deleting.glob("*.json")) if self.deleting.is_dir()
                                        else [])
        for note in notes:
            await self._delete_noted(note)

    async def _delete_noted(self, note: Path) -> bool:
        """Delete the objects ``note`` names; remove the note when all are gone. False: some are left."""
        keys: list[str] = json.loads(await asyncio.to_thread(note.read_text))
        for key in list(keys):
            try:
                await self.backend.delete(key)
            except Exception as exc:
                log.warning("archive: could not delete %s yet (%r); the sweep retries", key, exc)
                await asyncio.to_thread(_write_note, note, keys)
                return False
            keys.remove(key)
        await asyncio.to_thread(note.unlink, True)
        return True

    async def links(self, job_ids: Sequence[str]) -> dict[str, str]:
        """A link to each job's first archived file, for the jobs that have one the backend can link."""
        out: dict[str, str] = {}
        for job_id, entries in (await self.rows.for_jobs(job_ids)).items():
            if entries[0].backend != self.backend.name:
                continue  # archived by another backend this deployment no longer runs
            try:
                link = await self.backend.link(entries[0].key)
            except Exception as exc:
                log.warning("job %s: no archive link (%r)", job_id, exc)
                continue
            if link:
                out[job_id] = link
        return out

    # -- plumbing -------------------------------------------------------------------------------------------

    def _spooled(self) -> list[str]:
        if not self.spool.is_dir():
            return []
        return sorted(p.name for p in self.spool.iterdir() if p.is_dir())

    async def _archive(self, job_id: str) -> int:
        lock = self._busy.setdefault(job_id, asyncio.Lock())
        try:
            async with lock:
                return await self._archive_now(job_id)
        finally:
            if not lock.locked():
                self._busy.pop(job_id, None)

    async def _archive_now(self, job_id: str) -> int:
        folder = self.spool / job_id
        files = await asyncio.to_thread(lambda: sorted(p for p in folder.glob("*") if valid_key(p.name))
                                        if folder.is_dir() else [])
        done = 0
        for path in files:
            size, sha = await asyncio.to_thread(_digest, path)
            ctype = content_type_of(path.name)
            await self.backend.put(path.name, path, ctype)
            await self.rows.record(ArchiveEntry(job_id=job_id, key=path.name, backend=self.backend.name, size=size,
                                                sha256=sha, content_type=ctype, archived_at=self._now()))
            await asyncio.to_thread(path.unlink, True)  # only now: archived and recorded
            done += 1
        with contextlib.suppress(OSError):
            await asyncio.to_thread(folder.rmdir)
        if done:
            log.info("job %s: archived %d file(s) (%s)", job_id, done, self.backend.name)
        return done

    async def _drop(self, entry: ArchiveEntry) -> None:
        if entry.backend == self.backend.name:
            await self.backend.delete(entry.key)
        await self.rows.remove(entry.job_id, entry.key)
