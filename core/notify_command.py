"""``/wan notify [on|off]`` (issue 14): whether a person is pinged when their jobs finish, as typed.

No argument shows the current choice; ``on``/``off`` set it (``core.people`` says what it changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest
from core.messages import Messages


@dataclass(frozen=True)
class NotifyCommand:
    #: ``True`` = ping me, ``False`` = just name me, ``None`` = show the current choice.
    on: bool | None = None


_say = Messages()

_WORDS = {"on": True, "yes": True, "off": False, "no": False}


def parse_notify(rest: list[str]) -> NotifyCommand:
    """``[]`` → show; ``["on"]``/``["off"]`` → set; anything else is refused with the allowed values."""
    if not rest:
        return NotifyCommand()
    if len(rest) == 1 and rest[0].lower() in _WORDS:
        return NotifyCommand(_WORDS[rest[0].lower()])
    raise InvalidRequest(_say("notify.bad", words=repr(" ".join(rest))), field="notify")
