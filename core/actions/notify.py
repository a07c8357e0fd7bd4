"""``/wan notify [on|off]`` carried out (issue 14): show or set whether a person is pinged when their jobs
finish (``core.people`` owns what that changes; ``core.store.user_prefs`` keeps the choice)."""

from __future__ import annotations

from core.actions.caller import Caller
from core.actions.results import NotifyReport
from core.messages import Messages
from core.notify_command import NotifyCommand
from core.people import NOTIFY_PREF, PINGING, pings
from core.store.user_prefs import UserPrefs


async def notify_command(prefs: UserPrefs | None, messages: Messages, caller: Caller,
                         command: NotifyCommand) -> NotifyReport:
    """``/wan notify [on|off]``: show or set whether ``caller`` is pinged when their jobs finish."""
    if caller.platform not in PINGING:
        return NotifyReport(None, messages("people.notify.console"))
    if prefs is None:
        return NotifyReport(None, messages("people.notify.unavailable"))
    if command.on is None:
        on = await pings(prefs, caller.platform, caller.workspace_id, caller.user_id)
        return NotifyReport(on, messages("people.notify.is_on" if on else "people.notify.is_off"))
    await prefs.set(caller.platform, caller.workspace_id, caller.user_id, NOTIFY_PREF,
                    None if command.on else "off")
    return NotifyReport(command.on, messages("people.notify.on" if command.on else "people.notify.off"))
