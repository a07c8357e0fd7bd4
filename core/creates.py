"""Sending a job's create to DashScope through the deployment's create gate, and settling it.

DashScope has no idempotency key, so a create whose answer is not a definite refusal may have made a
billed task. The job holds the create gate — it stays SUBMITTING, and ``Leases.take_slot`` lets no job of
any replica take a slot while one is SUBMITTING — until its create is settled:

* the answer carried a task id → the task is stored, the job is PENDING and watched;
* a definite refusal → failed with the reason, or back in line when it was "busy";
* the task list proves no task was made → back in line (sent again only through the queue and the store,
  so a replica that lost the job meanwhile cannot send a second create);
* the list shows exactly one unknown task that can be the create's → adopted (``ADOPTED_TASK``); two or
  more → the job fails clearly (``CreateAmbiguous``) rather than guess.

``Engine`` owns one ``Creates`` and calls ``send`` for a job that won a slot and ``settle`` for a job that
was SUBMITTING when a process died.

A request that names stashed input files (``request.refs()``: an image edit's images, an animation's
frames, a re-hosted audio file) has each resolved through the media stash right before its create
(``MediaStash.resolve``: the host's signed URL, or an image's ``data:`` URI). One that cannot be resolved
(the file is gone, audio with no host) fails the job with its sentence before anything is sent: nothing
is billed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from core.dashscope import CreateAmbiguous, TaskInfo, TaskLedger
from core.durations import shape_of
from core.errors import DashScopeError, InvalidMedia, TransportError, WanbotError
from core.jobbook import JobBook
from core.jobs import JobState
from core.media_stash import MediaStash
from core.messages import Messages
from core.observe import EngineObserver
from core.request import AnyRequest
from core.scheduler import FairQueue
from core.store import StaleJob, TaskClaimed
from core.watcher import Watcher

if TYPE_CHECKING:
    from core.config import EngineConfig

log = logging.getLogger("wanbot.engine")

#: ``Job.extra`` key: the job's task was found in the task list after an uncertain create, not read from
#: the create's answer. Its owner was inferred, so a prompt the service reports later must still match.
ADOPTED_TASK = "adopted_task"


class TaskAPI(Protocol):
    """The DashScope client calls the engine makes (``core.dashscope.DashScopeClient``)."""

    async def create_task(
        self, request: AnyRequest, *, ledger: TaskLedger | None = None, resend: bool = True,
        resolved: Mapping[str, str] | None = None,
    ) -> TaskInfo: ...
    async def reconcile_create(
        self, model: str, sent_at: float, *, ledger: TaskLedger | None = None, prompt: str | None = None
    ) -> TaskInfo | None: ...
    async def get_task(self, task_id: str) -> TaskInfo: ...
    async def cancel_task(self, task_id: str) -> None: ...


class Creates:
    def __init__(
        self,
        *,
        book: JobBook,
        client: TaskAPI,
        ledger: TaskLedger,
        watcher: Watcher,
        queue: FairQueue,
        observer: EngineObserver,
        messages: Messages,
        config: EngineConfig,
        sleep: Callable[[float], Awaitable[None]],
        spawn: Callable[[Awaitable[None], str | None], None],
        pump: Callable[[], Awaitable[None]],
        stash: MediaStash | None = None,
        on_refused: Callable[[str, DashScopeError], Awaitable[None]] | None = None,
    ) -> None:
        self._book = book
        #: Issue 13: told of every definite refusal of a create (``core.admin_route``: operator's codes).
        self._on_refused = on_refused
        self._stash = stash
        self._client = client
        self._ledger = ledger
        self._watcher = watcher
        self._queue = queue
        self._observer = observer
        self._messages = messages
        self._config = config
        self._sleep = sleep
        self._spawn = spawn
        #: Fill free slots: called whenever the create gate opens again.
        self._pump = pump

    async def send(self, job_id: str) -> None:
        """Send the job's create. The job holds the deployment's create gate (SUBMITTING) until the
        create is resolved: its task stored, a definite refusal, or the list proving no task was made."""
        job = self._book[job_id]
        try:
            resolved = await self._resolve(job.request)
        except InvalidMedia as exc:
            # Before the create: nothing was sent, so nothing is billed; the person reads why.
            log.info("job %s: an input file cannot be sent (%s)", job_id, exc.code)
            await self._book.fail(job_id, exc.code, exc.message)
            await self._pump()
            return
        try:
            # resend=False: a create proven absent is sent again only through the queue and the store, so a
            # replica that lost this job meanwhile cannot send a second one.
            # One path for both kinds: the client picks the video or the image route from the request.
            info = await self._client.create_task(job.request, ledger=self._ledger, resend=False,
                                                  resolved=resolved)
        except CreateAmbiguous as exc:
            await self._ambiguous(job_id, exc)
            return
        except TransportError as exc:
            if not exc.ambiguous:
                # The task list proved that nothing was created: the create is resolved, try again later.
                self._observer.dashscope_error(exc.code)
                log.warning("job %s: create got no answer and made no task (%s); back in line", job_id, exc.code)
                await self.requeue_later(job_id)
                return
            # Still unresolved (the list or a query failed): keep the gate closed and keep looking.
            log.warning("job %s: create unresolved (%s); reconciling", job_id, exc.code)
            self._spawn(self.settle(job_id, delay=self._config.create_retry_delay), job_id)
            return
        except DashScopeError as exc:
            self._observer.dashscope_error(exc.code)
            if exc.retryable:
                log.warning("job %s: create refused (%s); back in line", job_id, exc.code)
                await self.requeue_later(job_id, exc.retry_after)
                return
            await self._book.fail(job_id, exc.code, self._messages.explain(exc.code, exc.message))
            if self._on_refused is not None:
                await self._on_refused(job_id, exc)
            await self._pump()
            return
        except Exception:
            # A bug or a broken local resource mid-create: whether a task exists is unknown, so resolve it.
            log.exception("job %s: create crashed; reconciling", job_id)
            self._spawn(self.settle(job_id, delay=self._config.create_retry_delay), job_id)
            return
        await self._store_task(job_id, info)

    async def _resolve(self, request: AnyRequest) -> Mapping[str, str] | None:
        """What each stashed file of ``request`` is sent as (None when it names none)."""
        refs = request.refs()
        if not refs:
            return None
        if self._stash is None:
            raise InvalidMedia(self._messages("media.gone"), field="media")
        return {ref: await self._stash.resolve(ref) for ref in refs}

    async def _store_task(self, job_id: str, info: TaskInfo) -> None:
        """Store the task a create resolved to (``_accepted``), retrying while the store is unreachable:
        the task is certain, so it must not be looked for again (this client would exclude it)."""
        delay = self._config.create_retry_delay
        while True:
            job = self._book.peek(job_id)
            if job is None or job.state is not JobState.SUBMITTING:
                return
            try:
                await self._accepted(job_id, info)
                return
            except StaleJob:
                raise
            except TaskClaimed:
                # Another job already holds that task: it is not ours after all. Look again (it is known now).
                log.warning("job %s: task %s belongs to another job; reconciling", job_id, info.task_id)
                self._spawn(self.settle(job_id, delay=self._config.create_retry_delay), job_id)
                return
            except Exception:
                log.exception("job %s: could not store task %s; retrying in %.0fs", job_id, info.task_id, delay)
            await self._sleep(delay)
            delay = min(delay * 2, 60.0)

    async def _accepted(self, job_id: str, info: TaskInfo) -> None:
        job = self._book[job_id]
        changes: dict[str, Any] = {"task_id": info.task_id}
        if info.adopted:
            changes["extra"] = {**job.extra, ADOPTED_TASK: True}
        await self._book.transition(job_id, JobState.PENDING, **changes)
        log.info("job %s: DashScope task %s %s", job_id, info.task_id, "adopted" if info.adopted else "accepted")
        job = self._book[job_id]
        submitted = job.entered(JobState.PENDING)
        first = None if self._watcher.planner is not None else self._config.poll_interval
        self._watcher.watch(job_id, info.task_id, first_poll_in=first, shape=shape_of(job.request),
                            submitted=submitted.timestamp() if submitted else None)
        await self._pump()  # the create gate is open again

    async def _ambiguous(self, job_id: str, exc: CreateAmbiguous) -> None:
        """Several unknown tasks could be this job's: adopt none (the client reported them all as orphans)."""
        log.warning("job %s: %s", job_id, exc.message)
        self._observer.dashscope_error(exc.code)
        await self._book.fail(job_id, exc.code, self._messages("error.CreateAmbiguous"))
        await self._pump()

    async def requeue_later(self, job_id: str, retry_after: float | None = None) -> None:
        await self._book.transition(job_id, JobState.QUEUED, submit_started_at=None)

        async def later() -> None:
            await self._sleep(retry_after or self._config.create_retry_delay)
            job = self._book.peek(job_id)
            if job is not None and job.state is JobState.QUEUED:
                self._queue.push(job_id, job.requester.user_key, front=True)
                await self._pump()

        self._spawn(later(), job_id)
        await self._pump()  # the create gate is open again: another job may go first

    async def settle(self, job_id: str, delay: float = 0.0, attempts: int = 10) -> None:
        """Resolve an interrupted or uncertain create: adopt its task, or queue the job again when the list
        proves none was made. The job stays SUBMITTING (the deployment's create gate stays closed) until then."""
        for attempt in range(attempts):
            if delay or attempt:
                await self._sleep(delay or self._config.create_retry_delay * (attempt + 1))
            job = self._book.peek(job_id)
            if job is None or job.state is not JobState.SUBMITTING:
                return  # resolved meanwhile, or another replica runs it now
            sent_at = (job.submit_started_at or job.created_at).timestamp()
            try:
                # The prompt rules out tasks the service reports as made from another prompt.
                info = await self._client.reconcile_create(
                    job.request.model, sent_at, ledger=self._ledger, prompt=job.request.prompt
                )
            except CreateAmbiguous as exc:
                await self._ambiguous(job_id, exc)
                return
            except WanbotError as exc:
                log.warning("job %s: reconcile attempt %d failed: %s", job_id, attempt + 1, exc.code)
                continue
            if info is not None:
                await self._store_task(job_id, info)
            else:
                log.info("job %s: no task was created; back in line", job_id)
                await self._book.transition(job_id, JobState.QUEUED, submit_started_at=None)
                self._queue.push(job_id, job.requester.user_key, front=True)
                await self._pump()
            return
        await self._book.fail(job_id, "CreateUnconfirmed", self._messages("error.CreateUnconfirmed"))
        await self._pump()


__all__ = ["ADOPTED_TASK", "Creates", "TaskAPI"]
