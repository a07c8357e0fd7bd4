"""The job book: the jobs this process is running, kept in step with the store and the status messages.

Every write to a job's row from this process goes through the book, under that job's lock, so one
writer owns a row at a time: ``update`` (a changed copy, stored first), ``show`` (the status message's
reference and what it shows) and ``take_slot`` (the move to SUBMITTING). What a person sees goes through
``show``: one edit when the visible state differs from what the message last showed, and a post when no
message exists yet. Edits pass through ``core.edits`` (coalesced, within the platform's edit limits);
A failed edit leaves ``shown_state`` behind, so ``show_stale`` (run periodically by the engine) retries
it — a status message never stays wrong because one edit hit a platform hiccup.

``shown_state`` (what the message shows) is *written behind*: a new message's reference is stored at once
with it, but a later edit only sets it on the in-memory copy, and the job's next save (the next state
change, which follows within seconds for a running job) carries it; what no save carried within
``SHOWN_WRITE_BEHIND`` seconds (a finished job's last edit) is written by ``flush_shown``, many jobs in one
transaction, and at a clean stop (``close``). That was 4 of a video's 11 saves. Why a crash loses nothing
that matters: the row then says the message shows an *older* state, so the next holder (``show`` on
resume; ``Leases.claim`` takes finished jobs whose message is behind) edits it once more to the state it
already shows — an edit too many, never a wrong or a lost one; the state itself, the task, the reference
of the message and of the upload are all stored before they are shown or acted on, as before. A queue-
position move costs no write at all.

A save that finds the row at another version (``StaleJob``) is a takeover only when the row's lease names
another replica: then the book lets go of the job. Otherwise the row is still ours (our own claim bumped
its version, say), so the book reloads it and applies the change again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from core.edits import EditScheduler, Urgency
from core.errors import WanbotError
from core.jobs import Job, JobState
from core.port import ChatPort, MessageRef, PostStatus, StatusView
from core.store import JobStore, StaleJob

log = logging.getLogger("wanbot.engine")


#: ``Job.extra`` key, stored before a status message is first posted: a job that has it but no
#: ``status_ref`` may have a message in the chat already (``ChatPort.find_status``).
STATUS_POST_STARTED = "status_post_started"

#: Seconds a status message's ``shown_state`` waits in memory for the job's next save (which writes it
#: anyway) before it is written on its own, many jobs' in one transaction.
SHOWN_WRITE_BEHIND = 2.0

#: Times a change is re-applied to a reloaded row before giving up (each retry means a writer outside the
#: book bumped the row meanwhile, e.g. a claim of our own lease; more than a couple is a bug).
_STALE_RETRIES = 5


def display_state(state: JobState) -> JobState:
    """The state a person sees: SUBMITTING is still "queued" to them."""
    return JobState.QUEUED if state is JobState.SUBMITTING else state


def _urgency(job: Job, behind: bool) -> Urgency:
    """How soon an edit must go out: a state the message does not show yet beats a position move."""
    if not behind:
        return Urgency.POSITION
    return Urgency.TERMINAL if job.state.terminal else Urgency.STATE


class JobBook:
    def __init__(
        self,
        store: JobStore,
        ports: Mapping[str, ChatPort],
        *,
        owner: str,
        clock: Callable[[], float],
        view: Callable[[Job], StatusView],
        edits: EditScheduler | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.sleep = sleep
        #: Between ``show`` and the ports' ``edit_status``: coalesces edits within each platform's limits.
        self.edits = edits or EditScheduler(clock=clock)
        #: What a job's status message shows (the engine's presenter, ``core.status``): the book only posts it.
        self.view = view
        self.ports = dict(ports)
        #: This replica's id: a row whose lease names someone else is not ours to write.
        self.owner = owner
        self.clock = clock
        self._jobs: dict[str, Job] = {}
        #: The held jobs in a DashScope slot (``JobState.in_flight``), and those of them SUBMITTING: kept with
        #: ``_jobs`` (``_put``/``_pop``) so the engine's pump knows in O(1) that no slot can be free.
        self._in_flight: set[str] = set()
        self._submitting: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        #: Jobs being inserted right now: already leased to us in the row, not yet in ``_jobs``.
        self._arriving: set[str] = set()
        #: Jobs stored by this process whose first status post has not been tried yet: no earlier process
        #: can have posted for them, so there is nothing to look for.
        self._fresh: set[str] = set()
        self._changed = asyncio.Condition()
        #: Jobs whose in-memory ``shown_state`` is newer than their row's: written by their next save, or
        #: by ``flush_shown`` after ``SHOWN_WRITE_BEHIND`` seconds (see the module docstring).
        self._unsaved_shown: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
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

    def in_flight(self) -> int:
        """How many jobs this process holds in a DashScope slot (SUBMITTING, PENDING, RUNNING)."""
        return len(self._in_flight)

    def submitting(self) -> int:
        """How many jobs this process holds in SUBMITTING (the deployment's create gate)."""
        return len(self._submitting)

    def held(self) -> set[str]:
        """Every job this process runs or is inserting: what its own claims must never take."""
        return set(self._jobs) | self._arriving

    def add(self, job: Job) -> None:
        """Run ``job`` here (claimed from the store); an in-memory copy at a newer version is kept."""
        current = self._jobs.get(job.id)
        if current is None or job.version >= current.version:
            self._put(job)

    def arriving(self, job_id: str) -> None:
        """About to insert ``job_id`` leased to us: until ``accepted`` (or ``drop``) no claim of ours takes it."""
        self._arriving.add(job_id)

    def accepted(self, job: Job) -> None:
        """A job this process has just stored (``STATUS_POST_STARTED`` set) and will post the status of."""
        self._arriving.discard(job.id)
        self.add(job)
        self._fresh.add(job.id)

    async def take_slot(self, job_id: str, take: Callable[[Job], Awaitable[Job | None]]) -> Job | None:
        """Run ``take`` (``Leases.take_slot``) on the current copy under the job's lock, and keep what it
        stored: one writer owns a job's row at a time, so a status post saving its reference meanwhile
        cannot make either write stale. ``None``: no slot (nothing was written)."""
        async with self._lock(job_id):
            saved = await self._write(job_id, take)
        if saved is not None:
            for listener in self.listeners:
                listener(saved)
        return saved

    def drop(self, job_id: str) -> None:
        """Forget a job this process no longer runs (another replica holds it now)."""
        job = self._pop(job_id)
        if job is not None and job.status_ref is not None:
            self.edits.discard(job.status_ref)  # its message is the new holder's to edit
        self._locks.pop(job_id, None)
        self._fresh.discard(job_id)
        self._arriving.discard(job_id)
        self._unsaved_shown.discard(job_id)

    def port(self, job: Job) -> ChatPort:
        return self.ports[job.conversation.platform]

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
        """Store a changed copy of the job (moved to ``_state`` when given) and return it.

        ``extra`` is merged into the stored copy's extras (keys added or replaced, never dropped): a caller
        that built it from a copy read before the lock cannot undo a change made meanwhile.
        """

        async def change(job: Job) -> Job | None:
            if _state is not None and job.state.terminal:
                # Terminal states are final: a late answer (a poll that raced a cancel, say) changes nothing.
                log.info("job %s: ignoring %s, already %s", job_id, _state.value, job.state.value)
                return None
            now = self.now()
            fields = dict(changes)
            if "extra" in fields:
                fields["extra"] = {**job.extra, **fields["extra"]}
            new = job.moved_to(_state, now, **fields) if _state else job.evolve(updated_at=now, **fields)
            return await self.store.save(new)

        async with self._lock(job_id):
            saved = await self._write(job_id, change)
            if saved is None:
                return self._jobs[job_id]
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

    async def show(self, job_id: str, *, force: bool = False, poster: PostStatus | None = None) -> None:
        """Edit the status message if what it shows is out of date (or post it if it never was).

        ``force`` edits even when the state shown is current (a queue-position move). Edits go through the
        edit scheduler (``core.edits``): within the platform's budget they are made here and now; beyond it
        they wait, newest view per message, and ``shown_state`` is stored once the edit lands. Posting is
        done under the job's lock, so a state change racing the first post edits the message that post
        made rather than posting a second one. ``poster`` replaces the port's ``post_status`` for that
        first post (Discord answers the interaction with it).
        """
        async with self._lock(job_id):
            job = await self._load(job_id)
            shown = display_state(job.state).value
            behind = job.shown_state != shown or job.status_ref is None
            if not force and not behind:
                return
            port = self.port(job)
            try:
                ref = job.status_ref
                if ref is None and job.extra.get(STATUS_POST_STARTED) and job_id not in self._fresh:
                    # An earlier process may have posted it and died before storing the reference.
                    ref = await port.find_status(job.conversation, job_id)
                    if ref is not None:
                        log.info("job %s: found the status message an earlier run posted", job_id)
                        job = await self._save_fields(job_id, status_ref=ref)
                view = self.view(job)
                if ref is None:
                    if not job.extra.get(STATUS_POST_STARTED):
                        # Stored before the post, so a crash after it looks for the message first.
                        job = await self._save_fields(job_id, extra={STATUS_POST_STARTED: True})
                    self._fresh.discard(job_id)
                    if poster is not None:
                        ref = await poster(view)
                    else:
                        ref = await port.post_status(job.conversation, view)
                else:
                    urgency = _urgency(job, behind)
                    if not await self.edits.edit(port, ref, view, urgency=urgency,
                                                 done=functools.partial(self._edited, job_id, ref)):
                        return  # waiting for the platform's budget: ``_edited`` records it once it lands
            except WanbotError as exc:
                log.warning("job %s: status edit failed (%s); will retry", job_id, exc.code)
                return
            if ref != job.status_ref:
                # A new message: its reference is stored now (a restart must edit it, not post again).
                await self._save_fields(job_id, status_ref=ref, shown_state=shown)
            elif shown != job.shown_state:
                self._shown_later(job_id, shown)
            # (A position move changes neither: no store write for it.)

    async def _edited(self, job_id: str, ref: MessageRef, view: StatusView, ok: bool) -> None:
        """A waiting edit of ``ref`` was tried: store the state it shows (a failed one stays behind, so
        ``show_stale`` retries it)."""
        if not ok:
            return
        shown = display_state(JobState(view.state)).value
        async with self._lock(job_id):
            job = self._jobs.get(job_id)
            if job is None or job.status_ref != ref or job.shown_state == shown:
                return
            self._shown_later(job_id, shown)

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
                    and job.id not in self._unsaved_shown
                    and (self.now() - ended).total_seconds() > older_than):
                self._pop(job.id)
                self._locks.pop(job.id, None)

    # -- the one way a row is written (the caller holds the job's lock) -----------------------------------

    async def _write(self, job_id: str, write: Callable[[Job], Awaitable[Job | None]]) -> Job | None:
        """``write`` the current copy (it returns the stored job, or ``None`` for "nothing to write") and
        keep the result. On ``StaleJob``: let go if another replica holds the row, else reload and retry."""
        for _ in range(_STALE_RETRIES):
            job = await self._load(job_id)
            try:
                saved = await write(job)
            except StaleJob as exc:
                await self._reload_if_ours(job_id, exc)
                continue
            if saved is not None:
                self._put(saved)
                self._unsaved_shown.discard(job_id)  # the save wrote the whole in-memory copy
            return saved
        log.error("job %s: the row kept changing under %d retries; giving up this change", job_id, _STALE_RETRIES)
        raise StaleJob(job_id, self._jobs[job_id].version)

    async def _save_fields(self, job_id: str, **changes: Any) -> Job:
        """Store ``changes`` over the current copy; ``extra`` is merged into the job's, not replaced."""

        async def save(job: Job) -> Job:
            fields = dict(changes)
            if "extra" in fields:
                fields["extra"] = {**job.extra, **fields["extra"]}
            return await self.store.save(job.evolve(**fields))

        saved = await self._write(job_id, save)
        assert saved is not None
        return saved

    async def _reload_if_ours(self, job_id: str, exc: StaleJob) -> None:
        """After ``StaleJob``: raise it (having let go) when the job is gone or another replica holds its
        lease; otherwise keep the stored copy so the change can be applied again."""
        fresh = await self.store.get(job_id)
        if fresh is None or self._held_elsewhere(fresh):
            holder = "gone" if fresh is None else f"leased to {fresh.lease_owner}"
            log.warning("job %s: changed by another replica (%s); letting go of it", job_id, holder)
            self.on_lost(job_id)
            raise exc
        log.info("job %s: row moved to version %d while ours; reloaded", job_id, fresh.version)
        old = self._jobs.get(job_id)
        if old is not None and job_id in self._unsaved_shown:
            fresh = fresh.evolve(shown_state=old.shown_state)  # our own edit, not yet written
        self._put(fresh)

    def _held_elsewhere(self, job: Job) -> bool:
        return job.lease_owner is not None and job.lease_owner != self.owner

    async def _load(self, job_id: str) -> Job:
        """The in-memory job, or the stored one brought back (a late step after it was forgotten).

        A row another replica holds is not brought back: writing it would race that replica's writes.
        """
        job = self._jobs.get(job_id)
        if job is None:
            job = await self.store.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if self._held_elsewhere(job):
                raise StaleJob(job_id, job.version)
            self._put(job)
        return job

    # -- what the messages show, written behind ------------------------------------------------------------

    def _shown_later(self, job_id: str, shown: str) -> None:
        """The message now shows ``shown``: keep it in memory at once, store it with the job's next save or
        after ``SHOWN_WRITE_BEHIND`` seconds (the caller holds the job's lock)."""
        job = self._jobs.get(job_id)
        if job is None:
            return  # let go of meanwhile: the new holder shows it
        self._put(job.evolve(shown_state=shown))
        self._unsaved_shown.add(job_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(), name="wanbot-shown-states")

    async def _flush_later(self) -> None:
        await self.sleep(SHOWN_WRITE_BEHIND)
        try:
            await self.flush_shown()
        except Exception:  # the database is down: kept, and tried again in a while
            log.warning("storing %d status messages' shown states failed; retrying", len(self._unsaved_shown),
                        exc_info=True)
            self._flusher = asyncio.create_task(self._flush_later(), name="wanbot-shown-states")

    async def flush_shown(self) -> None:
        """Store every ``shown_state`` still only in memory, in one transaction (also at a clean stop)."""
        ids, self._unsaved_shown = self._unsaved_shown, set()
        items = [(job.id, job.version, job.shown_state) for job_id in ids
                 if (job := self._jobs.get(job_id)) is not None and job.shown_state is not None]
        try:
            await self.store.save_shown(items)
        except BaseException:
            self._unsaved_shown |= {job_id for job_id in ids if job_id in self._jobs}
            raise

    async def close(self, *, write: bool = True) -> None:
        """Stop writing behind, then store what is left (a clean stop: the next process edits nothing twice).
        ``write=False`` leaves it unwritten, as a crash would."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._flusher
            self._flusher = None
        if write:
            await self.flush_shown()

    def _put(self, job: Job) -> None:
        self._jobs[job.id] = job
        if job.state.in_flight:
            self._in_flight.add(job.id)
        else:
            self._in_flight.discard(job.id)
        if job.state is JobState.SUBMITTING:
            self._submitting.add(job.id)
        else:
            self._submitting.discard(job.id)

    def _pop(self, job_id: str) -> Job | None:
        self._in_flight.discard(job_id)
        self._submitting.discard(job_id)
        return self._jobs.pop(job_id, None)

    def _lock(self, job_id: str) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())


__all__ = ["STATUS_POST_STARTED", "JobBook", "PostStatus", "display_state"]
