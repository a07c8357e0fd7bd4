"""Jobs: one user request for one video or one set of images, from the chat command to the delivered files.

A ``Job`` is a plain record the store persists and every engine part reads; it carries everything a
fresh process needs to resume it (the validated request, the DashScope task id, where its status message
lives). ``JobState`` is its lifecycle; user-visible states each get exactly one status edit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.port import ConversationRef, MessageRef, Person
from core.request import AnyRequest


class JobState(StrEnum):
    """Where a job is. The string values are stored; never rename one."""

    #: Waiting in wanbot's own fair queue for a DashScope slot.
    QUEUED = "QUEUED"
    #: The create request is being sent; a crash here is reconciled via the list endpoint, not resent.
    SUBMITTING = "SUBMITTING"
    #: DashScope accepted the task and has not started it.
    PENDING = "PENDING"
    #: DashScope is generating.
    RUNNING = "RUNNING"
    #: The video exists at a signed URL; wanbot is downloading and uploading it.
    SUCCEEDED = "SUCCEEDED"
    #: The video (or, when it could not fit, its link) is in the channel. Terminal.
    DELIVERED = "DELIVERED"
    #: DashScope or wanbot could not produce the video; ``error_code`` says why. Terminal.
    FAILED = "FAILED"
    #: Cancelled by the requester before generation started. Terminal.
    CANCELED = "CANCELED"
    #: The video URL expired before it could be delivered. Terminal.
    EXPIRED = "EXPIRED"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def in_flight(self) -> bool:
        """Holds one of the account's DashScope in-flight slots."""
        return self in (JobState.SUBMITTING, JobState.PENDING, JobState.RUNNING)

    @property
    def visible(self) -> bool:
        """Shown to the user as its own status (SUBMITTING is an internal step of QUEUED → PENDING)."""
        return self is not JobState.SUBMITTING


#: ``Job.extra`` key: the media-stash refs of a delivered image job's images, in order (what Animate starts
#: from once DashScope's 24 h links are gone; ``core.deliveries`` writes it).
RESULT_MEDIA = "result_media"
#: ``Job.extra`` key: the rewritten prompt Wan rendered (DashScope's ``actual_prompt``), kept only when prompt
#: extension changed the prompt. In ``extra`` (a JSON column every job has), not a column of its own: it is
#: shown and remixed from, never queried, and old databases need no migration to open.
WAN_PROMPT = "wan_prompt"


def rewritten(sent: str, rendered: str | None) -> str | None:
    """``rendered`` when it is a real rewrite of ``sent`` (not the same words re-spaced), else None."""
    if not rendered or " ".join(rendered.split()) == " ".join(sent.split()):
        return None
    return rendered


_TERMINAL = frozenset({JobState.DELIVERED, JobState.FAILED, JobState.CANCELED, JobState.EXPIRED})


class CancelOutcome(StrEnum):
    """What ``Engine.cancel`` did."""

    CANCELLED = "cancelled"
    #: DashScope is generating (or has finished generating): it cannot be stopped any more.
    TOO_LATE = "too_late"
    FINISHED = "finished"


def new_job_id() -> str:
    """Eight lower-case characters: short enough to type in ``/wan cancel abcd1234``."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


@dataclass(frozen=True)
class Requester:
    """Who asked, and where: what per-user caps, budgets and permission checks key on."""

    platform: str
    user_id: str
    channel_id: str
    workspace_id: str | None = None
    user_name: str | None = None

    @property
    def user_key(self) -> str:
        return f"{self.platform}:{self.workspace_id or '-'}:{self.user_id}"

    @property
    def person(self) -> Person:
        """Issue 14: who asked, as a status message and a delivered result name them."""
        return Person(self.user_id, self.user_name)


@dataclass(frozen=True)
class Job:
    """One video or image job. Immutable: the engine derives a changed copy with ``evolve`` and stores it."""

    id: str
    requester: Requester
    conversation: ConversationRef
    #: A video (``GenerationRequest``) or an image (``ImageRequest``) job, told apart by ``request.kind``.
    request: AnyRequest
    state: JobState
    created_at: datetime
    #: When the job entered each state it has been in (first entry wins).
    state_times: dict[str, datetime] = field(default_factory=dict)
    task_id: str | None = None
    submit_started_at: datetime | None = None
    status_ref: MessageRef | None = None
    video_url: str | None = None
    #: When the result links (``video_url`` or ``image_urls``) stop working.
    video_expires_at: datetime | None = None
    #: The signed links of a finished image job's images, in the order DashScope returned them.
    image_urls: tuple[str, ...] = ()
    delivered_ref: MessageRef | None = None
    delivery_note: str | None = None
    billed_seconds: float | None = None
    cost: Decimal | None = None
    #: The estimate held against budgets while the job is not yet billed.
    reserved_seconds: float | None = None
    reserved_cost: Decimal | None = None
    #: The replica that watches and delivers this job, and until when (renewed while it lives).
    lease_owner: str | None = None
    lease_until: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    #: State of the last successful status edit: an edit is due when it differs from ``state``.
    shown_state: str | None = None
    updated_at: datetime | None = None
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def evolve(self, **changes: Any) -> Job:
        return replace(self, **changes)

    def moved_to(self, state: JobState, now: datetime, **changes: Any) -> Job:
        """This job in ``state`` at ``now``, with the state's timestamp recorded."""
        times = dict(self.state_times)
        times.setdefault(state.value, now)
        return replace(self, state=state, state_times=times, updated_at=now, **changes)

    @property
    def wan_prompt(self) -> str | None:
        """The prompt Wan actually rendered when prompt extension rewrote this job's prompt."""
        value = self.extra.get(WAN_PROMPT)
        return value if isinstance(value, str) and value else None

    @property
    def is_image(self) -> bool:
        return self.request.kind == "image"

    def entered(self, state: JobState) -> datetime | None:
        return self.state_times.get(state.value)

    def elapsed(self, now: datetime) -> float:
        """Seconds since the request, frozen once the job is terminal."""
        end = now
        if self.state.terminal:
            end = self.entered(self.state) or now
        return max(0.0, (end - self.created_at).total_seconds())
