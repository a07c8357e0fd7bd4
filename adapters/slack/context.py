"""Who is asking (a ``core.actions.Caller``), and how to answer them (``Reply``).

``caller_from_command`` and ``caller_from_interaction`` read a slash command's or an interaction's
payload into the plain facts the use cases decide on: Slack, the team, the channel it came from, the
user. On Slack a workspace admin or owner moderates every channel and may change its defaults; finding
out is a ``users.info`` call, so both permissions are the lazy ``port.is_admin(user_id)``, asked only
when the answer matters (someone acts on another person's job, or changes ``/wan defaults``).

``Reply`` holds the request's ``ack`` until it is used, because *when* to acknowledge is the handler's
decision: a command that makes a job acknowledges only once the job is stored (a kill after the 200
must not lose it), everything else at once. ``Reply.say`` answers privately: inside the acknowledgement
of a slash command when that has not been sent yet (Slack shows it to the user alone, and it reaches
private channels the bot is not in), else with ``chat.postEphemeral``, falling back to the payload's
``response_url`` when that is impossible — fine for one short answer, never used for the long-lived
status message.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.blocks import safe
from adapters.slack.errors import reply_for
from adapters.slack.port import PLATFORM, SlackPort
from adapters.slack.spend import APPROVE_BUTTONS, CONFIRM_BUTTONS, ask_blocks
from core.actions import Caller
from core.errors import PlatformError
from core.messages import Messages
from core.spend import SpendPending

log = logging.getLogger("wanbot.slack")

Respond = Callable[..., Awaitable[Any]]
Ack = Callable[..., Awaitable[Any]]


def _caller(port: SlackPort, user_id: str, channel_id: str, team_id: str | None,
            user_name: str | None) -> Caller:
    is_admin = functools.partial(port.is_admin, user_id)
    return Caller(platform=PLATFORM, workspace_id=team_id, channel_id=channel_id, user_id=user_id,
                  user_name=user_name, moderator=is_admin, channel_admin=is_admin)


def caller_from_command(body: Mapping[str, Any], port: SlackPort) -> Caller:
    return _caller(port, str(body["user_id"]), str(body["channel_id"]), body.get("team_id"),
                   body.get("user_name"))


def caller_from_mention(event: Mapping[str, Any], team_id: str | None, port: SlackPort) -> Caller:
    """A message that mentions the bot; inside a thread (``thread_ts`` other than its own ``ts``) the
    caller is in that thread, so a job it starts continues the thread's idea (``core.ideas``)."""
    caller = _caller(port, str(event.get("user") or ""), str(event.get("channel") or ""),
                     team_id or event.get("team"), None)
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        return dataclasses.replace(caller, thread_id=str(thread_ts))
    return caller
def caller_from_event(port: SlackPort, user_id: str, channel_id: str, team_id: str | None) -> Caller:
    """Issue 13: the person behind an Events API event (a reaction), where it happened."""
    return _caller(port, user_id, channel_id, team_id, None)


def caller_from_interaction(body: Mapping[str, Any], port: SlackPort, channel_id: str = "") -> Caller:
    """A click or a modal's submission; ``channel_id`` where the payload names none (a modal: the channel
    it was opened from, sealed into its metadata)."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id")
    channel = (body.get("channel") or {}).get("id") or channel_id
    return _caller(port, str(user.get("id", "")), str(channel), team, user.get("username") or user.get("name"))


@dataclass
class Reply:
    """The way back to whoever sent one command or interaction."""

    port: SlackPort
    messages: Messages
    user_id: str
    channel_id: str
    respond: Respond | None = None
    #: The request's acknowledgement, until it is sent (``acknowledge``).
    ack: Ack | None = field(default=None, repr=False)
    #: Slash commands show an acknowledgement's ``text`` to the user; interactions ignore it.
    ack_speaks: bool = False
    #: Private answers go into this thread (a mention of the bot inside an idea's thread).
    thread_id: str | None = None

    @classmethod
    def to(cls, caller: Caller, port: SlackPort, messages: Messages, *, respond: Respond | None, ack: Ack | None,
           ack_speaks: bool = False) -> Reply:
        return cls(port, messages, caller.user_id, caller.channel_id, respond, ack, ack_speaks)

    async def acknowledge(self, **answer: Any) -> None:
        """Send the acknowledgement now (once; later calls do nothing)."""
        ack, self.ack = self.ack, None
        if ack is not None:
            await ack(**answer)

    async def say(self, text: str) -> None:
        """A private answer; plain text is escaped, ``Mrkdwn`` is sent as is. Never raises."""
        if self.ack is not None and self.ack_speaks:
            await self.acknowledge(text=safe(text), response_type="ephemeral")
            return
        await self.acknowledge()
        try:
            await self.port.ephemeral(self.channel_id, self.user_id, text, thread_ts=self.thread_id)
            return
        except PlatformError as exc:
            if self.respond is None:
                log.warning("could not answer %s in %s: %s", self.user_id, self.channel_id, exc)
                return
        try:
            await self.respond(text=safe(text), response_type="ephemeral", replace_original=False)
        except Exception as exc:  # the user cannot be told anything more; the log must say it
            log.warning("could not answer %s through response_url: %r", self.user_id, exc)

    async def fail(self, exc: BaseException) -> None:
        """The one way handlers report an error: ``errors.reply_for`` → a private reply."""
        if isinstance(exc, SpendPending):  # issue 13: not an error — the price, with its buttons
            await self.ask_first(exc)
            return
        await self.say(reply_for(exc, self.messages))

    async def ask_first(self, pending: SpendPending) -> None:
        """The price with Confirm / Cancel for the requester; an approval also goes to the channel."""
        ask = pending.ask
        if ask.kind == "confirm":
            blocks = ask_blocks(pending.price, ask.id, CONFIRM_BUTTONS, self.messages)
            if self.ack is not None and self.ack_speaks:
                await self.acknowledge(text=safe(pending.price), blocks=blocks, response_type="ephemeral")
                return
            await self.acknowledge()
            try:
                await self.port.ephemeral(self.channel_id, self.user_id, pending.price, blocks=blocks,
                                          thread_ts=self.thread_id)
            except PlatformError:
                await self.say(str(pending))  # the typed form: ``confirm <id>``
            return
        await self.say(pending.price)
        text = pending.approval or pending.price
        blocks = ask_blocks(text, ask.id, APPROVE_BUTTONS, self.messages, keep_mentions=(ask.requester.user_id,))
        try:
            await self.port.post_blocks(ask.conversation, text, blocks)
        except PlatformError as exc:
            log.error("could not ask for an approval of %s in %s: %s", ask.id, self.channel_id, exc)


__all__ = ["Reply", "caller_from_command", "caller_from_interaction", "caller_from_mention"]
