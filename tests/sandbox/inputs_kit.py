"""Test kit for input media: images made to order, a loopback host serving them, and a colour probe.

``png`` writes a one-colour PNG by hand (fast, any size, optional alpha); ``encoded`` asks the project's
ffmpeg for JPEG/BMP/WEBP/PNG; ``header_png`` is only a PNG header claiming any size (for the size and aspect
rules, which the service reads from the header). ``mean_rgb`` decodes an image or a video's frame with ffmpeg
(area-averaged to one pixel). ``ImageHost`` serves bytes at ``/files/{name}`` on 127.0.0.1, plus ``/hang``
(never answers) and ``/missing`` (404).
"""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib
from pathlib import Path

from aiohttp import web

from sandbox.media import ffmpeg_exe

RGB = tuple[int, int, int]


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def png(width: int, height: int, rgb: RGB, *, alpha: bool = False) -> bytes:
    """A one-colour PNG (colour type 2, or 6 with ``alpha``)."""
    pixel = bytes(rgb) + (b"\xff" if alpha else b"")
    row = b"\x00" + pixel * width
    data = zlib.compress(row * height, 6)
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def header_png(width: int, height: int) -> bytes:
    """A PNG signature and header claiming ``width``×``height``, and nothing to decode."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")


async def _ffmpeg(*args: str) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode(errors="replace")
    return out


async def encoded(fmt: str, width: int, height: int, rgb: RGB) -> bytes:
    """A one-colour image encoded by ffmpeg: ``fmt`` one of jpeg, bmp, webp, png."""
    codec = {"jpeg": "mjpeg", "bmp": "bmp", "webp": "libwebp", "png": "png"}[fmt]
    colour = "0x{:02x}{:02x}{:02x}".format(*rgb)
    pix = {"jpeg": "yuvj444p", "webp": "yuv420p"}.get(fmt, "rgb24")
    return await _ffmpeg("-f", "lavfi", "-i", f"color=c={colour}:size={width}x{height}", "-frames:v", "1",
                         "-pix_fmt", pix, "-c:v", codec, "-f", "image2pipe", "-")


async def mean_rgb(path: Path, *, at: float = 0.0) -> RGB:
    """The mean colour of an image, or of a video's frame at ``at`` seconds (0: the first frame)."""
    seek = ["-ss", f"{at:.3f}"] if at else []
    raw = await _ffmpeg(*seek, "-i", str(path), "-frames:v", "1", "-vf", "scale=1:1:flags=area",
                        "-pix_fmt", "rgb24", "-f", "rawvideo", "-")
    return raw[0], raw[1], raw[2]


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def close(a: RGB, b: RGB, tolerance: int = 8) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def blend(base: RGB, tint: RGB, alpha: float) -> RGB:
    r, g, b = (round(x * (1 - alpha) + y * alpha) for x, y in zip(base, tint, strict=True))
    return r, g, b


class ImageHost:
    """A loopback HTTP server for input files; ``hits`` counts requests per name."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._never = asyncio.Event()
        self.base = ""

    def put(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.files[name] = (data, content_type)
        return f"{self.base}/files/{name}"

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        if name not in self.files:
            raise web.HTTPNotFound()
        data, ctype = self.files[name]
        return web.Response(body=data, content_type=ctype)

    async def _hang(self, request: web.Request) -> web.Response:
        await self._never.wait()  # released at close
        return web.Response(status=204)

    async def start(self) -> ImageHost:
        app = web.Application()
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/hang", self._hang)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        self._never.set()
        if self._runner is not None:
            await self._runner.cleanup()
