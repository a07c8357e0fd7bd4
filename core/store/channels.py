"""Per-channel request defaults: what an admin set with ``/wan defaults`` (model, resolution, duration …).

Stored as a small JSON object per (platform, workspace, channel); adapters merge it under what a user
typed, so an explicit flag always wins over a channel default.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.store.gate import WriteGate
from core.store.schema import channel_defaults

#: The request fields a channel default may set.
ALLOWED_DEFAULTS = ("model", "resolution", "ratio", "duration", "prompt_extend", "watermark", "negative_prompt")


class ChannelDefaults:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        #: The process's SQLite write turns (``core.store.gate``); ungated when none is given.
        self._gate = gate or WriteGate(enabled=False)

    @staticmethod
    def _key(platform: str, workspace_id: str | None, channel_id: str) -> dict[str, str]:
        return {"platform": platform, "workspace_id": workspace_id or "", "channel_id": channel_id}

    async def get(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        key = self._key(platform, workspace_id, channel_id)
        stmt = select(channel_defaults.c.defaults).where(*(channel_defaults.c[k] == v for k, v in key.items()))
        async with self._engine.connect() as conn:
            found = await conn.scalar(stmt)
        return dict(found or {})

    async def set(
        self, platform: str, workspace_id: str | None, channel_id: str, defaults: dict[str, Any], *, by: str
    ) -> None:
        """Replace the channel's defaults (an empty dict clears them)."""
        unknown = set(defaults) - set(ALLOWED_DEFAULTS)
        if unknown:
            raise ValueError(f"not a channel default: {', '.join(sorted(unknown))}")
        key = self._key(platform, workspace_id, channel_id)
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(delete(channel_defaults).where(*(channel_defaults.c[k] == v for k, v in key.items())))
            if defaults:
                await conn.execute(
                    channel_defaults.insert().values(**key, defaults=defaults, updated_by=by,
                                                     updated_at=datetime.now(UTC))
                )
