"""``/wan history [@user] [text]`` as typed (Slack, the console): who to look for, and the words.

A person is named by a mention as the platform writes it in a slash command's text — Slack's
``<@U123>`` or ``<@U123|name>`` (escaped mentions), Discord's ``<@123>`` / ``<@!123>`` — and only as the
first word; every other word is the text to look for in prompts. A plain ``@name`` as the first word
(what Slack sends when the command does not escape mentions, as this app's manifest has it) names the
person by the user name their jobs were made under. A second mention is refused with one sentence rather
than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidRequest
from core.messages import Messages

_say = Messages()

#: ``<@U123>``, ``<@U123|name>``, ``<@W123>`` (Slack), ``<@123>``, ``<@!123>`` (Discord).
MENTION = re.compile(r"<@!?([A-Z0-9]+)(?:\|[^>]*)?>", re.IGNORECASE)
#: ``@alice``, ``@a.lee``: a user name, unescaped.
NAMED = re.compile(r"@([\w.\-]{1,80})")


@dataclass(frozen=True)
class HistoryCommand:
    user_id: str | None = None
    text: str | None = None
    user_name: str | None = None


def parse_history(words: list[str]) -> HistoryCommand:
    user_id: str | None = None
    user_name: str | None = None
    if words and (match := MENTION.fullmatch(words[0])):
        user_id = match.group(1)
        words = words[1:]
    elif words and (named := NAMED.fullmatch(words[0])):
        user_name = named.group(1)
        words = words[1:]
    if any(MENTION.search(word) for word in words):
        raise InvalidRequest(_say("history.bad_user"), field="user")
    text = " ".join(words).strip()
    return HistoryCommand(user_id, text or None, user_name)
