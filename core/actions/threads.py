"""Where a new job is posted and what it was made from: the thread-per-idea rules (``core.ideas``).

* a new job typed in a channel (not in a thread) is an idea: it asks the engine to open its thread once
  its status message is posted — when the channel's ``threads`` setting is on (the default);
* a job made from another (re-roll, remix, 1080P, animate) goes into that job's idea's thread when it has
  one (else where the other job is, as before) and names its parent — whatever the setting says now: an
  idea's thread stays its thread;
* a ``/wan`` typed inside an idea's thread continues that idea: it is posted in the thread, its parent
  the idea's root job; inside a thread wanbot did not open it is posted there, no lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.actions.caller import Caller
from core.actions.face import EngineFace
from core.actions.results import Origin
from core.ideas import IDEA, ORIGIN, PARENT, THREAD_NAME, lineage, thread_name, thread_of
from core.jobs import Job
from core.messages import Messages
from core.port import ConversationRef
from core.request import AnyRequest


@dataclass(frozen=True)
class Placement:
    """Where the job's status message goes, and the ``Job.extra`` that records its idea."""

    conversation: ConversationRef
    extra: dict[str, Any] = field(default_factory=dict)


async def threads_on(engine: EngineFace, caller: Caller) -> bool:
    settings = await engine.channel_settings(caller.platform, caller.workspace_id, caller.channel_id)
    return bool(settings.get("threads", True))


async def place(engine: EngineFace, messages: Messages, caller: Caller, request: AnyRequest, origin: Origin,
                parent: Job | None) -> Placement:
    """Where a job ``caller`` starts lives (see the module docstring)."""
    if parent is not None:
        # A job made from another lives where that one's idea does (its thread included).
        return Placement(thread_of(parent) or parent.conversation, lineage(parent, origin.value))
    if caller.thread_id is not None:
        root = await engine.idea_root(caller.platform, caller.workspace_id, caller.channel_id, caller.thread_id)
        if root is None:
            return Placement(caller.conversation)
        return Placement(caller.conversation, {PARENT: root.id, IDEA: root.id, ORIGIN: "continue"})
    if not await threads_on(engine, caller):
        return Placement(caller.conversation)
    return Placement(caller.conversation, {THREAD_NAME: thread_name(request.prompt, messages)})


__all__ = ["Placement", "place", "threads_on"]
