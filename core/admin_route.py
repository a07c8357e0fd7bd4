"""Issue 13: what only the operator can fix goes to the admins, not to whoever happened to ask.

``AdminRoutes`` knows each platform's admin channel (``DISCORD_ADMIN_CHANNEL`` / ``SLACK_ADMIN_CHANNEL``)
and posts there through ``ChatPort.notify``; with none configured (and always in the console) the notice
is logged at ERROR (stderr). ``operator_error`` is the engine's hook for a create DashScope refused with
an operator's code (``OPERATOR_CODES``: the account is out of money, the key or its access is wrong): the
admins get the job id, the code, DashScope's request id and words, once per code per ``INCIDENT_WINDOW``
(stored: a restart does not repeat it, and a burst of jobs is one incident); the requester's status shows
``error.operator``'s neutral sentence instead (``core.messages`` maps these codes to it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from core.errors import DashScopeError, PlatformError
from core.jobs import Job
from core.messages import Messages
from core.port import ChatPort, ConversationRef
from core.store.spend import SpendAsks

log = logging.getLogger("wanbot.admin")

#: DashScope codes only the operator can fix (``core.errors.KNOWN_CODES``).
OPERATOR_CODES = frozenset({"Arrearage", "InvalidApiKey", "AccessDenied", "AccessDenied.Unpurchased",
                            "Model.AccessDenied", "Workspace.AccessDenied"})
#: One notice per code per this many seconds (a burst of failing jobs is one incident).
INCIDENT_WINDOW = 600.0


class AdminRoutes:
    def __init__(self, ports: Mapping[str, ChatPort], channels: Mapping[str, ConversationRef], notes: SpendAsks,
                 messages: Messages, *, now: Callable[[], datetime]) -> None:
        self.ports = ports
        #: platform → its admin channel.
        self.channels = dict(channels)
        self.notes = notes
        # Channel-wide, not one person's answer: in the deployment's language (``core.locale``).
        self.messages = Messages(messages.locale, pinned=True)
        self.now = now

    async def tell(self, platform: str, text: str) -> None:
        """Post ``text`` in ``platform``'s admin channel; logged at ERROR when there is none (or it fails)."""
        channel = self.channels.get(platform)
        port = self.ports.get(platform)
        if channel is None or port is None:
            log.error("for the admins (no admin channel for %s): %s", platform, text)
            return
        try:
            await port.notify(channel, text)
        except PlatformError as exc:
            log.error("could not tell the admins in %s (%s): %s", channel.channel_id, exc, text)

    async def operator_error(self, job: Job, exc: DashScopeError) -> None:
        """The engine's hook for a refused create: an operator's code is told to the admins, once per window."""
        if exc.code not in OPERATOR_CODES:
            return
        window = int(self.now().timestamp() // INCIDENT_WINDOW)
        if not await self.notes.note_once(f"incident:{exc.code}:{window}", now=self.now()):
            log.warning("job %s: %s again (the admins were told of this incident)", job.id, exc.code)
            return
        text = self.messages("admin.incident", code=exc.code, job_id=job.id, request_id=exc.request_id or "-",
                             detail=exc.message)
        await self.tell(job.conversation.platform, text)


__all__ = ["INCIDENT_WINDOW", "OPERATOR_CODES", "AdminRoutes"]
