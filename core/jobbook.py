"""The job book: the jobs this process is running, kept in step with the store and the status messages.

Every change to a job goes through ``JobBook.update`` (stored first, under the job's lock, with the
optimistic version check), and what a person sees goes through ``JobBook.show``: one edit when the
visible state differs from what the message last showed, and a post when no message exists yet. A
failed edit leaves ``shown_state`` behind, so ``show_stale`` (run periodically by the engine) retries it
— a status message never stays wrong because one edit hit a platform hiccup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from core.errors import WanbotError
from core.jobs import Job, JobState
from core.messages import Messages
from core.port import ChatPort, MessageRef, StatusView
from core.status import status_view
from core.store import JobStore, StaleJob

log = logging.getLogger("wanbot.engine")


#: ``Job.extra`` key, stored before a status message is first posted: a job that has it but no
#: ``status_ref`` may have a message in the chat already (``ChatPort.find_status``).
STATUS_POST_STARTED = "status_post_started"

PostStatus = Callable[[StatusView], Awaitable[MessageRef]]


def display_state(state: JobState) -> JobState:
    """The state a person sees: SUBMITTING is still "queued" to them."""
    return JobState.QUEUED if state is JobState.SUBMITTING else state


class JobBook:
    def __init__(
        self,
        store: JobStore,
        ports: Mapping[str, ChatPort],
        *,
        clock: Callable[[], float],
        messages: Messages,
        position: Callable[[str], int | None],
        sandbox: bool = False,
    ) -> None:
        self.store = store
        #: Generating on the embedded sandbox: every status view says so (``core.status``).
        self.sandbox = sandbox
        self.ports = dict(ports)
        self.clock = clock
        self.messages = messages
        self._position = position
        self._jobs: dict[str, Job] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: Jobs stored by this process whose first status post has not been tried yet: no earlier process
        #: can have posted for them, so there is nothing to look for.
        self._fresh: set[str] = set()
        self._changed = asyncio.Condition()
        #: Hooks for observers (metrics, a UI): called with each stored job.
        self.listeners: list[Callable[[Job], None]] = []
        #: Called when a save finds another replica took the job over (the engine lets go of it).
        self.on_lost: Callable[[str], None] = self.drop

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- reading -----------------------------------------------------------------------------------------

    def __getitem__(self, job_id: str) -> Job:
        return self._jobs[job_id]

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def peek(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def add(self, job: Job) -> None:
        self._jobs[job.id] = job

    async def take_slot(self, job_id: str, take: Callable[[Job], Awaitable[Job | None]]) -> Job | None:
        """Run ``take`` (``Leases.take_slot``) on the current copy under the job's lock, and keep what it
        stored: one writer owns a job's row at a time, so a status post saving its reference meanwhile
        cannot make either write stale."""
        async with self._lock(job_id):
            job = await self._load(job_id)
            saved = await take(job)
            if saved is None:
                return None
            self._jobs[job_id] = saved
        for listener in self.listeners:
            listener(saved)
        return saved

    def drop(self, job_id: str) -> None:
        """Forget a job this process no longer runs (another replica holds it now)."""
        self._jobs.pop(job_id, None)
        self._locks.pop(job_id, None)
        self._fresh.discard(job_id)

    def port(self, job: Job) -> ChatPort:
        return self.ports[job.conversation.platform]

    def view(self, job: Job, *, position: int | None = None) -> StatusView:
        if position is None:
            position = self._position(job.id)
        return status_view(job, now=self.now(), position=position, messages=self.messages,
                           sandbox=self.sandbox)

    async def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Until the job is terminal (or no longer held by this process)."""

        def done() -> bool:
            job = self._jobs.get(job_id)
            return job is None or job.state.terminal

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), timeout)
        job = self._jobs.get(job_id) or await self.store.get(job_id)
        assert job is not None
        return job

    # -- changing ----------------------------------------------------------------------------------------

    async def update(self, job_id: str, _state: JobState | None = None, **changes: Any) -> Job:
        """Store a changed copy of the job (moved to ``_state`` when given) and return it."""
        async with self._lock(job_id):
            job = await self._load(job_id)
            if _state is not None and job.state.terminal:
                # Terminal states are final: a late answer (a poll that raced a cancel, say) changes nothing.
                log.info("job %s: ignoring %s, already %s", job_id, _state.value, job.state.value)
                return job
            now = self.now()
            new = job.moved_to(_state, now, **changes) if _state else job.evolve(updated_at=now, **changes)
            saved = await self._save(new)
            self._jobs[job_id] = saved
        if _state is not None:
            task = f" (task {saved.task_id})" if saved.task_id else ""
            log.info("job %s: %s%s", job_id, _state.value, task)
        for listener in self.listeners:
            listener(saved)
        async with self._changed:
            self._changed.notify_all()
        return saved

    async def transition(self, job_id: str, state: JobState, **changes: Any) -> Job:
        """Move the job to ``state``, store it, then show it."""
        await self.update(job_id, state, **changes)
        await self.show(job_id)
        return self._jobs[job_id]

    async def fail(self, job_id: str, code: str, message: str) -> Job:
        log.warning("job %s: failed: %s", job_id, code)
        return await self.transition(job_id, JobState.FAILED, error_code=code, error_message=message)

    def accepted(self, job: Job) -> None:
        """A job this process has just stored (``STATUS_POST_STARTED`` set) and will post the status of."""
        self._jobs[job.id] = job
        self._fresh.add(job.id)

    async def show(self, job_id: str, *, force: bool = False, poster: PostStatus | None = None) -> None:
        """Edit the status message if what it shows is out of date (or post it if it never was).

        Posting is done under the job's lock, so a state change racing the first post edits the message
        that post made rather than posting a second one. ``poster`` replaces the port's ``post_status`` for
        that first post (Discord answers the interaction with it).
        """
        async with self._lock(job_id):
            job = await self._load(job_id)
            shown = display_state(job.state).value
            if not force and job.shown_state == shown and job.status_ref is not None:
                return
            port = self.port(job)
            try:
                ref = job.status_ref
                if ref is None and job.extra.get(STATUS_POST_STARTED) and job_id not in self._fresh:
                    # An earlier process may have posted it and died before storing the reference.
                    ref = await port.find_status(job.conversation, job_id)
                    if ref is not None:
                        log.info("job %s: found the status message an earlier run posted", job_id)
                        job = self._jobs[job_id] = await self._save(job.evolve(status_ref=ref))
                view = self.view(job)
                if ref is None:
                    if not job.extra.get(STATUS_POST_STARTED):
                        # Stored before the post, so a crash after it looks for the message first.
                        job = self._jobs[job_id] = await self._save(
                            job.evolve(extra={**job.extra, STATUS_POST_STARTED: True}))
                    self._fresh.discard(job_id)
                    if poster is not None:
                        ref = await poster(view)
                    else:
                        ref = await port.post_status(job.conversation, view)
                else:
                    await port.edit_status(ref, view)
            except WanbotError as exc:
                log.warning("job %s: status edit failed (%s); will retry", job_id, exc.code)
                return
            self._jobs[job_id] = await self._save(job.evolve(status_ref=ref, shown_state=shown))

    async def show_stale(self) -> int:
        """Retry every status message that is behind its job; returns how many were still behind."""
        behind = 0
        for job in self:
            if job.shown_state != display_state(job.state).value or job.status_ref is None:
                await self.show(job.id)
                behind += 1
        return behind

    def forget_finished(self, older_than: float = 60.0) -> None:
        """Drop jobs finished (and shown) a while ago: the store keeps them, memory need not."""
        for job in self:
            ended = job.entered(job.state)
            if (job.state.terminal and job.shown_state == job.state.value and ended is not None
                    and (self.now() - ended).total_seconds() > older_than):
                self._jobs.pop(job.id, None)
                self._locks.pop(job.id, None)

    async def _save(self, job: Job) -> Job:
        try:
            return await self.store.save(job)
        except StaleJob:
            # Someone else wrote the row: another replica claimed the job after our lease ran out.
            log.warning("job %s: changed by another replica; letting go of it", job.id)
            self.on_lost(job.id)
            raise

    async def _load(self, job_id: str) -> Job:
        """The in-memory job, or the stored one brought back (a late step after it was forgotten)."""
        job = self._jobs.get(job_id)
        if job is None:
            job = await self.store.get(job_id)
            if job is None:
                raise KeyError(job_id)
            self._jobs[job_id] = job
        return job

    def _lock(self, job_id: str) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())
