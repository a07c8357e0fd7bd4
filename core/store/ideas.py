"""Which idea a thread belongs to (issue 13, ``core.ideas``): the root job that opened it.

No table of its own: the root job stores its thread's id flat in ``Job.extra`` (``"thread_id"``), and
``jobs.extra`` is JSON kept as compact text on both backends (``schema.JSONText``), so the root is found
with a ``LIKE`` on that text among the channel's jobs — a rare read (a ``/wan`` typed inside a thread).
"""

from __future__ import annotations

import json

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncEngine

from core.jobs import Job
from core.store.rows import row_to_job
from core.store.schema import jobs, user_filter


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class IdeaThreads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def root_of(self, platform: str, workspace_id: str | None, channel_id: str,
                      thread_id: str) -> Job | None:
        """The job whose thread ``thread_id`` is, in that channel, or ``None`` (a thread wanbot did not open)."""
        needle = _like_escaped(f'"thread_id":{json.dumps(thread_id)}')
        stmt = (select(jobs)
                .where(*user_filter(platform, workspace_id, None), jobs.c.channel_id == channel_id,
                       type_coerce(jobs.c.extra, Text).like(f"%{needle}%", escape="\\"))
                .order_by(jobs.c.created_at)
                .limit(1))
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else row_to_job(row)


__all__ = ["IdeaThreads"]
