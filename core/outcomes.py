"""What the engine does with each answer the watcher reads for a job's DashScope task.

PENDING → RUNNING is shown; SUCCEEDED is priced (a video by billed seconds when DashScope reports them, an
image job by the images actually returned) and handed to delivery; FAILED, CANCELED and UNKNOWN end the
job with their reason; a task that outlives ``EngineConfig.task_timeout`` is given up. A task the job
*adopted* from the task list (``ADOPTED_TASK``) whose reported prompt turns out to be another's is let go:
recorded as an orphan, never delivered.

A task query that keeps answering "not found" (``TaskNotFound``: HTTP 404, or a gateway's word for it) for
``not_found_grace`` seconds in a row fails the job with one sentence: a deployment polling a gateway at the
wrong route would otherwise wait forever on 404s. A shorter run is tolerated (right after a create a task may
not be readable yet); any answer ends the run. A job whose queries only fail is given up at
``task_timeout`` like one whose task never finishes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.creates import ADOPTED_TASK
from core.dashscope import TaskInfo, TaskNotFound, TaskStatus
from core.dashscope.reconcile import same_prompt
from core.deliveries import DeliveryWorkers
from core.errors import WanbotError
from core.jobbook import JobBook
from core.jobs import WAN_PROMPT, Job, JobState, rewritten
from core.ledger import DeploymentLedger
from core.messages import Messages, human_duration
from core.observe import EngineObserver
from core.request import ImageRequest
from core.watcher import Watcher

if TYPE_CHECKING:
    from core.config import EngineConfig

log = logging.getLogger("wanbot.engine")

#: Seconds of "not found" answers in a row after which a job fails (a few minutes: long enough for any
#: lag between a create and its task becoming readable, short enough that nobody waits on a wrong route).
NOT_FOUND_GRACE = 180.0


class TaskOutcomes:
    def __init__(
        self,
        *,
        book: JobBook,
        watcher: Watcher,
        deliveries: DeliveryWorkers,
        ledger: DeploymentLedger,
        observer: EngineObserver,
        messages: Messages,
        config: EngineConfig,
        clock: Callable[[], float],
        pump: Callable[[], Awaitable[None]],
    ) -> None:
        self._book = book
        self._watcher = watcher
        self._deliveries = deliveries
        self._ledger = ledger
        self._observer = observer
        self._messages = messages
        self._config = config
        self._clock = clock
        #: Fill free slots: a finished task frees one.
        self._pump = pump
        self.not_found_grace = NOT_FOUND_GRACE
        #: job id → when its task's queries began answering "not found" (this run of them).
        self._missing_since: dict[str, float] = {}

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def handle(self, job_id: str, result: TaskInfo) -> None:
        self._missing_since.pop(job_id, None)
        job = self._book.peek(job_id)
        if job is None or job.state not in (JobState.PENDING, JobState.RUNNING):
            self._watcher.unwatch(job_id)
            return
        if job.extra.get(ADOPTED_TASK) and same_prompt(job.request.prompt, result.orig_prompt) is False:
            self._watcher.unwatch(job_id)
            await self._let_go(job, result)
            return
        status = result.status
        if status.terminal and result.end_time is not None:
            self._observer.task_finished_seen(max(0.0, (self._now() - result.end_time).total_seconds()))
        if status is TaskStatus.RUNNING and job.state is JobState.PENDING:
            await self._book.transition(job_id, JobState.RUNNING)
        elif status is TaskStatus.SUCCEEDED:
            self._watcher.unwatch(job_id)
            await self._succeeded(job_id, result)
        elif status in (TaskStatus.FAILED, TaskStatus.UNKNOWN, TaskStatus.CANCELED):
            self._watcher.unwatch(job_id)
            if status is TaskStatus.CANCELED:
                await self._book.transition(job_id, JobState.CANCELED)
            elif status is TaskStatus.UNKNOWN:
                await self._book.fail(job_id, "UnknownTask", self._messages("failed.unknown_task"))
            else:
                code = result.code or "Unknown"
                await self._book.fail(job_id, code, self._messages.explain(result.code, result.message))
            await self._pump()
        elif self._timed_out(job):
            self._watcher.unwatch(job_id)
            limit = human_duration(self._config.task_timeout)
            await self._book.fail(job_id, "Timeout", self._messages("failed.timeout", limit=limit))
            await self._pump()

    async def poll_failed(self, job_id: str, exc: WanbotError) -> None:
        """A query of the job's task failed: fail the job after ``not_found_grace`` of "not found" in a row,
        or once it is past ``task_timeout``; anything else is the watcher's to retry."""
        job = self._book.peek(job_id)
        if job is None or job.state not in (JobState.PENDING, JobState.RUNNING):
            self._missing_since.pop(job_id, None)
            return
        now = self._clock()
        if isinstance(exc, TaskNotFound):
            since = self._missing_since.setdefault(job_id, now)
            if now - since >= self.not_found_grace:
                log.error("job %s: task %s not found for %.0fs (%s); failing the job", job_id, job.task_id,
                          now - since, exc.message)
                await self._give_up(job_id, "TaskNotFound", self._messages(
                    "failed.task_not_found", limit=human_duration(self.not_found_grace)))
                return
        if self._timed_out(job):
            await self._give_up(job_id, "Timeout", self._messages(
                "failed.timeout", limit=human_duration(self._config.task_timeout)))

    async def _give_up(self, job_id: str, code: str, sentence: str) -> None:
        self._watcher.unwatch(job_id)
        self._missing_since.pop(job_id, None)
        await self._book.fail(job_id, code, sentence)
        await self._pump()

    async def _let_go(self, job: Job, info: TaskInfo) -> None:
        """An adopted task turned out to be made from another prompt: it is an orphan, never delivered."""
        log.warning("job %s: adopted task %s was made from another prompt; letting go of it", job.id, info.task_id)
        await self._ledger.orphans_found([info], "adopted, then reported another prompt", job_id=job.id)
        await self._book.fail(job.id, "ForeignTask", self._messages("error.ForeignTask"))
        await self._pump()

    def _timed_out(self, job: Job) -> bool:
        started = job.entered(JobState.PENDING) or job.created_at
        return (self._now() - started).total_seconds() > self._config.task_timeout

    async def _succeeded(self, job_id: str, info: TaskInfo) -> None:
        job = self._book[job_id]
        if isinstance(job.request, ImageRequest):
            await self._images_succeeded(job_id, job.request, info)
            return
        billed = info.usage.billed_seconds if info.usage and info.usage.billed_seconds is not None else None
        seconds = billed if billed is not None else float(job.request.seconds)
        assert job.request.resolution is not None
        cost = job.request.spec.cost(job.request.resolution, seconds, dict(self._config.price_overrides))
        expires = info.url_expires_at or (self._now() + timedelta(hours=24))
        job = await self._book.transition(
            job_id,
            JobState.SUCCEEDED,
            video_url=info.video_url,
            video_expires_at=expires,
            billed_seconds=seconds,
            cost=cost,
            **_wan_prompt(job, info),
        )
        self._deliveries.schedule(job)
        await self._pump()

    async def _images_succeeded(self, job_id: str, request: ImageRequest, info: TaskInfo) -> None:
        """Priced per image actually returned (never more than asked); none returned is a failure."""
        urls = info.image_urls[: request.n]
        if not urls:
            await self._book.fail(job_id, "NoImage", self._messages("image.none_returned"))
            await self._pump()
            return
        cost = request.spec.cost(len(urls), dict(self._config.price_overrides))
        expires = info.url_expires_at or (self._now() + timedelta(hours=24))
        job = await self._book.transition(
            job_id, JobState.SUCCEEDED, image_urls=urls, video_expires_at=expires, cost=cost,
            **_wan_prompt(self._book[job_id], info),
        )
        self._deliveries.schedule(job)
        await self._pump()


def _wan_prompt(job: Job, info: TaskInfo) -> dict[str, Any]:
    """The ``extra`` change that keeps the prompt Wan rendered, when prompt extension rewrote it."""
    found = rewritten(job.request.prompt, info.actual_prompt)
    return {"extra": {WAN_PROMPT: found}} if found else {}


__all__ = ["TaskOutcomes"]
