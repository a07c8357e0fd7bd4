"""Who is asking, where, and how to answer them privately.

``Caller`` is read from a slash command or an interaction payload. ``Caller.reply`` sends an ephemeral
message with ``chat.postEphemeral``; when that is impossible (the bot is not in a private channel or a
DM) it falls back to the payload's ``response_url`` — fine for one short answer, never used for the
long-lived status message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.blocks import safe
from adapters.slack.errors import reply_for
from adapters.slack.port import PLATFORM, SlackPort
from core.errors import PlatformError
from core.jobs import Requester
from core.messages import Messages
from core.port import ConversationRef

log = logging.getLogger("wanbot.slack")

Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Caller:
    user_id: str
    channel_id: str
    team_id: str | None
    user_name: str | None = None
    respond: Respond | None = None

    @classmethod
    def from_command(cls, body: Mapping[str, Any], respond: Respond | None) -> Caller:
        return cls(str(body["user_id"]), str(body["channel_id"]), body.get("team_id"), body.get("user_name"),
                   respond)

    @classmethod
    def from_interaction(cls, body: Mapping[str, Any], respond: Respond | None, channel_id: str = "") -> Caller:
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id")
        channel = (body.get("channel") or {}).get("id") or channel_id
        return cls(str(user.get("id", "")), str(channel), team, user.get("username") or user.get("name"), respond)

    def requester(self, channel_id: str | None = None) -> Requester:
        return Requester(PLATFORM, self.user_id, channel_id or self.channel_id, self.team_id, self.user_name)

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef(PLATFORM, self.channel_id, workspace_id=self.team_id)

    async def reply(self, port: SlackPort, text: str) -> None:
        """An ephemeral answer; plain text is escaped, ``Mrkdwn`` is sent as is. Never raises."""
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
        """The one way handlers report an error: ``errors.reply_for`` → an ephemeral reply."""
        await self.reply(port, reply_for(exc, messages))
