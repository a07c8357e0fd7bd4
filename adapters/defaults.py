"""``/wan defaults`` for every adapter: show, replace or clear a channel's video defaults.

Each adapter decides *who* may change defaults (Discord: Manage Channels / Manage Server; Slack:
workspace admins and owners; the console: its one local user) and *where* it is (platform, workspace,
channel); ``ChannelDesk`` does the rest against ``JobStore.channels`` and words the answer. Reading the
defaults for a video request goes through ``ChannelDesk.defaults`` too, so every surface merges the same
stored values the same way (``core.commands.video_request``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.commands import DefaultsCommand
from core.messages import Messages
from core.store import JobStore
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
    """Channel defaults for one platform's adapter."""

    def __init__(self, store: JobStore, messages: Messages, platform: str) -> None:
        self.store = store
        self.messages = messages
        self.platform = platform

    async def defaults(self, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        """What to merge under a video request made in this channel (``{}`` when nothing is set)."""
        return await self.store.channels.get(self.platform, workspace_id, channel_id)

    async def run(self, command: DefaultsCommand, *, workspace_id: str | None, channel_id: str, by: str,
                  refusal: str | None) -> str:
        """Carry out ``command`` and return the reply.

        Showing is for everyone (it only explains what their videos will get). Changing is refused with the
        message ``refusal`` names when it is set: the adapter sets it when this person is not an admin by
        the platform's own rules, and passes ``None`` when they are.
        """
        m = self.messages
        if command.action == "show":
            current = await self.defaults(workspace_id, channel_id)
            return m("defaults.show", summary=describe_defaults(current, m)) if current else m("defaults.none")
        if refusal is not None:
            return m(refusal)
        values = command.values if command.action == "set" else {}
        await self.store.channels.set(self.platform, workspace_id, channel_id, values, by=by)
        if not values:
            return m("defaults.cleared")
        return m("defaults.saved", summary=describe_defaults(values, m))
