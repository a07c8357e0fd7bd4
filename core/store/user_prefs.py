"""Per-person preferences (issue 14): small string values keyed by (platform, workspace, user, key).

Today one key is used, ``notify`` (``on``/``off``: whether a finished job pings its requester,
``core.people``). A value is a plain string; an absent row means the default. Nothing here knows what a
preference means.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.store.gate import WriteGate
from core.store.schema import user_prefs


class UserPrefs:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)

    @staticmethod
    def _where(platform: str, workspace_id: str | None, user_id: str, key: str) -> list[Any]:
        c = user_prefs.c
        return [c.platform == platform, c.workspace_id == (workspace_id or ""), c.user_id == user_id, c.key == key]

    async def get(self, platform: str, workspace_id: str | None, user_id: str, key: str) -> str | None:
        """The stored value, or ``None`` when the person never set it."""
        stmt = select(user_prefs.c.value).where(*self._where(platform, workspace_id, user_id, key))
        async with self._engine.connect() as conn:
            found = await conn.scalar(stmt)
        return None if found is None else str(found)

    async def set(self, platform: str, workspace_id: str | None, user_id: str, key: str, value: str | None) -> None:
        """Store ``value`` (``None`` removes the row: back to the default)."""
        where = self._where(platform, workspace_id, user_id, key)
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(delete(user_prefs).where(*where))
            if value is not None:
                await conn.execute(user_prefs.insert().values(
                    platform=platform, workspace_id=workspace_id or "", user_id=user_id, key=key, value=value,
                    updated_at=datetime.now(UTC)))
