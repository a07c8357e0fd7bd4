"""The archive's rows: which copy of which delivered result lives where (issue 13, "history that outlives 24 h").

One row per archived file — a video job has one, an image job one per image — keyed by ``(job_id, key)``,
with the backend holding it ("local" or "s3"), its size, SHA-256, content type and when it was archived.
The bytes live in the backend (``core.archive``); these rows are what history links from, what the
retention sweep walks (oldest first, by ``archived_at``) and what a deleted result removes.

Also here, because it reads the jobs table for the same feature: ``delivered_here``, the channel's
delivered jobs for ``/wan history``, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.jobs import Job, JobState
from core.store.errors import CorruptJob
from core.store.gate import WriteGate
from core.store.rows import row_to_job
from core.store.schema import archive, jobs, require_aware

#: How many of a channel's newest delivered jobs a text search looks through (the prompt lives in a JSON
#: column, so the match itself is made here, exactly, on the parsed prompt).
SEARCH_WINDOW = 1000


@dataclass(frozen=True)
class ArchiveEntry:
    job_id: str
    key: str
    backend: str
    size: int
    sha256: str
    content_type: str
    archived_at: datetime


class ArchiveRows:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)

    async def record(self, entry: ArchiveEntry) -> bool:
        """Store ``entry``; False (nothing changed) when that job's key is recorded already."""
        row = {"job_id": entry.job_id, "key": entry.key, "backend": entry.backend, "size": entry.size,
               "sha256": entry.sha256, "content_type": entry.content_type,
               "archived_at": require_aware(entry.archived_at, "archived_at")}
        try:
            async with self._gate.turn(), self._engine.begin() as conn:
                await conn.execute(insert(archive).values(**row))
        except IntegrityError:
            return False
        return True

    async def for_jobs(self, job_ids: Sequence[str]) -> dict[str, list[ArchiveEntry]]:
        """The entries of each job that has any, in key order."""
        if not job_ids:
            return {}
        stmt = select(archive).where(archive.c.job_id.in_(list(job_ids))).order_by(archive.c.job_id, archive.c.key)
        out: dict[str, list[ArchiveEntry]] = {}
        for entry in await self._entries(stmt):
            out.setdefault(entry.job_id, []).append(entry)
        return out

    async def older_than(self, when: datetime, *, limit: int = 500) -> list[ArchiveEntry]:
        """Entries archived before ``when``, oldest first (what the retention sweep deletes)."""
        stmt = (select(archive).where(archive.c.archived_at < require_aware(when, "when"))
                .order_by(archive.c.archived_at).limit(limit))
        return await self._entries(stmt)

    async def all(self) -> list[ArchiveEntry]:
        return await self._entries(select(archive).order_by(archive.c.archived_at))

    async def remove(self, job_id: str, key: str | None = None) -> int:
        """Delete a job's rows (or one of them); returns how many went."""
        stmt = delete(archive).where(archive.c.job_id == job_id)
        if key is not None:
            stmt = stmt.where(archive.c.key == key)
        async with self._gate.turn(), self._engine.begin() as conn:
            return int((await conn.execute(stmt)).rowcount or 0)

    async def delivered_here(self, platform: str, workspace_id: str | None, channel_id: str, *,
                             user_id: str | None = None, text: str | None = None, limit: int = 10,
                             user_name: str | None = None) -> list[Job]:
        """The channel's delivered jobs, newest first: of ``user_id`` (or the user name ``user_name``, any
        case) only when given, and whose prompt contains ``text`` (case-insensitively) when given."""
        ws = jobs.c.workspace_id.is_(None) if workspace_id is None else jobs.c.workspace_id == workspace_id
        where = [jobs.c.platform == platform, ws, jobs.c.channel_id == channel_id,
                 jobs.c.state == JobState.DELIVERED.value]
        if user_id is not None:
            where.append(jobs.c.user_id == user_id)
        if user_name is not None:
            where.append(func.lower(jobs.c.user_name) == user_name.lower())
        stmt = select(jobs).where(*where).order_by(jobs.c.created_at.desc(), jobs.c.id)
        stmt = stmt.limit(SEARCH_WINDOW if text else limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        needle = text.casefold() if text else None
        found: list[Job] = []
        for row in rows:
            try:
                job = row_to_job(row)
            except CorruptJob:
                continue  # one unreadable old row must not hide the rest of the history
            if needle is not None and needle not in job.request.prompt.casefold():
                continue
            found.append(job)
            if len(found) >= limit:
                break
        return found

    async def _entries(self, stmt: object) -> list[ArchiveEntry]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()  # type: ignore[call-overload]
        return [ArchiveEntry(job_id=r.job_id, key=r.key, backend=r.backend, size=int(r.size), sha256=r.sha256,
                             content_type=r.content_type, archived_at=r.archived_at) for r in rows]
