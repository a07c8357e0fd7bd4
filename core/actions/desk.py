"""A channel's side of wanbot: its ``/wan defaults`` and its ``/wan usage``.

Who may change defaults is the platform's notion (Discord: Manage Channels / Manage Server; Slack:
workspace admins and owners; the console: its one user), handed in as ``Caller.channel_admin``. Showing
them is for everyone. Usage is money and seconds billed in this workspace, today and this month, in the
budgets' time zone (``EngineConfig.timezone``), for the caller and for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.access import ActionRefused
from core.actions.caller import Caller, granted
from core.actions.face import EngineFace
from core.actions.results import DefaultsReport, UsageReport, UsageRow
from core.commands import DefaultsCommand
from core.messages import Messages
from core.store.channels import ALLOWED_DEFAULTS


def describe_defaults(values: Mapping[str, Any], messages: Messages) -> str:
    """``model wan2.6-t2v, 1080P, 9:16, 10 s, prompt extension off, watermark, avoid “blurry”``."""
    parts = []
    for name in ALLOWED_DEFAULTS:  # a fixed order, whatever order they were typed in
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, bool):
            parts.append(messages(f"defaults.item.{name}.{value}"))
        else:
            parts.append(messages(f"defaults.item.{name}", value=value))
    return ", ".join(parts)


class ChannelDesk:
    def __init__(self, engine: EngineFace, messages: Messages) -> None:
        self.engine = engine
        self.messages = messages

    async def defaults(self, caller: Caller) -> dict[str, Any]:
        """What to merge under a video request made where ``caller`` is (``{}`` when nothing is set)."""
        return await self.engine.channel_defaults(caller.platform, caller.workspace_id, caller.channel_id)

    async def run(self, caller: Caller, command: DefaultsCommand) -> DefaultsReport:
        m = self.messages
        if command.action == "show":
            current = await self.defaults(caller)
            text = m("defaults.show", summary=describe_defaults(current, m)) if current else m("defaults.none")
            return DefaultsReport(current, False, text)
        if not await granted(caller.channel_admin):
            raise ActionRefused(m(f"defaults.denied.{caller.platform}") if m.has(f"defaults.denied.{caller.platform}")
                                else m("defaults.denied"), code="NotAdmin")
        values = command.values if command.action == "set" else {}
        await self.engine.set_channel_defaults(caller.platform, caller.workspace_id, caller.channel_id, values,
                                               by=caller.user_id)
        if not values:
            return DefaultsReport({}, True, m("defaults.cleared"))
        return DefaultsReport(dict(values), True, m("defaults.saved", summary=describe_defaults(values, m)))

    async def usage(self, caller: Caller) -> UsageReport:
        m = self.messages
        now = self.engine.now().astimezone(ZoneInfo(self.engine.timezone))
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        periods: tuple[tuple[str, datetime], ...] = (
            (m("usage.today"), today), (m("usage.month"), today.replace(day=1)),
        )
        rows = []
        for who, user_id in ((m("usage.you"), caller.user_id), (m("usage.everyone"), None)):
            for period, since in periods:
                totals = await self.engine.usage(since=since, platform=caller.platform,
                                                 workspace_id=caller.workspace_id, user_id=user_id)
                label = m("usage.label", who=who, period=period)
                text = m("usage.row", label=label, videos=totals.videos, images=totals.images,
                         seconds=totals.billed_seconds, cost=totals.cost)
                rows.append(UsageRow(label, totals.videos, totals.images, totals.billed_seconds, totals.cost,
                                     text))
        return UsageReport(m("usage.title"), tuple(rows))


__all__ = ["ChannelDesk", "describe_defaults"]
