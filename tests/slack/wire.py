"""What DashScope was sent: a loopback tap in front of the sandbox, and image bytes for the tests.

``WireTap`` forwards every request to the sandbox unchanged (method, path, query, headers, body) and
answers with the sandbox's answer; it keeps each JSON body POSTed to a create route in ``creates``, so a
test asserts the literal wire body against the API reference, not against the bot's own idea of it.
Result downloads go through the tap too (the sandbox signs URLs for the host it was asked on).

``png`` and ``jpeg_like`` make small real images of a given size (``png``: RGB, no alpha).
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

#: The create routes of the reference (video synthesis, image generation sync and async).
CREATE_PATHS = ("/video-generation/video-synthesis", "/multimodal-generation/generation",
                "/image-generation/generation")
_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass
class WireTap:
    target: str  # the sandbox's origin, http://127.0.0.1:PORT
    creates: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._session = aiohttp.ClientSession(auto_decompress=False)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.origin = f"http://{host}:{port}"
        return self.origin

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def base_url(self, sandbox_base_url: str) -> str:
        """The sandbox's base URL (``…/api/v1``) through the tap."""
        return self.origin + sandbox_base_url.removeprefix(self.target)

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        if request.method == "POST" and request.path.endswith(CREATE_PATHS):
            self.creates.append({"path": request.path, "body": json.loads(body or b"null")})
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._session.request(request.method, self.target + request.path_qs, data=body,
                                         headers=headers, allow_redirects=False) as answer:
            data = await answer.read()
            out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
            return web.Response(status=answer.status, body=data, headers=out)


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A real PNG, RGB (no alpha), one colour."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


__all__ = ["CREATE_PATHS", "WireTap", "data_uri", "png"]
