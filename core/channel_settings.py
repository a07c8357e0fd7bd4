"""The per-channel settings a channel admin can change with ``/wan settings``: their names, types, defaults.

One registry (``SETTINGS``) so every surface lists, parses and explains the same settings; the values are
stored by ``core.store.settings``. A setting changes how wanbot behaves in a channel (open a thread per
idea, ask before spending over a price …); it is never a request field (those are ``/wan defaults``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidRequest
from core.messages import Messages
from core.votes import DEFAULT_VOTE_EMOJI, parse_emoji

_TRUE = frozenset({"on", "true", "yes", "1"})
_FALSE = frozenset({"off", "false", "no", "0"})

_say = Messages()


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(_say("settings.expect.on_off"))


def parse_yuan_or_off(text: str) -> str:
    """``15``, ``¥15``, ``15.50 cny`` → ``"15.50"``-style text (kept exact in JSON); ``off`` → ``"off"``."""
    word = text.strip().lower().removeprefix("¥").removesuffix("cny").removesuffix("yuan").strip()
    if word in _FALSE or word == "none":
        return "off"
    try:
        amount = Decimal(word)
    except InvalidOperation:
        raise ValueError(_say("settings.expect.yuan")) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_say("settings.expect.yuan"))
    return f"{amount.normalize():f}"


def threshold(value: Any) -> Decimal | None:
    """A stored ``confirm_over`` / ``approve_over`` as an amount (``None``: off)."""
    if value is None or str(value) == "off":
        return None
    return Decimal(str(value))


_ID = re.compile(r"^<?[@#]?[&!]?([A-Za-z0-9_]+)(?:\|[^>]*)?>?$")


def parse_ids(text: str) -> list[str]:
    """Who approves: ``<@&123>`` (a Discord role mention), ``123``, ``U1, U2`` (Slack user ids); ``admins``
    or empty → ``[]`` (the channel's admins)."""
    words = [w for w in re.split(r"[\s,]+", text.strip()) if w]
    if not words or [w.lower() for w in words] in (["admins"], ["off"], ["none"]):
        return []
    ids = []
    for word in words:
        match = _ID.match(word)
        if match is None:
            raise ValueError(_say("settings.expect.ids"))
        ids.append(match.group(1))
    return ids


@dataclass(frozen=True)
class Setting:
    name: str
    #: Typed text → stored value; raises ``ValueError`` whose message says what is expected ("on or off").
    parse: Callable[[str], Any]
    default: Any
    #: ``core.messages`` key of its one-line explanation.
    help_key: str


SETTINGS: dict[str, Setting] = {
    "threads": Setting("threads", parse_bool, True, "setting.threads"),
    # -- issue 13: spend that asks first (core.spend) --
    "confirm_over": Setting("confirm_over", parse_yuan_or_off, "10", "setting.confirm_over"),
    "approve_over": Setting("approve_over", parse_yuan_or_off, "off", "setting.approve_over"),
    "approver_role": Setting("approver_role", parse_ids, [], "setting.approver_role"),
    # -- issue 13: votes and winners (core.votes); unset: the deployment's WANBOT_VOTE_EMOJI (👍) --
    "vote_emoji": Setting("vote_emoji", parse_emoji, DEFAULT_VOTE_EMOJI, "setting.vote_emoji"),
}


def parse_setting(name: str, text: str) -> tuple[str, Any]:
    """``(name, value)`` for what was typed, or ``InvalidRequest`` with one sentence naming what is wrong."""
    key = name.strip().lower().replace("-", "_")
    setting = SETTINGS.get(key)
    if setting is None:
        known = ", ".join(sorted(SETTINGS))
        raise InvalidRequest(_say("settings.unknown", name=repr(name), known=known), field="setting")
    try:
        return key, setting.parse(text)
    except ValueError as exc:
        raise InvalidRequest(_say("settings.takes", setting=key, expected=exc, text=repr(text)), field=key) from None


def resolve(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value in a channel: what was stored, the default for the rest (unknown keys dropped)."""
    return {name: stored.get(name, setting.default) for name, setting in SETTINGS.items()}
