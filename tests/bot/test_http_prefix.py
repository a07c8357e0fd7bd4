"""``HttpServer.mount_prefix``: one handler for every path under a prefix (the media route), drained like
every mount, exact mounts first, and unmountable."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.http import HttpServer


async def _answer(request: web.Request) -> web.Response:
    return web.Response(text=f"prefix {request.method} {request.path}")


async def _exact(request: web.Request) -> web.Response:
    return web.Response(text="exact")


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    http = HttpServer("127.0.0.1", 0)
    await http.start()
    try:
        yield http
    finally:
        await http.close()


async def call(http: HttpServer, method: str, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.request(method, f"{http.url}{path}") as resp:
        return resp.status, await resp.text()


async def test_prefix_mounts_route_drain_and_unmount(server: HttpServer) -> None:
    unmount = server.mount_prefix("GET", "/media/", _answer)  # mounted after start, like adapters' routes
    server.mount("GET", "/media/special", _exact)
    assert await call(server, "GET", "/media/abc.png") == (200, "prefix GET /media/abc.png")
    assert await call(server, "GET", "/media/special") == (200, "exact")
    assert (await call(server, "POST", "/media/abc.png"))[0] == 405
    assert (await call(server, "GET", "/mediax/abc.png"))[0] == 404
    assert (await call(server, "GET", "/media"))[0] == 404
    assert (await call(server, "GET", "/healthz"))[0] == 200  # fixed routes are untouched
    with pytest.raises(ValueError):
        server.mount_prefix("GET", "/media/", _answer)
    with pytest.raises(ValueError):
        server.mount_prefix("GET", "/media", _answer)
    server.begin_drain()
    assert (await call(server, "GET", "/media/abc.png"))[0] == 503
    server.draining = False
    unmount()
    assert (await call(server, "GET", "/media/abc.png"))[0] == 404
