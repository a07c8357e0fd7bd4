"""The typed forms of issue 13's spend commands: ``settings [name value]`` and ``confirm|dismiss|approve|decline <id>``.

Read by ``core.commands.parse_command`` for every text surface (Slack, the console); Discord builds the same
commands from its slash options and buttons. ``ChatActions.run`` carries them out (``core.actions.spend_desk``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest
from core.messages import Messages
from core.text import refuse_forbidden, strip_invisible

#: The verbs acting on a held-back command (its buttons, typed).
SPEND_VERBS = ("confirm", "dismiss", "approve", "decline")

_say = Messages()


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
            raise InvalidRequest(_say("settings.needs_value", name=rest[0]), field="setting")
        return SettingsCommand(rest[0], " ".join(rest[1:]))
    if verb in SPEND_VERBS:
        if len(rest) != 1:
            raise InvalidRequest(_say("spend.one_id", verb=verb), field="ask")
        ask_id = strip_invisible(rest[0]).lower()
        refuse_forbidden(ask_id, what=_say("input.what.id"), field="ask")
        return SpendCommand(verb, ask_id)
    return None


__all__ = ["SPEND_VERBS", "SettingsCommand", "SpendCommand", "parse_spend_command"]
