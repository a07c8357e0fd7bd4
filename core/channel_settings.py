"""The per-channel settings a channel admin can change with ``/wan settings``: their names, types, defaults.

One registry (``SETTINGS``) so every surface lists, parses and explains the same settings; the values are
stored by ``core.store.settings``. A setting changes how wanbot behaves in a channel (open a thread per
idea, ask before spending over a price …); it is never a request field (those are ``/wan defaults``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidRequest

_TRUE = frozenset({"on", "true", "yes", "1"})
_FALSE = frozenset({"off", "false", "no", "0"})


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("on or off")


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
}


def parse_setting(name: str, text: str) -> tuple[str, Any]:
    """``(name, value)`` for what was typed, or ``InvalidRequest`` with one sentence naming what is wrong."""
    key = name.strip().lower().replace("-", "_")
    setting = SETTINGS.get(key)
    if setting is None:
        known = ", ".join(sorted(SETTINGS))
        raise InvalidRequest(f"{name!r} is not a channel setting; the settings are {known}", field="setting")
    try:
        return key, setting.parse(text)
    except ValueError as exc:
        raise InvalidRequest(f"{key} takes {exc}, not {text!r}", field=key) from None


def resolve(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value in a channel: what was stored, the default for the rest (unknown keys dropped)."""
    return {name: stored.get(name, setting.default) for name, setting in SETTINGS.items()}
