"""The job engine: every job's journey from a chat command to a delivered video.

``Engine`` owns the lifecycle (``core.jobs.JobState``) and wires the parts that each own one concern:
the fair queue (``core.scheduler``), the task watcher (``core.watcher``), delivery (``core.delivery``),
the store, and the chat ports. Its promises:

* a job is stored before anything is sent, and every state change is stored before it is shown;
* one status edit per visible state change (plus queue-position moves while queued), never more;
* a create is recorded as SUBMITTING before it is sent, so a crash mid-create is reconciled through
  DashScope's task list instead of being resent: one request never starts two billed tasks;
* ``start()`` resumes every unfinished job from the store: no second task, no second upload, the same
  status message edited.

Adapters call ``submit``, ``cancel``, ``get`` and ``wait``; nothing here knows which platform is which.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from core.dashscope import TaskInfo, TaskStatus
from core.delivery import Delivery
from core.errors import (
    DashScopeError,
    DownloadError,
    PlatformError,
    QuotaExceeded,
    TransportError,
    WanbotError,
)
from core.jobs import Job, JobState, Requester, new_job_id
from core.messages import Messages, human_duration
from core.port import ChatPort, ConversationRef, MessageRef, StatusView
from core.request import GenerationRequest
from core.scheduler import FairQueue
from core.status import status_view
from core.store import JobStore
from core.watcher import Watcher

log = logging.getLogger("wanbot.engine")

PostStatus = Callable[[StatusView], Awaitable[MessageRef]]


class TaskAPI(Protocol):
    """The DashScope client calls the engine makes (``core.dashscope.DashScopeClient``)."""

    async def create_video_task(
        self, request: GenerationRequest, *, exclude_task_ids: Collection[str] = ()
    ) -> TaskInfo: ...
    async def reconcile_create(
        self, model: str, sent_at: float, *, exclude_task_ids: Collection[str] = ()
    ) -> TaskInfo | None: ...
    async def get_task(self, task_id: str) -> TaskInfo: ...
    async def cancel_task(self, task_id: str) -> None: ...


@dataclass(frozen=True)
class EngineConfig:
    max_in_flight: int = 5
    per_user_cap: int = 3
    #: Seconds a user must wait between two submissions (0 = no cooldown).
    cooldown: float = 0.0
    queries_per_second: float = 10.0
    poll_interval: float = 1.0
    #: A task that has not finished this long after it was accepted is abandoned (DashScope: 3 h).
    task_timeout: float = 4 * 3600.0
    delivery_workers: int = 2
    #: Wait before retrying a create that DashScope refused as busy (429) or failed with a 5xx.
    create_retry_delay: float = 5.0
    max_delivery_backoff: float = 300.0
    price_overrides: Mapping[str, Decimal] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        *,
        store: JobStore,
        client: TaskAPI,
        ports: Mapping[str, ChatPort],
        delivery: Delivery,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        config: EngineConfig | None = None,
        messages: Messages | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.ports = dict(ports)
        self.delivery = delivery
        self.clock = clock
        self.sleep = sleep
        self.config = config or EngineConfig()
        self.messages = messages or Messages()
        self.queue = FairQueue()
        self.watcher = Watcher(
            client,
            on_result=self._on_task_result,
            clock=clock,
            sleep=sleep,
            queries_per_second=self.config.queries_per_second,
            min_interval=self.config.poll_interval,
        )
        self._jobs: dict[str, Job] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._changed = asyncio.Condition()
        self._shown_position: dict[str, int] = {}
        self._deliveries: list[tuple[float, str]] = []
        self._delivery_ready = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        self._known_task_ids: set[str] = set()
        self._last_submit: dict[str, float] = {}
        #: Hooks for observers (metrics, the console UI): called with each stored job.
        self.listeners: list[Callable[[Job], None]] = []

    # -- lifecycle ---------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def start(self) -> None:
        """Resume every unfinished job from the store, then start the loops."""
        since = self.now() - timedelta(days=2)
        self._known_task_ids = await self.store.task_ids_since(since)
        resumed = await self.store.active()
        for job in resumed:
            self._jobs[job.id] = job
        self._loops.append(asyncio.create_task(self.watcher.run(), name="wanbot-watcher"))
        for i in range(self.config.delivery_workers):
            self._loops.append(asyncio.create_task(self._delivery_worker(), name=f"wanbot-delivery-{i}"))
        for job in resumed:
            log.info("job %s: resuming in state %s", job.id, job.state)
            if job.state is JobState.QUEUED:
                self.queue.push(job.id, job.requester.user_key)
            elif job.state is JobState.SUBMITTING:
                self._spawn(self._reconcile(job.id))
            elif job.state in (JobState.PENDING, JobState.RUNNING):
                assert job.task_id is not None
                self.watcher.watch(job.id, job.task_id)
            elif job.state is JobState.SUCCEEDED:
                self._schedule_delivery(job)
        for job in resumed:
            await self._show(job.id)
        await self._pump()

    async def stop(self) -> None:
        """Stop the loops. Jobs stay in the store as they are; ``start()`` on a new engine resumes them."""
        for task in [*self._loops, *self._background]:
            task.cancel()
        for task in [*self._loops, *self._background]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loops.clear()
        self._background.clear()

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what adapters call ------------------------------------------------------------------------------

    async def submit(
        self,
        requester: Requester,
        conversation: ConversationRef,
        request: GenerationRequest,
        *,
        post_status: PostStatus | None = None,
    ) -> Job:
        """Store a new job, post its status message, and queue it. Raises ``QuotaExceeded`` on a cap."""
        active = await self.store.count_active_for_user(
            requester.platform, requester.workspace_id, requester.user_id
        )
        if active >= self.config.per_user_cap:
            raise QuotaExceeded(
                self.messages("cap.user", count=active, cap=self.config.per_user_cap), code="UserCap"
            )
        wait = self._cooldown_left(requester.user_key)
        if wait > 0:
            raise QuotaExceeded(
                self.messages("cap.cooldown", seconds=int(wait + 0.999)), code="Cooldown", retry_after=wait
            )
        self._last_submit[requester.user_key] = self.clock()
        now = self.now()
        job = Job(
            id=new_job_id(),
            requester=requester,
            conversation=conversation,
            request=request,
            state=JobState.QUEUED,
            created_at=now,
            state_times={JobState.QUEUED.value: now},
            updated_at=now,
        )
        await self.store.insert(job)
        self._jobs[job.id] = job
        position = len(self.queue) + 1
        view = self.view(job, position=position)
        try:
            if post_status is not None:
                ref = await post_status(view)
            else:
                ref = await self._port(job).post_status(conversation, view)
        except WanbotError:
            log.exception("job %s: could not post its status message; will retry", job.id)
        else:
            await self._update(job.id, status_ref=ref, shown_state=JobState.QUEUED.value)
            self._shown_position[job.id] = position
        self.queue.push(job.id, requester.user_key)
        log.info("job %s: queued for %s (%s)", job.id, requester.user_key, request.model)
        await self._pump()
        return self._jobs[job.id]

    async def cancel(self, job_id: str, *, user_id: str | None = None) -> str:
        """Cancel a job that has not started generating; returns the sentence to show the user."""
        job = await self.get(job_id)
        if job is None:
            return self.messages("job.not_found", job_id=job_id)
        if user_id is not None and job.requester.user_id != user_id:
            return self.messages("cancel.not_yours", job_id=job_id)
        if job.state.terminal or job.state is JobState.SUCCEEDED:
            return self.messages("cancel.finished", job_id=job_id)
        if job.state is JobState.QUEUED and self.queue.remove(job_id):
            await self._transition(job_id, JobState.CANCELED)
            await self._pump()
            return self.messages("cancel.done", job_id=job_id)
        if job.state is JobState.PENDING and job.task_id:
            try:
                await self.client.cancel_task(job.task_id)
            except DashScopeError as exc:
                if exc.code == "UnsupportedOperation":
                    return self.messages("cancel.too_late", job_id=job_id)
                raise
            self.watcher.unwatch(job_id)
            await self._transition(job_id, JobState.CANCELED)
            await self._pump()
            return self.messages("cancel.done", job_id=job_id)
        return self.messages("cancel.too_late", job_id=job_id)

    async def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id) or await self.store.get(job_id)

    async def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Until the job is terminal (used by ``wanbot try`` and tests)."""

        def done() -> bool:
            job = self._jobs.get(job_id)
            return job is None or job.state.terminal

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), timeout)
        job = await self.get(job_id)
        assert job is not None
        return job

    def _cooldown_left(self, user_key: str) -> float:
        last = self._last_submit.get(user_key)
        return 0.0 if last is None else max(0.0, last + self.config.cooldown - self.clock())

    def peek(self, job_id: str) -> Job | None:
        """The in-memory copy of a job this engine is running (no store read)."""
        return self._jobs.get(job_id)

    def position(self, job_id: str) -> int | None:
        return self.queue.positions().get(job_id)

    def view(self, job: Job, *, position: int | None = None) -> StatusView:
        if position is None:
            position = self.position(job.id)
        return status_view(job, now=self.now(), position=position, messages=self.messages)

    def in_flight(self) -> int:
        return sum(1 for job in self._jobs.values() if job.state.in_flight)

    # -- queue -> DashScope ------------------------------------------------------------------------------

    async def _pump(self) -> None:
        """Fill free DashScope slots from the fair queue, then refresh the positions people see."""
        while self.in_flight() < self.config.max_in_flight:
            job_id = self.queue.pop()
            if job_id is None:
                break
            self._shown_position.pop(job_id, None)
            await self._transition(job_id, JobState.SUBMITTING, submit_started_at=self.now())
            self._spawn(self._create(job_id))
        for job_id, position in self.queue.positions().items():
            if self._shown_position.get(job_id) != position:
                self._shown_position[job_id] = position
                await self._show(job_id, force=True)

    async def _create(self, job_id: str) -> None:
        job = self._jobs[job_id]
        try:
            info = await self.client.create_video_task(job.request, exclude_task_ids=self._known_task_ids)
        except TransportError as exc:
            # The client already tried to reconcile and could not tell: keep trying to find out.
            log.warning("job %s: create unconfirmed (%s); reconciling", job_id, exc.code)
            self._spawn(self._reconcile(job_id, delay=self.config.create_retry_delay))
            return
        except DashScopeError as exc:
            if exc.retryable:
                log.warning("job %s: create refused (%s); back in line", job_id, exc.code)
                await self._requeue_later(job_id)
                return
            await self._fail(job_id, exc.code, self.messages.explain(exc.code, exc.message))
            return
        await self._accepted(job_id, info)

    async def _accepted(self, job_id: str, info: TaskInfo) -> None:
        self._known_task_ids.add(info.task_id)
        await self._transition(job_id, JobState.PENDING, task_id=info.task_id)
        log.info("job %s: DashScope task %s accepted", job_id, info.task_id)
        self.watcher.watch(job_id, info.task_id, first_poll_in=self.config.poll_interval)
        if self._jobs[job_id].extra.get("cancel_requested"):
            await self.cancel(job_id)

    async def _requeue_later(self, job_id: str) -> None:
        await self._transition(job_id, JobState.QUEUED, submit_started_at=None)

        async def later() -> None:
            await self.sleep(self.config.create_retry_delay)
            job = self._jobs.get(job_id)
            if job is not None and job.state is JobState.QUEUED:
                self.queue.push(job_id, job.requester.user_key, front=True)
                await self._pump()

        self._spawn(later())

    async def _reconcile(self, job_id: str, delay: float = 0.0, attempts: int = 10) -> None:
        """Find out whether an interrupted create started a task; adopt it, or queue the job again."""
        for attempt in range(attempts):
            if delay or attempt:
                await self.sleep(delay or self.config.create_retry_delay * (attempt + 1))
            job = self._jobs[job_id]
            sent_at = (job.submit_started_at or job.created_at).timestamp()
            try:
                info = await self.client.reconcile_create(
                    job.request.model, sent_at, exclude_task_ids=self._known_task_ids
                )
            except WanbotError as exc:
                log.warning("job %s: reconcile attempt %d failed: %s", job_id, attempt + 1, exc.code)
                continue
            if info is not None:
                await self._accepted(job_id, info)
            else:
                log.info("job %s: no task was created; back in line", job_id)
                await self._transition(job_id, JobState.QUEUED, submit_started_at=None)
                self.queue.push(job_id, job.requester.user_key, front=True)
                await self._pump()
            return
        await self._fail(job_id, "CreateUnconfirmed", self.messages("error.CreateUnconfirmed"))

    # -- watcher results ---------------------------------------------------------------------------------

    async def _on_task_result(self, job_id: str, result: object) -> None:
        assert isinstance(result, TaskInfo)
        job = self._jobs.get(job_id)
        if job is None or job.state not in (JobState.PENDING, JobState.RUNNING):
            self.watcher.unwatch(job_id)
            return
        status = result.status
        if status is TaskStatus.RUNNING and job.state is JobState.PENDING:
            await self._transition(job_id, JobState.RUNNING)
        elif status is TaskStatus.SUCCEEDED:
            self.watcher.unwatch(job_id)
            await self._succeeded(job_id, result)
        elif status in (TaskStatus.FAILED, TaskStatus.UNKNOWN, TaskStatus.CANCELED):
            self.watcher.unwatch(job_id)
            if status is TaskStatus.CANCELED:
                await self._transition(job_id, JobState.CANCELED)
            elif status is TaskStatus.UNKNOWN:
                await self._fail(job_id, "UnknownTask", self.messages("failed.unknown_task"))
            else:
                await self._fail(job_id, result.code or "Unknown", self.messages.explain(result.code, result.message))
            await self._pump()
        elif self._timed_out(job):
            self.watcher.unwatch(job_id)
            limit = human_duration(self.config.task_timeout)
            await self._fail(job_id, "Timeout", self.messages("failed.timeout", limit=limit))
            await self._pump()

    def _timed_out(self, job: Job) -> bool:
        started = job.entered(JobState.PENDING) or job.created_at
        return (self.now() - started).total_seconds() > self.config.task_timeout

    async def _succeeded(self, job_id: str, info: TaskInfo) -> None:
        job = self._jobs[job_id]
        billed = info.usage.billed_seconds if info.usage and info.usage.billed_seconds is not None else None
        seconds = billed if billed is not None else float(job.request.seconds)
        assert job.request.resolution is not None
        cost = job.request.spec.cost(job.request.resolution, seconds, dict(self.config.price_overrides))
        expires = info.url_expires_at or (self.now() + timedelta(hours=24))
        await self._transition(
            job_id,
            JobState.SUCCEEDED,
            video_url=info.video_url,
            video_expires_at=expires,
            billed_seconds=seconds,
            cost=cost,
        )
        self._schedule_delivery(self._jobs[job_id])
        await self._pump()

    # -- delivery ----------------------------------------------------------------------------------------

    def _schedule_delivery(self, job: Job, delay_until: float | None = None) -> None:
        expires = (job.video_expires_at or self.now()).timestamp()
        if delay_until is None:
            heapq.heappush(self._deliveries, (expires, job.id))
            self._delivery_ready.set()
            return

        async def later() -> None:
            await self.sleep(max(0.0, delay_until - self.clock()))
            heapq.heappush(self._deliveries, (expires, job.id))
            self._delivery_ready.set()

        self._spawn(later())

    async def _delivery_worker(self) -> None:
        while True:
            while not self._deliveries:
                self._delivery_ready.clear()
                await self._delivery_ready.wait()
            _, job_id = heapq.heappop(self._deliveries)  # the one closest to expiry first
            try:
                await self._deliver(job_id)
            except Exception:
                log.exception("job %s: delivery crashed; will retry", job_id)
                job = self._jobs.get(job_id)
                if job is not None and job.state is JobState.SUCCEEDED:
                    self._schedule_delivery(job, delay_until=self.clock() + self.config.create_retry_delay)

    async def _deliver(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state is not JobState.SUCCEEDED:
            return
        if job.video_expires_at is not None and self.now() >= job.video_expires_at:
            await self._expire(job_id)
            return
        attempts = int(job.extra.get("delivery_attempts", 0)) + 1
        await self._update(job_id, extra={**job.extra, "delivery_attempts": attempts})
        try:
            result = await self.delivery.deliver(self._jobs[job_id], self._port(job))
        except (DownloadError, PlatformError, TransportError, DashScopeError) as exc:
            if isinstance(exc, DownloadError) and exc.code in ("Expired", "AccessDenied"):
                await self._expire(job_id)
                return
            if not exc.retryable and attempts >= 3:
                log.error("job %s: delivery failed for good: %s", job_id, exc)
                await self._fail(job_id, exc.code, self.messages("failed.generic", message=exc.message))
                return
            backoff = min(self.config.max_delivery_backoff, self.config.create_retry_delay * 2 ** (attempts - 1))
            log.warning("job %s: delivery attempt %d failed (%s); retry in %.0fs", job_id, attempts, exc.code,
                        backoff)
            self._schedule_delivery(self._jobs[job_id], delay_until=self.clock() + backoff)
            return
        extra = {**self._jobs[job_id].extra, "link_only": result.link_only}
        await self._transition(
            job_id,
            JobState.DELIVERED,
            delivered_ref=result.message,
            delivery_note=result.note,
            extra=extra,
        )
        log.info("job %s: delivered (%s)", job_id, "link" if result.link_only else f"{result.final_size} bytes")

    async def _expire(self, job_id: str) -> None:
        from core.delivery import format_expiry

        job = self._jobs[job_id]
        when = format_expiry(job.video_expires_at) if job.video_expires_at else "?"
        await self._transition(
            job_id, JobState.EXPIRED, error_code="Expired", error_message=self.messages("expired.detail", expires=when)
        )

    # -- state changes and the status message ------------------------------------------------------------

    async def _fail(self, job_id: str, code: str, message: str) -> None:
        log.warning("job %s: failed: %s", job_id, code)
        await self._transition(job_id, JobState.FAILED, error_code=code, error_message=message)

    async def _transition(self, job_id: str, state: JobState, **changes: Any) -> None:
        job = await self._update(job_id, _state=state, **changes)
        await self._show(job.id)
        if state.terminal:
            self._shown_position.pop(job_id, None)

    async def _update(self, job_id: str, _state: JobState | None = None, **changes: Any) -> Job:
        async with self._lock(job_id):
            job = self._jobs[job_id]
            new = job.moved_to(_state, self.now(), **changes) if _state else job.evolve(
                updated_at=self.now(), **changes
            )
            saved = await self.store.save(new)
            self._jobs[job_id] = saved
        for listener in self.listeners:
            listener(saved)
        async with self._changed:
            self._changed.notify_all()
        if saved.state.terminal:
            self._locks.pop(job_id, None)
        return saved

    async def _show(self, job_id: str, *, force: bool = False) -> None:
        """Edit the status message if what it shows is out of date (or post it if it never was)."""
        async with self._lock(job_id):
            job = self._jobs[job_id]
            shown = display_state(job.state)
            if not force and job.shown_state == shown.value and job.status_ref is not None:
                return
            port = self._port(job)
            view = self.view(job)
            try:
                if job.status_ref is None:
                    ref = await port.post_status(job.conversation, view)
                else:
                    await port.edit_status(job.status_ref, view)
                    ref = job.status_ref
            except WanbotError as exc:
                log.warning("job %s: status edit failed (%s); will retry on the next change", job_id, exc.code)
                return
            saved = await self.store.save(job.evolve(status_ref=ref, shown_state=shown.value))
            self._jobs[job_id] = saved

    def _lock(self, job_id: str) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())

    def _port(self, job: Job) -> ChatPort:
        return self.ports[job.conversation.platform]

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background step crashed")

        task = asyncio.create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def display_state(state: JobState) -> JobState:
    """The state a person sees: SUBMITTING is still "queued" to them."""
    return JobState.QUEUED if state is JobState.SUBMITTING else state
