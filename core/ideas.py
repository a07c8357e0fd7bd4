"""Ideas and their threads: where a job's messages go, and what it was made from (issue 13, item 1).

An **idea** is a job typed in a channel (not in a thread): ``/wan video|image|animate|storyboard``. Once
its status message is posted, the engine opens the idea's thread on it (``ChatPort.open_thread``: a
Discord thread started on the status message; on Slack the status message's ``ts`` is the thread) and
the delivered result goes into that thread, while the status message in the channel stays the idea's
one summary, edited in place. Jobs made from a job of the idea (re-roll, remix, 1080P, animate, and
``/wan …`` typed inside the thread) post their status message *in* the thread and name their parent.

What is stored, all in ``Job.extra`` (no table; a restart reads it back):

* ``thread_name`` — on a new idea while its thread is still to be opened (the short prompt);
* ``thread`` — on the idea's root job, the serialised ``ConversationRef`` of its thread, once opened;
  ``thread_id`` — the same thread's id, flat, so ``IdeaFinder`` can find the idea a thread belongs to;
  ``thread_refused`` — the platform would not open one (no permission, a DM): replies in the channel;
* ``parent`` — the job this one was made from; ``idea`` — the idea's root job; ``origin`` — how it was
  made from its parent ("reroll", "remix", "upscale", "animate", "continue": typed in the thread).

Every job posted inside a thread has that thread in ``Job.conversation.thread_id``; the root job's
conversation stays the channel (its status message is there) and ``in_its_thread`` points its delivery
at the thread. A typed ``/wan`` in a thread continues the idea with the root job as its parent: the
root is the one job every message of the thread is about, whatever was re-rolled since.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from core.errors import PlatformError
from core.jobs import Job
from core.messages import Messages, shorten
from core.port import ChatPort, ConversationRef, MessageRef, StatusField

if TYPE_CHECKING:
    from core.jobbook import JobBook
    from core.store import JobStore

log = logging.getLogger("wanbot.ideas")

#: ``Job.extra`` keys (see the module docstring).
THREAD_NAME = "thread_name"
THREAD = "thread"
THREAD_ID = "thread_id"
THREAD_REFUSED = "thread_refused"
PARENT = "parent"
IDEA = "idea"
ORIGIN = "origin"
#: Variants (``core.variants``): the batch's group id, this job's index (0-based), what varies ("seed" or
#: "ratio"), and the label its status shows ("Variant 2 · seed 1234").
GROUP = "group"
VARIANT = "variant"
VARIANTS_OF = "variants_of"
VARIANT_LABEL = "variant_label"

#: Discord's limit on a thread's name.
MAX_THREAD_NAME = 100

#: How a job came from its parent → the message key of its lineage line ("Re-roll of #abc123").
LINEAGE_KEYS = {"reroll": "lineage.reroll", "remix": "lineage.remix", "upscale": "lineage.upscale",
                "animate": "lineage.animate", "continue": "lineage.continue"}


def thread_name(prompt: str, messages: Messages) -> str:
    """The thread's name: the short prompt (an untitled animation gets a name all the same)."""
    name = shorten(" ".join(prompt.split()), MAX_THREAD_NAME)
    return name or messages("lineage.untitled")


def thread_of(job: Job) -> ConversationRef | None:
    """Where ``job``'s idea lives: the thread a root job opened, or the thread a job was posted in."""
    stored = job.extra.get(THREAD)
    if isinstance(stored, dict):
        return ConversationRef.from_dict(stored)
    if job.conversation.thread_id is not None:
        return job.conversation
    return None


def idea_of(job: Job) -> str:
    """The id of the idea ``job`` belongs to (its own when it is the root)."""
    return str(job.extra.get(IDEA) or job.id)


def lineage(parent: Job, origin: str) -> dict[str, Any]:
    """The extras of a job made from ``parent`` (``origin``: a key of ``LINEAGE_KEYS``)."""
    return {PARENT: parent.id, IDEA: idea_of(parent), ORIGIN: origin}


def lineage_line(job: Job, messages: Messages) -> str | None:
    """"Re-roll of #abc123" for a job made from another, else ``None``."""
    parent = job.extra.get(PARENT)
    key = LINEAGE_KEYS.get(str(job.extra.get(ORIGIN)))
    if not parent or key is None:
        return None
    return messages(key, parent=parent)


def idea_fields(job: Job, messages: Messages) -> list[StatusField]:
    """The status fields of a job's place in its idea: its lineage, and which variant it is."""
    fields: list[StatusField] = []
    line = lineage_line(job, messages)
    if line is not None:
        fields.append(StatusField(messages("field.lineage"), line))
    label = job.extra.get(VARIANT_LABEL)
    if label:
        fields.append(StatusField(messages("field.variant"), str(label)))
    return fields


def in_its_thread(job: Job) -> Job:
    """The copy of ``job`` a delivery works on: a root job whose thread is open delivers into the thread.

    Not a reply to the status message there (that message is in the channel, and a Discord reply must be
    in the same channel; on Slack the thread *is* that message): the thread's first message is the
    status already. Every other job is delivered where it is, as a reply to its status message."""
    stored = job.extra.get(THREAD)
    if not isinstance(stored, dict) or job.conversation.thread_id is not None:
        return job
    return job.evolve(conversation=ConversationRef.from_dict(stored), status_ref=None)


async def open_thread(port: ChatPort, status: MessageRef, name: str, *, job_id: str) -> ConversationRef | None:
    """The idea's thread, or ``None`` when the platform has none here or refuses (logged once per job:
    the job goes on, its result as a reply in the channel). A retryable failure is raised: try later."""
    try:
        thread = await port.open_thread(status, name)
    except PlatformError as exc:
        if exc.retryable:
            raise
        log.warning("job %s: could not open a thread (%s); replying in the channel", job_id, exc.code)
        return None
    if thread is None:
        log.info("job %s: no threads here; replying in the channel", job_id)
    return thread


class ThreadWaits:
    """Variants after the first wait for the first one's thread (opened once its status is posted) before
    their own status messages are posted, so those go into it (``join_group_thread``)."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def expect(self, job_id: str) -> None:
        """Variants will wait for ``job_id``'s thread (called before its first post can happen)."""
        self._events.setdefault(job_id, asyncio.Event())

    def settled(self, job_id: str) -> None:
        """``job_id``'s thread is open, refused or not to be (waiters go on either way)."""
        event = self._events.get(job_id)
        if event is not None:
            event.set()

    async def wait(self, job_id: str) -> None:
        event = self._events.get(job_id)
        if event is not None:
            await event.wait()

    def forget(self, job_id: str) -> None:
        self._events.pop(job_id, None)


async def open_idea_thread(book: JobBook, job_id: str, waits: ThreadWaits | None = None) -> None:
    """Open a new idea's thread once its status message is posted, and store where it is (the engine calls
    this after the first post, and again on resume: a restart between the post and the thread opens it
    then). A job not waiting for a thread, or whose message is not posted yet, is left alone. Whatever
    happens, ``waits`` hears that it is settled (its variants then post their status)."""
    try:
        job = book.peek(job_id)
        if job is None or not job.extra.get(THREAD_NAME) or THREAD in job.extra or job.extra.get(THREAD_REFUSED):
            return
        if job.status_ref is None:
            return  # not posted (yet): housekeeping posts it, the next resume opens the thread
        thread = await open_thread(book.port(job), job.status_ref, str(job.extra[THREAD_NAME]), job_id=job_id)
        if thread is None:
            await book.update(job_id, extra={THREAD_REFUSED: True})
        else:
            await book.update(job_id, extra={THREAD: thread.to_dict(), THREAD_ID: thread.thread_id})
    finally:
        if waits is not None:
            waits.settled(job_id)


async def join_group_thread(book: JobBook, store: JobStore, job_id: str, waits: ThreadWaits | None) -> None:
    """A variant after the first, not posted yet, moves into the first variant's thread (with ``waits``:
    once that is settled). On resume (no ``waits``) the first's stored thread is used, if any."""
    job = book.peek(job_id)
    group = str(job.extra.get(GROUP) or "") if job is not None else ""
    if job is None or not group or group == job.id or job.status_ref is not None:
        return
    if waits is not None:
        await waits.wait(group)
    root = book.peek(group) or await store.get(group)
    thread = thread_of(root) if root is not None else None
    if thread is not None and job.conversation != thread:
        await book.update(job_id, conversation=thread)


__all__ = [
    "GROUP", "IDEA", "LINEAGE_KEYS", "ORIGIN", "PARENT", "THREAD", "THREAD_ID", "THREAD_NAME", "THREAD_REFUSED",
    "VARIANT", "VARIANTS_OF", "VARIANT_LABEL", "idea_fields", "idea_of", "in_its_thread", "lineage", "lineage_line",
    "ThreadWaits", "join_group_thread", "open_idea_thread", "open_thread", "thread_name", "thread_of",
]
