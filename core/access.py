"""Who may act on a job: the one check every adapter calls before a button, modal or command touches one.

A job id travels in buttons, modals and typed commands, and anyone can forge a payload carrying any id.
So before acting, an adapter describes the click as an ``Actor`` — platform, workspace, the channel the
click came from, the user, and whether that user moderates *that* channel (the adapter reads its own
platform's permissions) — and calls ``authorize``. The rules, the same on every platform:

* a job is only visible from its own platform and workspace, and from its own channel (a thread counts
  as its channel: the adapter passes the parent's id). Outside that it does not exist — the answer is
  "not found", so a forged id learns nothing, not even that the job exists;
* ``status`` is open to anyone in the job's channel, and to its owner anywhere in the workspace;
* ``cancel`` and ``delete`` need the owner or a moderator of the job's channel;
* ``reroll``, ``upscale`` and ``remix`` start a new billed job from the old one's prompt: the owner only.

``authorize`` raises ``ActionRefused`` (a ``WanbotError`` whose ``message`` is the sentence to show), so
each adapter's single error-reply path shows it like any other refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import WanbotError
from core.jobs import Job
from core.messages import Messages


class JobAction(StrEnum):
    STATUS = "status"
    CANCEL = "cancel"
    DELETE = "delete"
    REROLL = "reroll"
    UPSCALE = "upscale"
    REMIX = "remix"


#: Actions a moderator of the job's channel may take on someone else's job.
MODERATED = frozenset({JobAction.CANCEL, JobAction.DELETE})


@dataclass(frozen=True)
class Actor:
    """Who clicked (or typed), and where. ``channel_id`` is where the click came from (a thread's
    parent channel for a thread); ``moderator`` means "moderates that channel" on this platform."""

    platform: str
    workspace_id: str | None
    channel_id: str | None
    user_id: str
    moderator: bool = False


class ActionRefused(WanbotError):
    """The actor may not do that to that job; ``message`` says so in one sentence."""

    default_code = "ActionRefused"


class JobNotFound(ActionRefused):
    """No such job here: the id matched nothing, or a job of another platform, workspace or channel."""

    default_code = "NotFound"


class NotYourJob(ActionRefused):
    """The job is someone else's and the actor does not moderate its channel (or the action is owner-only)."""

    default_code = "NotYours"


def authorize(job: Job | None, actor: Actor, action: JobAction | str, messages: Messages, *,
              job_id: str | None = None) -> Job:
    """Return ``job`` if ``actor`` may take ``action`` on it, else raise ``ActionRefused``.

    ``job`` may be ``None`` (the id matched nothing): that gets the same "not found" as a job elsewhere.
    """
    action = JobAction(action)
    shown_id = job.id if job is not None else (job_id or "?")
    not_found = JobNotFound(messages("job.not_found", job_id=shown_id))
    if job is None or not _same_place(job, actor, action):
        raise not_found
    if action is JobAction.STATUS:
        return job
    if job.requester.user_id == actor.user_id:
        return job
    if action in MODERATED and actor.moderator:
        return job
    raise NotYourJob(messages("action.not_yours"))


def _same_place(job: Job, actor: Actor, action: JobAction) -> bool:
    conversation = job.conversation
    if conversation.platform != actor.platform or job.requester.platform != actor.platform:
        return False
    if conversation.workspace_id != actor.workspace_id:
        return False
    if conversation.channel_id == actor.channel_id:
        return True
    # Status by its owner from anywhere in the workspace: they asked for it, nothing leaks.
    return action is JobAction.STATUS and job.requester.user_id == actor.user_id


__all__ = ["MODERATED", "ActionRefused", "Actor", "JobAction", "JobNotFound", "NotYourJob", "authorize"]
