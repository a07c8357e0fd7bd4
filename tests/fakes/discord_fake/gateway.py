"""The fake gateway websocket: HELLO, IDENTIFY → READY + GUILD_CREATE, RESUME, heartbeats, dispatches.

Speaks what discord.py expects: JSON payloads, ``zlib-stream`` compressed when the URL asks for it (one
compressor per connection, each payload flushed with ``Z_SYNC_FLUSH`` so it ends in ``00 00 ff ff``),
sequence numbers on dispatches, and close code 4004 for a wrong token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.fakes.discord_server import FakeDiscord

log = logging.getLogger("tests.fake_discord")

HEARTBEAT_INTERVAL_MS = 41_250


class Session:
    """One websocket connection from a client."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self._zlib = zlib.compressobj() if compress else None
        self.seq = 0
        self.session_id = secrets.token_hex(16)
        self.identified = False
        #: The intents IDENTIFY asked for: Discord sends an intent's events only to sessions that asked.
        self.intents = 0
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload)
        async with self._lock:  # one compressor: frames must leave in the order they were compressed
            if self._zlib is None:
                await self.ws.send_str(data)
            else:
                await self.ws.send_bytes(self._zlib.compress(data.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.send({"op": 0, "t": event, "s": self.seq, "d": data})


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: list[Session] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session = Session(ws, compress=request.query.get("compress") == "zlib-stream")
        self.fake.gateway_log.append(f"connect {request.query_string}")
        await session.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        self.sessions.append(session)
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._receive(session, json.loads(msg.data))
        finally:
            self.sessions.remove(session)
            self.fake.gateway_log.append("disconnect")
        return ws

    async def _receive(self, session: Session, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        f = self.fake
        if op == 1:
            await session.send({"op": 11})
        elif op == 2:
            if not isinstance(data, dict) or data.get("token") != f.token:
                await session.ws.close(code=4004, message=b"Authentication failed.")
                return
            f.gateway_log.append("identify")
            session.identified = True
            session.intents = int(data.get("intents") or 0)
            await session.dispatch("READY", {
                "v": 10, "user": f.bot.json(), "session_id": session.session_id,
                "resume_gateway_url": f.gateway_url, "shard": [0, 1],
                "guilds": [{"id": str(g.id), "unavailable": True} for g in f.guilds.values()],
                "application": {"id": str(f.application_id), "flags": 0},
                "private_channels": [], "relationships": [], "presences": [], "user_settings": {},
            })
            for guild in f.guilds.values():
                await session.dispatch("GUILD_CREATE", guild.json(f.bot))
        elif op == 6:
            f.gateway_log.append("resume")
            session.identified = True
            await session.dispatch("RESUMED", {})
        else:
            log.debug("fake gateway ignores op %s", op)

    async def dispatch(self, event: str, data: dict[str, Any], *, intent: int | None = None) -> int:
        """Send ``event`` to every identified session — of those, with ``intent``, only the ones whose
        IDENTIFY asked for it (as Discord does: the others never hear of it). How many got it."""
        live = [s for s in self.sessions if s.identified]
        if not live:
            raise AssertionError(f"no client is connected to receive {event}")
        sent = 0
        for session in live:
            if intent is not None and not session.intents & intent:
                continue
            await session.dispatch(event, data)
            sent += 1
        return sent

    async def close(self) -> None:
        for session in list(self.sessions):
            await session.ws.close(code=1001)
