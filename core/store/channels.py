"""Per-channel request defaults: what an admin set with ``/wan defaults`` (model, resolution, duration …).

Stored as a small JSON object per (platform, workspace, channel); adapters merge it under what a user
typed, so an explicit flag always wins over a channel default.

Every command that makes a job reads its channel's defaults before it can be acknowledged, so a burst
of 200 commands in one channel was 200 identical reads queueing for the pool's connections (≈ 200 ms
of each ack under ``bench/acks.py``). Concurrent reads of one channel therefore share one query: a
``get`` that finds a read of the same key in flight waits for that read instead of starting another.
Nothing is cached past the read: a ``get`` that starts after a ``set`` here returned never joins a
read begun before it (``set`` forgets the in-flight reads of its key before and after writing).
"""

from __future__ import annotations

import asyncio
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
        #: The read in flight per key, which concurrent ``get``s of that key share.
        self._reading: dict[tuple[str, ...], asyncio.Future[dict[str, Any]]] = {}

    @staticmethod
    def _key(platform: str, workspace_id: str | None, channel_id: str) -> dict[str, str]:
        return {"platform": platform, "workspace_id": workspace_id or "", "channel_id": channel_id}

    async def get(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        key = self._key(platform, workspace_id, channel_id)
        shared = tuple(key.values())
        reading = self._reading.get(shared)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key))
            self._reading[shared] = reading
            reading.add_done_callback(lambda done: self._forget(shared, done))
        # Shielded: one caller giving up (its command cancelled) does not cancel the others' read.
        return dict(await asyncio.shield(reading))

    async def _read(self, key: dict[str, str]) -> dict[str, Any]:
        stmt = select(channel_defaults.c.defaults).where(*(channel_defaults.c[k] == v for k, v in key.items()))
        async with self._engine.connect() as conn:
            found = await conn.scalar(stmt)
        return dict(found or {})

    def _forget(self, shared: tuple[str, ...], reading: asyncio.Future[dict[str, Any]] | None = None) -> None:
        if reading is None or self._reading.get(shared) is reading:
            self._reading.pop(shared, None)
        if reading is not None and not reading.cancelled():
            reading.exception()  # retrieved: a failed read nobody waits for any more is not "never retrieved"

    async def set(
        self, platform: str, workspace_id: str | None, channel_id: str, defaults: dict[str, Any], *, by: str
    ) -> None:
        """Replace the channel's defaults (an empty dict clears them)."""
        unknown = set(defaults) - set(ALLOWED_DEFAULTS)
        if unknown:
            raise ValueError(f"not a channel default: {', '.join(sorted(unknown))}")
        key = self._key(platform, workspace_id, channel_id)
        shared = tuple(key.values())
        self._forget(shared)  # a read begun before this write must not answer a get that begins after it
        try:
            async with self._gate.turn(), self._engine.begin() as conn:
                await conn.execute(
                    delete(channel_defaults).where(*(channel_defaults.c[k] == v for k, v in key.items())))
                if defaults:
                    await conn.execute(
                        channel_defaults.insert().values(**key, defaults=defaults, updated_by=by,
                                                         updated_at=datetime.now(UTC))
                    )
        finally:
            self._forget(shared)
