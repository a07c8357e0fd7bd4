"""The job engine: every job's journey from a chat command to a delivered video or set of images.

``Engine`` owns the lifecycle (``core.jobs.JobState``) and wires the parts that each own one concern:
the fair queue (``core.scheduler``), sending and settling creates (``core.creates``), the task watcher
(``core.watcher``) and what its answers mean (``core.outcomes``), delivery (``core.deliveries``), the job
book and store, replicas (``core.replica``) and the chat ports. Its promises:

* a job is stored before it is acknowledged (``accept``), and every state change is stored before it is
  shown;
* one status edit per visible state change (plus queue-position moves while queued, when the text of
  the place changes), never more, and never faster than the platform's edit limit (``core.edits``: when
  a burst outruns it, a message waiting for its edit skips to its newest state; the last one always lands);
* a create is recorded as SUBMITTING before it is sent, and SUBMITTING is the deployment's create gate:
  no job of any replica takes a slot while one is SUBMITTING, and a job leaves it only once its create is
  settled (``core.creates``) — one request never starts two billed tasks, and never gets another's;
* ``start()`` resumes every unfinished job from the store: no second task, no second upload, the same
  status message edited.

Adapters call ``accept`` (or ``submit``), ``cancel``, ``get`` and ``wait``; nothing here knows which
platform is which. An image request (``ImageRequest``) is a job like a video: same queue, caps, cooldown,
budgets (its estimate is its price for ``n`` images), create gate, watcher and recovery; only the route it
is created on, how it is priced and how it is delivered differ (``core.dashscope``, ``core.outcomes``,
``core.delivery``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.budget import checks_for
from core.channel_settings import resolve as resolve_settings
from core.coalesce import Coalesced
from core.config import EngineConfig
from core.creates import Creates, TaskAPI
from core.dashscope import TaskInfo, TaskStatus
from core.deliveries import ArchiveHook, DeliveryWorkers
from core.delivery import Delivery
from core.durations import Durations, shape_of
from core.edits import EditScheduler
from core.errors import (
    DashScopeError,
    DashScopeUnsupportedOperation,
    QuotaExceeded,
    WanbotError,
)
from core.ideas import ThreadWaits, join_group_thread, open_idea_thread
from core.jobbook import STATUS_POST_STARTED, JobBook, display_state
from core.jobs import CancelOutcome, Job, JobState, Requester, new_job_id
from core.ledger import DeploymentLedger
from core.locale import JOB_LOCALE, current, job_locale, speaking
from core.media_stash import MediaStash
from core.messages import Messages
from core.observe import EngineObserver, NullObserver
from core.outcomes import TaskOutcomes
from core.people import RequesterNotices
from core.polling import PollPlanner, PollPolicy
from core.port import ChatPort, ConversationRef, PostStatus, StatusView
from core.refusals import worded
from core.replica import ReplicaDuties
from core.request import AnyRequest, GenerationRequest
from core.scheduler import FairQueue
from core.status import place_in_line, status_view
from core.store import JobStore, StaleJob, TaskClaimed
from core.store.atomic import settle_writes
from core.store.jobstore import UsageTotals
from core.watcher import Watcher, task_lister

log = logging.getLogger("wanbot.engine")
#: Place-in-line texts compared (not shown) to tell whether a move changed what a message reads: one language.
_PLACE_KEYS = Messages(pinned=True)


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
        observer: EngineObserver | None = None,
        sandbox: bool = False,
        stash: MediaStash | None = None,
        archive: ArchiveHook | None = None,
    ) -> None:
        """``stash`` (issue 12): resolves a request's input files right before its create, and keeps each
        delivered image (``job.extra["result_media"]``) for Animate."""
        self.store = store
        #: Input files and delivered images (``core.media_stash``): resolved before creates, kept on delivery.
        self.stash = stash
        self.observer: EngineObserver = observer or NullObserver()
        self.client = client
        self.clock = clock
        self.sleep = sleep
        self.config = config or EngineConfig()
        self.messages = messages or Messages()
        self.queue = FairQueue()
        #: Generating on the embedded sandbox: every status view says so (``core.status``).
        self.sandbox = sandbox
        #: Status edits, coalesced per message and paced to each platform's edit limit (``core.edits``).
        self.edits = EditScheduler(clock=clock, sleep=sleep, spawn=self._spawn)
        self.book = JobBook(store, ports, owner=self.config.replica_id, clock=clock, view=self.view,
                            edits=self.edits, sleep=sleep)
        self.book.listeners.append(self.observer.job_changed)
        #: Issue 14: pings a finished job's requester, once, unless they opted out (``core.people``).
        self.people = RequesterNotices(book=self.book, prefs=store.user_prefs, messages=self.messages,
                                       spawn=self._spawn)
        self.book.listeners.append(self.people.seen)
        #: How long tasks of each shape take here: times the watcher's looks (``core.polling``).
        self.durations = Durations(scale=self.config.duration_scale)
        self.watcher = Watcher(
            client,
            on_result=self._on_task_result,
            on_error=self._on_poll_error,
            clock=clock,
            sleep=sleep,
            queries_per_second=self.config.queries_per_second,
            min_interval=self.config.poll_interval,
            planner=self._planner(),
            lister=task_lister(client, clock) if self.config.list_sweeps else None,
        )
        self.deliveries = DeliveryWorkers(
            self.book,
            delivery,
            clock=clock,
            sleep=sleep,
            spawn=self._spawn,
            base_delay=self.config.create_retry_delay,
            max_backoff=self.config.max_delivery_backoff,
            messages=self.messages,
            keep=stash.keep if stash is not None else None,
            archive=archive,
        )
        self.replica = ReplicaDuties(
            store,
            self.book,
            replica_id=self.config.replica_id,
            lease_seconds=self.config.lease_seconds,
            platforms=lambda: set(self.book.ports),
            resume=self._resume,
            drop=self._drop,
            set_share=lambda alive: self.watcher.set_rate(self.config.queries_per_second / alive),
        )
        self.book.on_lost = self._drop
        #: Variants wait here for their first one's thread (``core.ideas``).
        self.thread_waits = ThreadWaits()
        #: The place in line each queued job's message shows (set when it is shown).
        self._shown_position: dict[str, int] = {}
        self._place_texts: dict[int, str] = {}
        #: The line (``FairQueue.positions()``, the same object until the queue changes) last refreshed.
        self._refreshed: Mapping[str, int] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        #: Which DashScope tasks the deployment knows (read from the store) and what to do with orphans.
        self.ledger = DeploymentLedger(store, cancel=client.cancel_task, observer=self.observer, clock=clock)
        self.outcomes = TaskOutcomes(
            book=self.book, watcher=self.watcher, deliveries=self.deliveries, ledger=self.ledger,
            observer=self.observer, messages=self.messages, config=self.config, clock=clock, pump=self._pump,
        )
        self.creates = Creates(
            book=self.book, client=client, ledger=self.ledger, watcher=self.watcher, queue=self.queue,
            observer=self.observer, messages=self.messages, config=self.config, sleep=sleep,
            spawn=self._spawn, pump=self._pump, stash=stash, on_refused=self._create_refused,
        )
        #: Issue 13: told of each job whose create DashScope refused for good (``core.admin_route``).
        self.refusal_hooks: list[Callable[[Job, DashScopeError], Awaitable[None]]] = []
        #: Filling slots and refreshing positions look at the state *now*: concurrent pumps share runs
        #: (``core.coalesce``), one at a time each — so an older line never overwrites a newer one, and a
        #: burst of 5,000 accepts is a few runs over the queue, not 5,000.
        self._fill = Coalesced(self._fill_slots, spawn=self._own_task)
        self._refresh = Coalesced(self._show_positions, spawn=self._own_task)

    def _planner(self) -> PollPlanner | None:
        if not self.config.predictive_polling:
            return None
        policy = PollPolicy(min_interval=self.config.poll_interval, solo_interval=self.config.solo_poll_interval,
                            max_interval=self.config.max_poll_interval)
        return PollPlanner(self.durations, policy)

    @property
    def listeners(self) -> list[Callable[[Job], None]]:
        """Hooks for observers (metrics, the console UI): called with each stored job."""
        return self.book.listeners

    # -- lifecycle ---------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def start(self) -> None:
        """Take every unfinished job nobody else runs (after a restart: our own), then start the loops."""
        self._loops.append(asyncio.create_task(self.watcher.run(), name="wanbot-watcher"))
        for i in range(self.config.delivery_workers):
            self._loops.append(asyncio.create_task(self.deliveries.run(), name=f"wanbot-delivery-{i}"))
        learnt = self.durations.prime(await self.store.recently_delivered())
        log.debug("task durations primed from %d delivered jobs", learnt)
        await self.replica.tick(self.now(), starting=True)
        self._loops.append(asyncio.create_task(self._housekeeping(), name="wanbot-housekeeping"))
        self._loops.append(asyncio.create_task(self._slot_polling(), name="wanbot-slots"))
        # Not awaited, like the status shows in ``_resume``: refreshing resumed jobs' places in line may post
        # their messages, and a platform still connecting (its port waits for it) must not hold up start().
        self._spawn(self._pump())

    async def _resume(self, job: Job) -> None:
        """Carry on with a job from the store (a restart, or a replica that died)."""
        log.info("job %s: resuming in state %s", job.id, job.state)
        if job.state is JobState.QUEUED:
            self.queue.push(job.id, job.requester.user_key)
        elif job.state is JobState.SUBMITTING:
            self._spawn(self.creates.settle(job.id), job.id)
        elif job.state in (JobState.PENDING, JobState.RUNNING):
            assert job.task_id is not None
            submitted = job.entered(JobState.PENDING) or job.submit_started_at or job.created_at
            self.watcher.watch(job.id, job.task_id, shape=shape_of(job.request), submitted=submitted.timestamp())
        elif job.state is JobState.SUCCEEDED:
            self.deliveries.schedule(job)
        # (A finished job is claimed only when its message is behind: showing it is all there is to do.)
        # Not awaited: a platform may still be connecting (its port waits for that), and start() must not
        # wait for it. A status that cannot be shown now is retried by housekeeping.
        self._spawn(self._show_resumed(job.id), job.id)

    async def _show_resumed(self, job_id: str) -> None:
        await join_group_thread(self.book, self.store, job_id, None)  # a variant not posted before the restart
        await self.book.show(job_id)
        await open_idea_thread(self.book, job_id)  # a restart between the first post and the thread

    def _drop(self, job_id: str) -> None:
        self.watcher.unwatch(job_id)
        self.queue.remove(job_id)
        self._shown_position.pop(job_id, None)
        self.book.drop(job_id)

    async def stop(self, *, release_leases: bool = True) -> None:
        """Stop the loops and hand unfinished jobs back; the store keeps them for whoever starts next.

        ``release_leases=False`` leaves the leases to run out, as a crashed process would.
        """
        for task in [*self._loops, *self._background]:
            task.cancel()
        for task in [*self._loops, *self._background]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loops.clear()
        self._background.clear()
        await settle_writes()  # a step cancelled mid-write finishes it first (``core.store.atomic``)
        with contextlib.suppress(Exception):  # what messages show, still in memory (``core.jobbook``)
            await self.book.close(write=release_leases)  # (not written when the stop stands for a crash)
        if release_leases:
            with contextlib.suppress(Exception):  # a dead database must not turn a stop into a crash
                await self.replica.release_all()

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _housekeeping(self) -> None:
        while True:
            await self.sleep(self.config.housekeeping_interval)
            try:
                await self.replica.tick(self.now())
                await self.book.show_stale()
            except Exception:  # a database or platform hiccup: this loop must outlive it; next tick retries
                log.exception("housekeeping failed; retrying in %.0fs", self.config.housekeeping_interval)
            self.book.forget_finished()

    async def _slot_polling(self) -> None:
        """Another replica may free a DashScope slot: look again while jobs wait here."""
        while True:
            await self.sleep(self.config.slot_poll_interval)
            if len(self.queue):
                try:
                    await self._pump()
                except Exception:  # as above: never let the loop that starts queued jobs die
                    log.exception("looking for a free DashScope slot failed")

    # -- what adapters call ------------------------------------------------------------------------------

    async def accept(
        self,
        requester: Requester,
        conversation: ConversationRef,
        request: AnyRequest,
        *,
        post_status: PostStatus | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Job:
        """Store a new job durably and queue it; its status message is posted in the background.

        This is what a chat handler calls *before* it acknowledges the command: once it returns, the job
        survives a kill, and the acknowledgement costs only the insert. Raises ``QuotaExceeded`` (with a
        sentence for the user) on the per-user cap, the cooldown or a budget; those are checked in the same
        transaction as the insert, so concurrent requests cannot slip past them together. ``post_status``
        posts the first status message instead of the port (Discord answers the interaction with it);
        ``extra`` starts the job's ``Job.extra`` (an idea's thread, its lineage: ``core.ideas``).
        """
        job = await self._store_new(requester, conversation, request, extra)
        self._spawn(self._after_accept(job.id, post_status), job.id)
        return job

    async def submit(
        self,
        requester: Requester,
        conversation: ConversationRef,
        request: AnyRequest,
        *,
        post_status: PostStatus | None = None,
    ) -> Job:
        """``accept``, then wait until the status message is posted and free slots are filled."""
        job = await self._store_new(requester, conversation, request)
        await self._after_accept(job.id, post_status)
        return self.book.peek(job.id) or job

    async def accept_batch(
        self,
        requester: Requester,
        conversation: ConversationRef,
        requests: Sequence[tuple[str, AnyRequest, Mapping[str, Any]]],
        *,
        post_status: PostStatus | None = None,
    ) -> list[Job]:
        """``accept`` for requests started together (variants, ``core.variants``): each ``(job id, request,
        extra)`` a job, all stored in one transaction against the cap, the cooldown and the budgets together — or
        none, raising the refusal. ``post_status`` posts the first job's status; the others are posted by
        the port."""
        now = self.now()
        group = [self._new_job(job_id, requester, conversation, request, extra, now)
                 for job_id, request, extra in requests]
        checks = checks_for(
            self.config.budgets, now=now, tz=ZoneInfo(self.config.timezone), platform=requester.platform,
            workspace_id=requester.workspace_id, user_id=requester.user_id,
        )
        for job in group:
            self.book.arriving(job.id)
        try:
            await self.store.insert_group(group, within=checks, max_active_for_user=self.config.per_user_cap,
                                          cooldown=self.config.cooldown or None)
        except QuotaExceeded as exc:
            for job in group:
                self.book.drop(job.id)
            raise worded(exc, self.messages, self.config) from None
        except BaseException:
            for job in group:
                self.book.drop(job.id)
            raise
        for i, job in enumerate(group):
            self.book.accepted(job)
            self.queue.push(job.id, requester.user_key)
            self._shown_position[job.id] = self.position(job.id) or 0
            log.info("job %s: queued for %s (%s), variant %d of %d", job.id, requester.user_key,
                     job.request.model, i + 1, len(group))
        first = group[0]
        self.thread_waits.expect(first.id)
        self._spawn(self._after_accept(first.id, post_status), first.id)
        for job in group[1:]:
            self._spawn(self._after_variant(job.id, first.id), job.id)
        return group

    def _new_job(self, job_id: str, requester: Requester, conversation: ConversationRef, request: AnyRequest,
                 extra: Mapping[str, Any] | None, now: datetime) -> Job:
        return Job(
            id=job_id,
            requester=requester,
            conversation=conversation,
            request=request,
            state=JobState.QUEUED,
            created_at=now,
            state_times={JobState.QUEUED.value: now},
            updated_at=now,
            # An image job holds no video seconds, only its price (per image asked for).
            reserved_seconds=float(request.seconds) if isinstance(request, GenerationRequest) else 0.0,
            reserved_cost=request.estimated_cost(dict(self.config.price_overrides)),
            lease_owner=self.config.replica_id,
            lease_until=self.replica.lease_until(now),
            # Set before the first post: a restart that finds no status_ref looks for the message first. The
            # locale it was asked in: what is said about it later, outside this request (``core.locale``).
            extra={**(extra or {}), STATUS_POST_STARTED: True, JOB_LOCALE: current() or self.messages.locale},
        )

    async def _store_new(self, requester: Requester, conversation: ConversationRef,
                         request: AnyRequest, extra: Mapping[str, Any] | None = None) -> Job:
        now = self.now()
        job = self._new_job(new_job_id(), requester, conversation, request, extra, now)
        checks = checks_for(
            self.config.budgets, now=now, tz=ZoneInfo(self.config.timezone), platform=requester.platform,
            workspace_id=requester.workspace_id, user_id=requester.user_id,
        )
        # The row is leased to us from the insert on: our own housekeeping must not claim it as a job nobody
        # runs before it is in the book (a slow insert can outlast the lease).
        self.book.arriving(job.id)
        try:
            await self.store.insert(job, within=checks, max_active_for_user=self.config.per_user_cap,
                                    cooldown=self.config.cooldown or None)
        except QuotaExceeded as exc:  # the cap, the cooldown or a budget (``BudgetExceeded``)
            self.book.drop(job.id)
            raise worded(exc, self.messages, self.config) from None
        except BaseException:
            self.book.drop(job.id)
            raise
        self.book.accepted(job)
        self.queue.push(job.id, requester.user_key)
        # The first post shows this position: the pump's refresh must not edit the message to say it again.
        self._shown_position[job.id] = self.position(job.id) or 0
        log.info("job %s: queued for %s (%s)", job.id, requester.user_key, request.model)
        return job

    async def _after_accept(self, job_id: str, post_status: PostStatus | None) -> None:
        """Post the new job's status message, then fill free DashScope slots."""
        await self.book.show(job_id, poster=post_status)
        await open_idea_thread(self.book, job_id, self.thread_waits)
        await self._pump()

    async def _after_variant(self, job_id: str, group: str) -> None:
        """A variant after the first: into the first one's thread once it is open, then as any job."""
        await join_group_thread(self.book, self.store, job_id, self.thread_waits)
        await self._after_accept(job_id, None)
        self.thread_waits.forget(group)

    async def cancel(self, job_id: str) -> CancelOutcome:
        """Cancel a job that has not started generating (the caller has authorized it: ``core.actions``)."""
        job = await self.get(job_id)
        if job is None or job.state.terminal or job.state is JobState.SUCCEEDED:
            return CancelOutcome.FINISHED
        if job.state is JobState.QUEUED and self.queue.remove(job_id):
            await self.book.transition(job_id, JobState.CANCELED)
            await self._pump()
            return CancelOutcome.CANCELLED
        if job.state is JobState.PENDING and job.task_id:
            try:
                await self.client.cancel_task(job.task_id)
            except DashScopeError as exc:
                if isinstance(exc, DashScopeUnsupportedOperation):
                    return CancelOutcome.TOO_LATE
                raise
            self.watcher.unwatch(job_id)
            await self.book.transition(job_id, JobState.CANCELED)
            await self._pump()
            return CancelOutcome.CANCELLED
        return CancelOutcome.TOO_LATE

    async def get(self, job_id: str) -> Job | None:
        return self.book.peek(job_id) or await self.store.get(job_id)

    async def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Until the job is terminal (used by ``wanbot try`` and tests)."""
        return await self.book.wait(job_id, timeout)

    def peek(self, job_id: str) -> Job | None:
        """The in-memory copy of a job this engine is running (no store read)."""
        return self.book.peek(job_id)

    def position(self, job_id: str) -> int | None:
        return self.queue.position(job_id)

    def view(self, job: Job, *, position: int | None = None) -> StatusView:
        """What ``job``'s status message shows now (``core.status``)."""
        if position is None:
            position = self.position(job.id)
        typical = None if job.state.terminal else self.durations.typical(shape_of(job.request))
        return status_view(job, now=self.now(), position=position, messages=self.messages_for(job),
                           sandbox=self.sandbox, typical_seconds=typical)

    def messages_for(self, job: Job) -> Messages:
        """What is said about ``job``: in the locale it was asked in (this deployment's for an older job)."""
        return Messages(self.locale_of(job), pinned=True)

    def locale_of(self, job: Job | str | None) -> str:
        """The locale ``job`` (or the job of that id in the book) was asked in, else the deployment's."""
        if isinstance(job, str):
            job = self.book.peek(job)
        return (job_locale(job.extra) if job is not None else None) or self.messages.locale

    # -- queries for the chat actions (``core.actions.face.EngineFace``) ----------------------------------

    @property
    def timezone(self) -> str:
        return self.config.timezone

    @property
    def price_overrides(self) -> Mapping[str, Decimal]:
        return self.config.price_overrides

    async def recent_jobs(self, platform: str, workspace_id: str | None, user_id: str, *,
                          limit: int) -> list[Job]:
        """The user's newest jobs in that workspace, newest first, in any state."""
        return await self.store.recent_for_user(platform, workspace_id, user_id, limit=limit)

    async def usage(self, *, since: datetime, platform: str, workspace_id: str | None,
                    user_id: str | None) -> UsageTotals:
        return await self.store.usage(since=since, platform=platform, workspace_id=workspace_id, user_id=user_id)

    async def channel_defaults(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        return await self.store.channels.get(platform, workspace_id, channel_id)

    async def set_channel_defaults(self, platform: str, workspace_id: str | None, channel_id: str,
                                   values: dict[str, Any], *, by: str) -> None:
        await self.store.channels.set(platform, workspace_id, channel_id, values, by=by)

    async def channel_settings(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        """Every ``core.channel_settings`` setting's value in that channel (defaults filled in)."""
        stored = await self.store.settings.get(platform, workspace_id, channel_id)
        return resolve_settings({"threads": self.config.threads_by_default, **stored})

    async def idea_root(self, platform: str, workspace_id: str | None, channel_id: str,
                        thread_id: str) -> Job | None:
        """The idea whose thread ``thread_id`` is (``core.ideas``), or ``None``."""
        return await self.store.ideas.root_of(platform, workspace_id, channel_id, thread_id)

    def port(self, platform: str) -> ChatPort:
        return self.book.ports[platform]

    def in_flight(self) -> int:
        return self.book.in_flight()

    # -- queue -> DashScope ------------------------------------------------------------------------------

    async def _pump(self) -> None:
        """Fill free DashScope slots from the fair queue, then refresh the positions people see.

        The slots are the account's, shared by every replica: ``take_slot`` counts them in the database.
        Concurrent calls share runs (``core.coalesce``): when this returns, a run of each that started
        after the call has finished.
        """
        await self._fill()
        self.observer.queue_depth(len(self.queue), self.in_flight())
        await self._refresh()

    async def _fill_slots(self) -> None:
        """Take slots for the jobs at the head of the line while the deployment has free ones."""
        while (job_id := self.queue.peek()) is not None:
            if self.book.in_flight() >= self.config.max_in_flight or self.book.submitting():
                # Our own jobs alone fill the slots (or hold the create gate): the deployment's count
                # can only be higher, so no slot is free and the store need not be asked.
                break
            # The job stays in line (and in everyone's position count) until it has won a slot.
            job = self.book.peek(job_id)
            if job is None or job.state is not JobState.QUEUED:
                self.queue.remove(job_id)
                continue
            try:
                saved = await self.book.take_slot(job_id, self._take_slot)
            except StaleJob:
                if job_id in self.queue:
                    break  # still ours but the row kept moving: the next pump tries again
                continue  # another replica holds it now (the book let go): on to the next
            if saved is None:
                break
            if job_id in self.queue:
                self.queue.take(job_id)
            self._shown_position.pop(job_id, None)
            self._spawn(self.creates.send(job_id), job_id)

    async def _show_positions(self) -> None:
        """Edit the messages of queued jobs whose place in line reads differently from what they show.

        A freed slot moves every later job up one place, but past the first few a place is shown as a
        range (``core.status.place_in_line``), so only the first few and those crossing a range's edge are
        edited; the scan itself is a dict lookup per queued job.

        Apart from filling slots (platform edits must not hold up slots) but one refresh at a time
        (``self._refresh``), each reading the line when it starts: two refreshes interleaving could record a
        place the message no longer shows, and edit the same move twice. A job that left the line meanwhile
        is skipped. Nothing to do when the line has not changed since the last refresh.
        """
        positions = self.queue.positions()
        if positions is self._refreshed:
            return
        self._refreshed = positions
        for job_id, position in positions.items():
            shown = self._shown_position.get(job_id)
            if shown == position or self.position(job_id) != position:
                continue
            self._shown_position[job_id] = position
            if shown is not None and self._place_text(shown) == self._place_text(position):
                continue  # a deep place moved within its range: the message reads the same
            await self.book.show(job_id, force=True)

    def _place_text(self, position: int) -> str:
        """What a status line says about ``position`` (remembered: a deep line asks for the same few)."""
        text = self._place_texts.get(position)
        if text is None:
            text = self._place_texts[position] = place_in_line(position, _PLACE_KEYS)
        return text

    async def _take_slot(self, job: Job) -> Job | None:
        if job.state is not JobState.QUEUED:
            return None
        return await self.store.leases.take_slot(job, max_in_flight=self.config.max_in_flight, now=self.now())

    # -- watcher results ---------------------------------------------------------------------------------

    async def _on_task_result(self, job_id: str, result: object) -> None:
        assert isinstance(result, TaskInfo)
        if result.status is TaskStatus.SUCCEEDED:
            job = self.book.peek(job_id)
            if job is not None and not job.state.terminal:
                self.durations.learn(shape_of(job.request), submitted=result.submit_time,
                                     scheduled=result.scheduled_time, ended=result.end_time)
        with contextlib.suppress(StaleJob), speaking(self.locale_of(job_id)):  # StaleJob: another replica has it
            await self.outcomes.handle(job_id, result)

    async def _on_poll_error(self, job_id: str, exc: WanbotError) -> None:
        self.observer.dashscope_error(exc.code)
        with contextlib.suppress(StaleJob), speaking(self.locale_of(job_id)):  # StaleJob: another replica has it
            await self.outcomes.poll_failed(job_id, exc)

    async def _task_claimed(self, job_id: str, exc: TaskClaimed) -> None:
        """A step of ``job_id`` tried to store a task another job holds. That task is not this job's and
        whether this job's own create made a task is unknown: fail it clearly (never left SUBMITTING
        holding a slot, never given the other job's task) and let the next job have the slot."""
        log.error("job %s: %s; failing the job", job_id, exc.message)
        job = self.book.peek(job_id)
        if job is not None and not job.state.terminal:
            await self.book.fail(job_id, "TaskClaimed", self.messages_for(job)("error.TaskClaimed"))
        await self._pump()

    async def _create_refused(self, job_id: str, exc: DashScopeError) -> None:
        job = self.book.peek(job_id) or await self.store.get(job_id)
        if job is None:
            return
        for hook in list(self.refusal_hooks):
            try:
                await hook(job, exc)
            except Exception:  # telling the admins must never break the create path
                log.exception("job %s: a refusal hook failed", job_id)

    # -- plumbing ----------------------------------------------------------------------------------------

    def _own_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task of the engine's (cancelled at ``stop``) that reports its own errors to its awaiters."""
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _spawn(self, coro: Awaitable[None], job_id: str | None = None) -> None:
        async def guarded() -> None:
            try:
                # A job's step speaks the job's locale, whichever request's task happened to start it.
                with speaking(self.locale_of(job_id) if job_id is not None else None):
                    await coro
            except asyncio.CancelledError:
                raise
            except StaleJob:
                pass  # another replica runs that job now (the book logged it and let go)
            except TaskClaimed as exc:
                # The task id this step tried to store is another job's: this job did not get it.
                if job_id is None:
                    raise
                await self._task_claimed(job_id, exc)
            except Exception:
                log.exception("job %s: a background step crashed", job_id or "-")

        def done(task: asyncio.Task[None]) -> None:
            self._background.discard(task)
            if inspect.iscoroutine(coro):
                coro.close()  # cancelled before it started (a stop right after accept): no "never awaited"

        task = asyncio.create_task(guarded())
        self._background.add(task)
        task.add_done_callback(done)


__all__ = ["Engine", "EngineConfig", "PostStatus", "TaskAPI", "display_state"]
