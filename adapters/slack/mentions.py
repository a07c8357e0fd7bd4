"""``@wanbot <command>``: a mention of the bot runs the ``/wan`` command line that follows it.

Slack sends no thread with a slash command (its payload has no ``thread_ts``), so ``/wan`` typed inside an
idea's thread cannot know it is there. A mention can: the ``app_mention`` event carries the message's
``thread_ts``, so ``@wanbot video the same, at night`` inside a thread continues that idea (its status and
result go into the thread and name the idea's root, ``core.ideas``). In a channel it starts a new idea,
exactly as ``/wan video`` would. The words after the mention are the same command line ``/wan`` takes —
a verb first (``video``, ``image``, ``history`` …), so a stray mention is never a billed video — run by
``SlashCommand.run_text``; answers are private (``chat.postEphemeral`` in the thread).

Events are acknowledged by bolt before the listener runs, but Slack retries an event it thinks was not
answered in 3 s (``X-Slack-Retry-Num``, the same ``event_id``). A retry must not start a second job, so the
event ids handled by this process are remembered (``SEEN``, bounded); a retry after a restart could
run again, which is why the command path asks first for anything costly (``core.spend``).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from adapters.slack.commands import SlashCommand
from adapters.slack.context import Reply, caller_from_mention
from adapters.slack.port import SlackPort
from core.messages import Messages

log = logging.getLogger("wanbot.slack")

#: How many event ids are remembered against Slack's retries (they come within minutes).
SEEN = 2048
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def command_text(text: str, bot_user_id: str | None) -> str:
    """The command line after the bot's mention: ``<@UBOT> video a fox`` → ``video a fox``. Without the
    bot's id (no ``authorizations`` in the event), the first mention is taken to be the bot's."""
    for match in _MENTION.finditer(text):
        if bot_user_id is None or match.group(1) == bot_user_id:
            return (text[:match.start()].rstrip() + " " + text[match.end():].lstrip()).strip()
    return text.strip()


class Mentions:
    """Handles ``app_mention`` events."""

    def __init__(self, command: SlashCommand, port: SlackPort, messages: Messages) -> None:
        self.command = command
        self.port = port
        self.messages = messages
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def on_mention(self, body: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        event_id = str(body.get("event_id") or "")
        if event_id:
            if event_id in self._seen:
                log.info("mention event %s again (a Slack retry): already handled", event_id)
                return
            self._seen[event_id] = None
            while len(self._seen) > SEEN:
                self._seen.popitem(last=False)
        if event.get("bot_id") or not event.get("user"):
            return  # another bot, or a message without a person behind it
        caller = caller_from_mention(event, body.get("team_id"), self.port)
        reply = Reply.to(caller, self.port, self.messages, respond=None, ack=None)
        reply.thread_id = caller.thread_id
        bots = [a.get("user_id") for a in body.get("authorizations") or () if isinstance(a, dict) and a.get("is_bot")]
        text = command_text(str(event.get("text") or ""), str(bots[0]) if bots and bots[0] else None)
        await self.command.run_text(caller, text, reply, trigger_id=None)


__all__ = ["SEEN", "Mentions", "command_text"]
