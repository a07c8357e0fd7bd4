"""Votes and winners, the words (issue 13): which emoji is a vote, and ``/wan top`` / ``/wan promote`` typed.

An emoji reaches the core as the platform names it — Discord the character itself (``👍``, maybe with a
skin tone), or a custom emoji's name; Slack its short name (``+1``, ``thumbsup``, ``+1::skin-tone-3``).
``emoji_key`` turns any of those into one comparable key: skin tones and the emoji variation selector
dropped, the Slack names of common emoji mapped to their character. A channel's ``vote_emoji`` is stored
as such a key (``parse_emoji``), so ``👍``, ``:+1:`` and ``thumbsup`` are one setting.

``top [today|week|all]`` (default ``week``) and ``promote <job>`` are read here for every text surface
(Slack, the console); Discord builds the same commands from its options and buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.errors import InvalidRequest
from core.messages import Messages
from core.text import refuse_forbidden, strip_invisible

#: The vote emoji unless a deployment (``WANBOT_VOTE_EMOJI``) or a channel (``vote_emoji``) says otherwise.
DEFAULT_VOTE_EMOJI = "👍"
#: An approver's ✅ on a pending approval approves it (``core.actions.votes``).
APPROVE_EMOJI = "✅"

#: Slack's short names of emoji people vote with → the character (Discord sends the character).
_SLACK_NAMES = {
    "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "white_check_mark": "✅", "heavy_check_mark": "✔",
    "heart": "❤", "fire": "🔥", "star": "⭐", "star2": "🌟", "tada": "🎉", "clap": "👏", "100": "💯",
    "heart_eyes": "😍", "trophy": "🏆", "rocket": "🚀", "sparkles": "✨", "raised_hands": "🙌", "ok_hand": "👌",
}
#: Skin tones (U+1F3FB–U+1F3FF) and the emoji presentation selector (U+FE0F).
_MODIFIERS = re.compile("[\U0001F3FB-\U0001F3FF\uFE0F]")
_SLACK_TONE = re.compile(r"::skin-tone-\d$")

Window = Literal["today", "week", "all"]
WINDOWS: tuple[Window, ...] = ("today", "week", "all")

_say = Messages()


def emoji_key(name: str) -> str:
    """One key for an emoji however a platform spells it: ``👍🏽`` / ``+1::skin-tone-4`` / ``:thumbsup:`` → ``👍``."""
    text = _SLACK_TONE.sub("", name.strip())
    if len(text) > 2 and text.startswith(":") and text.endswith(":"):
        text = text[1:-1]
    text = _SLACK_NAMES.get(text.lower(), text)
    return _MODIFIERS.sub("", text)


def parse_emoji(text: str) -> str:
    """A ``vote_emoji`` as typed (``👍``, ``:fire:``, ``partyparrot``, a Discord ``<:name:id>``) → its key, or
    ``off`` (reactions are not votes in this channel)."""
    word = text.strip()
    if word.lower() in ("off", "none", "no"):
        return "off"
    custom = re.fullmatch(r"<a?:(\w+):\d+>", word)
    if custom:
        word = custom.group(1)
    if not word or any(ch.isspace() for ch in word) or len(word) > 64:
        raise ValueError(_say("settings.expect.emoji"))
    return emoji_key(word)


def window_start(window: Window, now: datetime) -> datetime | None:
    """When ``window`` began: ``today`` at 00:00 UTC, ``week`` seven days ago, ``all`` never (``None``)."""
    if window == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "week":
        return now - timedelta(days=7)
    return None


@dataclass(frozen=True)
class TopCommand:
    """``/wan top [today|week|all]``."""

    window: Window = "week"


@dataclass(frozen=True)
class PromoteCommand:
    """``/wan promote <job>``: the top list's **Promote**, typed."""

    job_id: str


def parse_window(text: str | None) -> Window:
    word = (text or "week").strip().lower()
    for window in WINDOWS:
        if word == window:
            return window
    raise InvalidRequest(_say("top.bad_window", word=repr(word[:20])), field="window")


def is_votes_command(words: list[str]) -> bool:
    """``words`` read as ``top [window]`` or ``promote <job>`` (the console tells them from a bare prompt
    such as "top of the hill at dawn" with this)."""
    if not words or words[0].lower() not in ("top", "promote"):
        return False
    if words[0].lower() == "top":
        return len(words) == 1 or (len(words) == 2 and words[1].lower() in WINDOWS)
    return len(words) == 2


def parse_votes_command(verb: str, rest: list[str]) -> TopCommand | PromoteCommand | None:
    """The command for ``verb`` when it is one of these (``None``: not ours)."""
    if verb == "top":
        if len(rest) > 1:
            raise InvalidRequest(_say("top.one_word"), field="window")
        return TopCommand(parse_window(rest[0] if rest else None))
    if verb == "promote":
        if len(rest) != 1:
            raise InvalidRequest(_say("promote.one_id"), field="job")
        job_id = strip_invisible(rest[0]).lower()
        refuse_forbidden(job_id, what=_say("input.what.job_id"), field="job")
        return PromoteCommand(job_id)
    return None


__all__ = ["APPROVE_EMOJI", "DEFAULT_VOTE_EMOJI", "WINDOWS", "PromoteCommand", "TopCommand", "Window", "emoji_key",
           "is_votes_command", "parse_emoji", "parse_votes_command", "parse_window", "window_start"]
