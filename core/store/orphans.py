"""Orphan DashScope tasks: tasks on the account that no job owns, remembered so none is ever adopted.

An orphan is found while an uncertain create is resolved (``core.dashscope.reconcile``): a task made
from another prompt, the several tasks of an ambiguous create, or an adopted task that turned out to be
another request's. Each is stored once (the task id is the key), with what was done about it
(``cancelled`` while PENDING, else ``left``), so every replica excludes it from later reconciliations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.store.gate import WriteGate
from core.store.schema import orphan_tasks, require_aware


@dataclass(frozen=True)
class OrphanTask:
    task_id: str
    status: str
    action: str
    reason: str
    found_at: datetime
    model: str | None = None
    task_created_at: datetime | None = None
    job_id: str | None = None


class OrphanTasks:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        #: The process's SQLite write turns (``core.store.gate``); ungated when none is given.
        self._gate = gate or WriteGate(enabled=False)

    async def record(self, orphan: OrphanTask) -> bool:
        """Store ``orphan``; False (and nothing changed) when its task id is already recorded."""
        row = {
            "task_id": orphan.task_id, "model": orphan.model, "status": orphan.status, "action": orphan.action,
            "reason": orphan.reason, "task_created_at": orphan.task_created_at, "found_at": orphan.found_at,
            "job_id": orphan.job_id,
        }
        try:
            async with self._gate.turn(), self._engine.begin() as conn:
                await conn.execute(insert(orphan_tasks).values(**row))
        except IntegrityError:
            return False
        return True

    async def ids_since(self, since: datetime) -> set[str]:
        stmt = select(orphan_tasks.c.task_id).where(orphan_tasks.c.found_at >= require_aware(since, "since"))
        async with self._engine.connect() as conn:
            return {str(t) for t in (await conn.scalars(stmt)).all()}

    async def all(self) -> list[OrphanTask]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(orphan_tasks).order_by(orphan_tasks.c.found_at))).all()
        return [OrphanTask(task_id=r.task_id, status=r.status, action=r.action, reason=r.reason,
                           found_at=r.found_at, model=r.model, task_created_at=r.task_created_at,
                           job_id=r.job_id) for r in rows]
