"""The deployment's ledger of DashScope tasks: which ones it knows, and what it does with the others.

``DeploymentLedger`` is the ``core.dashscope.reconcile.TaskLedger`` the engine hands the client for
every create and reconciliation:

* ``known_task_ids`` reads the store each time it is asked (every job's task id of the last days, and
  every orphan already recorded), so a task another replica stored a moment ago is never adopted;
* ``orphans_found`` handles tasks on the account that no job owns: each is logged (WARNING, with its
  id, status and creation time), cancelled while PENDING (it would be billed for nothing; a task that
  already runs is refused with ``UnsupportedOperation`` and is "left"), stored in ``orphan_tasks`` so it
  is excluded forever, and counted (``EngineObserver.orphan_task`` → ``wanbot_orphan_tasks_total``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta

from core.dashscope import TaskInfo, TaskStatus
from core.errors import WanbotError
from core.observe import EngineObserver
from core.store import JobStore
from core.store.orphans import OrphanTask

log = logging.getLogger("wanbot.engine")

#: Task ids are queryable for 24 h and listed windows are short; two days of memory is plenty.
MEMORY = timedelta(days=2)


class DeploymentLedger:
    def __init__(
        self,
        store: JobStore,
        *,
        cancel: Callable[[str], Awaitable[None]],
        observer: EngineObserver,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._cancel = cancel
        self._observer = observer
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def known_task_ids(self) -> Collection[str]:
        return await self._store.known_task_ids(self._now() - MEMORY)

    async def orphans_found(self, tasks: Sequence[TaskInfo], reason: str, *, job_id: str | None = None) -> None:
        known = await self._store.orphans.ids_since(self._now() - MEMORY)
        for task in tasks:
            if task.task_id in known:
                continue
            action = await self._cancel_if_pending(task)
            created = task.submit_time
            recorded = await self._store.orphans.record(OrphanTask(
                task_id=task.task_id, status=task.status.value, action=action, reason=reason,
                found_at=self._now(), task_created_at=created, job_id=job_id,
            ))
            if not recorded:
                continue  # another replica recorded it first (and counted it)
            log.warning("orphan DashScope task %s (%s, created %s): %s; %s", task.task_id, task.status.value,
                        created.isoformat() if created else "?", reason, action)
            self._observer.orphan_task(action)

    async def _cancel_if_pending(self, task: TaskInfo) -> str:
        if task.status is not TaskStatus.PENDING:
            return "left"
        try:
            await self._cancel(task.task_id)
        except WanbotError as exc:
            # UnsupportedOperation: it started running meanwhile. Anything else: it could not be reached;
            # either way it is recorded, so no job will ever adopt it.
            log.info("orphan DashScope task %s not cancelled: %s", task.task_id, exc.code)
            return "left"
        return "cancelled"


__all__ = ["MEMORY", "DeploymentLedger"]
