"""The typed forms of issue 13's spend commands: ``settings [name value]`` and ``confirm|dismiss|approve|decline <id>``.

Read by ``core.commands.parse_command`` for every text surface (Slack, the console); Discord builds the same
commands from its slash options and buttons. ``ChatActions.run`` carries them out (``core.actions.spend_desk``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest
from core.text import refuse_forbidden, strip_invisible

#: The verbs acting on a held-back command (its buttons, typed).
SPEND_VERBS = ("confirm", "dismiss", "approve", "decline")


@dataclass(frozen=True)
class SettingsCommand:
    """``settings`` (show all), ``settings <name> <value…>`` (set one)."""

    name: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class SpendCommand:
    action: str
    ask_id: str


def parse_spend_command(verb: str, rest: list[str]) -> SettingsCommand | SpendCommand | None:
    """The command for ``verb`` when it is one of these (``None``: not ours)."""
    if verb == "settings":
        if not rest:
            return SettingsCommand()
        if len(rest) < 2:
            raise InvalidRequest(f"/wan settings {rest[0]} needs a value (or type /wan settings to see them all)",
                                 field="setting")
        return SettingsCommand(rest[0], " ".join(rest[1:]))
    if verb in SPEND_VERBS:
        if len(rest) != 1:
            raise InvalidRequest(f"/wan {verb} takes one id (it is in the message that asked)", field="ask")
        ask_id = strip_invisible(rest[0]).lower()
        refuse_forbidden(ask_id, what="the id", field="ask")
        return SpendCommand(verb, ask_id)
    return None


__all__ = ["SPEND_VERBS", "SettingsCommand", "SpendCommand", "parse_spend_command"]
