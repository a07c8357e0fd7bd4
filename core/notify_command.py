"""``/wan notify [on|off]`` (issue 14): whether a person is pinged when their jobs finish, as typed.

No argument shows the current choice; ``on``/``off`` set it (``core.people`` says what it changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest


@dataclass(frozen=True)
class NotifyCommand:
    #: ``True`` = ping me, ``False`` = just name me, ``None`` = show the current choice.
    on: bool | None = None


_WORDS = {"on": True, "yes": True, "off": False, "no": False}


def parse_notify(rest: list[str]) -> NotifyCommand:
    """``[]`` → show; ``["on"]``/``["off"]`` → set; anything else is refused with the allowed values."""
    if not rest:
        return NotifyCommand()
    if len(rest) == 1 and rest[0].lower() in _WORDS:
        return NotifyCommand(_WORDS[rest[0].lower()])
    raise InvalidRequest(f"/wan notify takes on or off, not {' '.join(rest)!r}", field="notify")
