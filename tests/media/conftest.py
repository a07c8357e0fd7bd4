"""Real small audio files made with the bundled ffmpeg, and a loopback HTTP host that serves them."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from core.transcode import ffmpeg_exe


def _make(path: Path, seconds: float, *codec: str) -> Path:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
                    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=22050:duration={seconds}",
                    *codec, str(path)], check=True, timeout=60)
    return path


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audio")
    files = {
        "ok.wav": _make(d / "ok.wav", 3),
        "ok.mp3": _make(d / "ok.mp3", 3, "-c:a", "libmp3lame", "-b:a", "64k"),
        "two.mp3": _make(d / "two.mp3", 2, "-c:a", "libmp3lame", "-b:a", "64k"),  # padded past 2.0 s
        "thirty.wav": _make(d / "thirty.wav", 30),
        "short.wav": _make(d / "short.wav", 1),
        "long.mp3": _make(d / "long.mp3", 31, "-c:a", "libmp3lame", "-b:a", "32k"),
        # FLAC with an .mp3 name: the container is checked, not the name.
        "flac.mp3": _make(d / "flac.flac", 3, "-c:a", "flac"),
    }
    (d / "text.mp3").write_text("<html>Sign in to see this file</html>")
    files["text.mp3"] = d / "text.mp3"
    return files


@dataclass
class AudioHost:
    """``url(name)`` serves a file; ``/gone/…`` answers 404; ``/endless`` streams zeros with no length
    (counting what it sent); ``/hang`` never answers; ``/redirect?to=…`` answers 302 there."""

    base: str
    sent_endless: list[int] = field(default_factory=lambda: [0])
    gets: list[str] = field(default_factory=list)
    #: Names that answer 404 from now on (a chat attachment's link once it expired).
    gone: set[str] = field(default_factory=set)

    def url(self, name: str) -> str:
        return f"{self.base}/f/{name}"


@pytest.fixture
async def audio_host(audio_files: dict[str, Path]) -> AsyncIterator[AudioHost]:
    host = AudioHost(base="")
    never = asyncio.Event()

    async def serve(request: web.Request) -> web.StreamResponse:
        host.gets.append(request.path)
        name = request.match_info["name"]
        if name not in audio_files or name in host.gone:
            raise web.HTTPNotFound()
        return web.FileResponse(audio_files[name])

    async def gone(request: web.Request) -> web.Response:
        host.gets.append(request.path)
        raise web.HTTPNotFound()

    async def endless(request: web.Request) -> web.StreamResponse:
        host.gets.append(request.path)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = bytes(256 * 1024)
        try:
            while True:
                await response.write(chunk)
                host.sent_endless[0] += len(chunk)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    async def redirect(request: web.Request) -> web.Response:
        host.gets.append(request.path)
        raise web.HTTPFound(request.query.get("to", "/redirect"))  # no target: itself, forever

    async def hang(request: web.Request) -> web.Response:
        host.gets.append(request.path)
        await never.wait()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_get("/f/{name}", serve)
    app.router.add_get("/gone/{name}", gone)
    app.router.add_get("/endless", endless)
    app.router.add_get("/hang", hang)
    app.router.add_get("/redirect", redirect)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    host.base = f"http://127.0.0.1:{port}"
    try:
        yield host
    finally:
        await runner.cleanup()
