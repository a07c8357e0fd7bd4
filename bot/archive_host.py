"""The archive route: local-directory archive copies served at signed links, for ``/wan history``.

With the local archive backend (``core.archive.backends.LocalDirBackend``) a history entry links to

    GET /archive/{key}?exp=<unix seconds>&sig=<hex>

on the bot's HTTP server under ``WANBOT_PUBLIC_URL``, where ``key`` is an archive key (``<job>.mp4``,
``<job>-2.png``) and ``sig = HMAC-SHA256(secret, f"archive:{key}:{exp}")`` — the media host's secret
(``bot.media_host.load_secret``) with its own domain prefix, so a media link can never be replayed here.
The key is checked against the archive's pattern before the disk is touched, the signature in constant
time before the file is looked for (bad or expired → 403, gone → 404), and the file is streamed from disk.
Links last ``LINK_SECONDS`` (a week); each ``/wan history`` signs fresh ones.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from urllib.parse import urlencode

from aiohttp import web

from bot.http import HttpServer
from core.archive.backends import LocalDirBackend, content_type_of, valid_key

ARCHIVE_PREFIX = "/archive/"
LINK_SECONDS = 7 * 24 * 3600
_SIG = re.compile(r"[0-9a-f]{64}")


class ArchiveHost:
    def __init__(self, backend: LocalDirBackend, secret: bytes, base: Callable[[], str | None], *,
                 clock: Callable[[], float] = time.time, link_seconds: float = LINK_SECONDS) -> None:
        self.backend = backend
        self._secret = secret
        self._base = base
        self.clock = clock
        self._link_seconds = link_seconds

    def sign(self, key: str, exp: int) -> str:
        return hmac.new(self._secret, f"archive:{key}:{exp}".encode(), hashlib.sha256).hexdigest()

    def url_for(self, key: str) -> str | None:
        """A signed link to ``key``, or None while there is no address to give (no HTTP server base)."""
        base = self._base()
        if base is None or not valid_key(key):
            return None
        exp = int(self.clock() + self._link_seconds)
        return f"{base.rstrip('/')}{ARCHIVE_PREFIX}{key}?{urlencode({'exp': exp, 'sig': self.sign(key, exp)})}"

    def _authorized(self, key: str, exp: str, sig: str) -> bool:
        if not exp.isdigit() or not _SIG.fullmatch(sig):
            return False
        return hmac.compare_digest(self.sign(key, int(exp)).encode(), sig.encode()) and int(exp) >= self.clock()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = request.path[len(ARCHIVE_PREFIX):]
        if not valid_key(key):
            raise web.HTTPNotFound()
        if not self._authorized(key, request.query.get("exp", ""), request.query.get("sig", "")):
            raise web.HTTPForbidden(text="this archive link is invalid or has expired")
        path = self.backend.path_of(key)
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": content_type_of(key),
                                               "Cache-Control": "private, no-transform"})

    def mount(self, http: HttpServer) -> Callable[[], None]:
        unmounts = [http.mount_prefix(method, ARCHIVE_PREFIX, self.handle) for method in ("GET", "HEAD")]

        def unmount() -> None:
            for undo in unmounts:
                undo()

        return unmount
