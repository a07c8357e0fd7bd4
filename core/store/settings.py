"""Per-channel settings: how wanbot behaves in one channel (``/wan settings``), kept apart from request defaults.

Stored as a small JSON object per (platform, workspace, channel) holding only what someone set; what a
setting means, its default and how it is typed in live in ``core.channel_settings``. Unlike
``core.store.channels`` nothing here is ever merged into a request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.store.gate import WriteGate
from core.store.schema import channel_settings


class ChannelSettings:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)

    @staticmethod
    def _where(platform: str, workspace_id: str | None, channel_id: str) -> list[Any]:
        c = channel_settings.c
        return [c.platform == platform, c.workspace_id == (workspace_id or ""), c.channel_id == channel_id]

    async def get(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        """The values set for this channel (unset settings are absent: ``resolve`` fills in defaults)."""
        stmt = select(channel_settings.c.settings).where(*self._where(platform, workspace_id, channel_id))
        async with self._engine.connect() as conn:
            found = await conn.scalar(stmt)
        return dict(found or {})

    async def update(
        self, platform: str, workspace_id: str | None, channel_id: str, values: dict[str, Any], *, by: str
    ) -> dict[str, Any]:
        """Merge ``values`` into the channel's settings (a ``None`` value removes that setting); return them."""
        where = self._where(platform, workspace_id, channel_id)
        async with self._gate.turn(), self._engine.begin() as conn:
            current = dict(await conn.scalar(select(channel_settings.c.settings).where(*where)) or {})
            exists = bool(await conn.scalar(select(channel_settings.c.channel_id).where(*where)))
            for name, value in values.items():
                if value is None:
                    current.pop(name, None)
                else:
                    current[name] = value
            row = {"settings": current, "updated_by": by, "updated_at": datetime.now(UTC)}
            if exists:
                await conn.execute(channel_settings.update().where(*where).values(**row))
            else:
                await conn.execute(channel_settings.insert().values(
                    platform=platform, workspace_id=workspace_id or "", channel_id=channel_id, **row))
        return current
