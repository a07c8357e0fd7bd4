"""Who is asking, where, how to answer them, and whether they may touch a job.

``Caller`` is read from a slash command or an interaction payload. It holds the request's ``ack``
until it is used, because *when* to acknowledge is the handler's decision: a command that makes a job
acknowledges only once the job is stored (a kill after the 200 must not lose it), everything else at
once. ``Caller.reply`` answers privately: inside the acknowledgement of a slash command when that has
not been sent yet (Slack shows it to the user alone, and it reaches private channels the bot is not
in), else with ``chat.postEphemeral``, falling back to the payload's ``response_url`` when that is
impossible — fine for one short answer, never used for the long-lived status message.

``Caller.authorize`` is the adapter's side of ``core.access.authorize``: it describes the click as an
``Actor`` (Slack, the team, the channel it came from, the user; a workspace admin or owner moderates
every channel of it) and asks about ``users.info`` only when the answer matters.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.blocks import safe
from adapters.slack.errors import reply_for
from adapters.slack.port import PLATFORM, SlackPort
from core.access import MODERATED, Actor, JobAction, NotYourJob, authorize
from core.errors import PlatformError
from core.jobs import Job, Requester
from core.messages import Messages
from core.port import ConversationRef

log = logging.getLogger("wanbot.slack")

Respond = Callable[..., Awaitable[Any]]
Ack = Callable[..., Awaitable[Any]]


@dataclass
class Caller:
    user_id: str
    channel_id: str
    team_id: str | None
    user_name: str | None = None
    respond: Respond | None = None
    #: The request's acknowledgement, until it is sent (``acknowledge``).
    ack: Ack | None = field(default=None, repr=False)
    #: Slash commands show an acknowledgement's ``text`` to the user; interactions ignore it.
    ack_speaks: bool = False

    @classmethod
    def from_command(cls, body: Mapping[str, Any], respond: Respond | None, ack: Ack | None = None) -> Caller:
        return cls(str(body["user_id"]), str(body["channel_id"]), body.get("team_id"), body.get("user_name"),
                   respond, ack, ack_speaks=True)

    @classmethod
    def from_interaction(cls, body: Mapping[str, Any], respond: Respond | None, channel_id: str = "",
                         ack: Ack | None = None) -> Caller:
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id")
        channel = (body.get("channel") or {}).get("id") or channel_id
        return cls(str(user.get("id", "")), str(channel), team, user.get("username") or user.get("name"), respond,
                   ack)

    def requester(self, channel_id: str | None = None) -> Requester:
        return Requester(PLATFORM, self.user_id, channel_id or self.channel_id, self.team_id, self.user_name)

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef(PLATFORM, self.channel_id, workspace_id=self.team_id)

    # -- answering -------------------------------------------------------------------------------------

    async def acknowledge(self, **answer: Any) -> None:
        """Send the acknowledgement now (once; later calls do nothing)."""
        ack, self.ack = self.ack, None
        if ack is not None:
            await ack(**answer)

    async def reply(self, port: SlackPort, text: str) -> None:
        """A private answer; plain text is escaped, ``Mrkdwn`` is sent as is. Never raises."""
        if self.ack is not None and self.ack_speaks:
            await self.acknowledge(text=safe(text), response_type="ephemeral")
            return
        await self.acknowledge()
        try:
            await port.ephemeral(self.channel_id, self.user_id, text)
            return
        except PlatformError as exc:
            if self.respond is None:
                log.warning("could not answer %s in %s: %s", self.user_id, self.channel_id, exc)
                return
        try:
            await self.respond(text=safe(text), response_type="ephemeral", replace_original=False)
        except Exception as exc:  # the user cannot be told anything more; the log must say it
            log.warning("could not answer %s through response_url: %r", self.user_id, exc)

    async def fail(self, port: SlackPort, exc: BaseException, messages: Messages) -> None:
        """The one way handlers report an error: ``errors.reply_for`` → a private reply."""
        await self.reply(port, reply_for(exc, messages))

    # -- may they? ---------------------------------------------------------------------------------------

    def actor(self, *, moderator: bool = False, channel_id: str | None = None) -> Actor:
        return Actor(PLATFORM, self.team_id, channel_id or self.channel_id, self.user_id, moderator=moderator)

    async def authorize(self, port: SlackPort, job: Job | None, action: JobAction, messages: Messages, *,
                        job_id: str, channel_id: str | None = None) -> Job:
        """``core.access.authorize`` for this caller; raises ``ActionRefused``.

        ``channel_id`` replaces where the click came from when the payload has none (a modal's submission:
        the channel the modal was opened from, sealed into it). Workspace admins and owners moderate every
        channel; ``users.info`` is asked only when someone acts on another person's job, where it matters."""
        try:
            return authorize(job, self.actor(channel_id=channel_id), action, messages, job_id=job_id)
        except NotYourJob:
            if action not in MODERATED:
                raise
            if not await port.is_admin(self.user_id):
                raise
        return authorize(job, self.actor(moderator=True, channel_id=channel_id), action, messages, job_id=job_id)
