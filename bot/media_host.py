"""The media host: serves stashed attachments at signed URLs DashScope can fetch after the chat's link expired.

A Discord attachment's signed CDN link lasts about a day and a Slack file is private to the workspace, but a
re-roll of an old job sends DashScope the same image or audio again. ``core.media_stash.MediaStash`` keeps a
copy of every file a person hands wanbot; this module is its ``MediaHost`` (``url_for``): the bot's one HTTP
server (``bot.http``) serves

    GET /media/{key}?exp=<unix seconds>&sig=<hex>

where ``key`` is the stash's ``<sha256 hex>.<ext>`` and ``sig = HMAC-SHA256(secret, f"{key}:{exp}")``. Why
each rule:

* the key must look like a stash key (64 lowercase hex digits, a known extension) before anything touches
  the disk, so no path (``..``, ``/``, ``%2F``) ever reaches the file system; the file itself comes from the
  stash's own ``path_of``;
* the signature is compared in constant time and checked before the file is looked for: without a valid
  link nobody learns which files exist (bad or expired → 403; valid but gone → 404);
* the body is an aiohttp ``FileResponse``: streamed from disk (sendfile), never read into memory, with the
  ``Content-Type`` the extension names (not whatever ``mimetypes`` guesses on this machine);
* while the bot drains for shutdown the route answers 503 like every mounted route (``bot.http``); it is
  not behind any metrics token — DashScope has no credentials but the link.

A file that was served counts as used: its modification time is refreshed, so ``sweep`` (run in a thread by
``sweep_forever``) deletes only files nobody used for ``WANBOT_MEDIA_RETENTION_DAYS``.

The secret is ``WANBOT_MEDIA_SECRET`` when set, else one generated on first start and kept (mode 0600) in
the media directory, so links stay valid across restarts and replicas that share the directory agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

from aiohttp import web

from bot.http import HttpServer
from core.media_stash import CONTENT_TYPES, TEMP_PREFIX  # the extensions the stash keeps, and what each is served as

log = logging.getLogger("wanbot.media")

MEDIA_PREFIX = "/media/"
_KEY = re.compile(r"[0-9a-f]{64}\.([a-z0-9]{2,4})")
_SIG = re.compile(r"[0-9a-f]{64}")
#: The generated secret's file, inside the media directory (not a key, so never served nor swept).
SECRET_FILE = ".wanbot-media-secret"
#: A configured secret shorter than this is refused at start-up (it would be guessable).
MIN_SECRET_LENGTH = 16
#: How often the retention sweep looks (it also runs once at start).
SWEEP_INTERVAL = 3600.0


class StashFiles(Protocol):
    """What the host needs of the stash: the file behind a key (``None``: unknown or invalid)."""

    def path_of(self, key: str) -> Path | None: ...


def valid_key(key: str) -> bool:
    """A stash key: ``<64 hex>.<known extension>`` and nothing else (no directory part, no dots to climb)."""
    match = _KEY.fullmatch(key)
    return match is not None and match.group(1) in CONTENT_TYPES


def load_secret(configured: str | None, directory: Path) -> bytes:
    """The signing secret: ``configured`` if given, else the one kept in ``directory`` (made once, 0600).

    Blocking (small file I/O): called at start-up, before the event loop serves anything."""
    if configured:
        return configured.encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SECRET_FILE
    try:
        # O_EXCL: two processes starting at once on one shared directory end up with the same secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if len(value) >= MIN_SECRET_LENGTH:
            return value.encode()
        raise ValueError(f"{path} does not hold a media secret; delete it to make a new one") from None
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    log.info("media: made a new signing secret in %s", path)
    return value.encode()


class SignedMediaHost:
    """Signs links to stashed files under ``base`` and serves them (mount it on the bot's HTTP server).

    ``base`` is called at each ``url_for``: a loopback server's port is known only once it listens."""

    def __init__(self, files: StashFiles | None, secret: bytes, base: Callable[[], str | None], *,
                 clock: Callable[[], float] = time.time) -> None:
        #: The stash whose files are served; may be set after construction (the stash is built with its host).
        self.files = files
        self._secret = secret
        self._base = base
        self.clock = clock
        #: Files served, per key (what ``doctor``-style checks and tests can read; never the secret).
        self.served: Counter[str] = Counter()

    def sign(self, key: str, exp: int) -> str:
        return hmac.new(self._secret, f"{key}:{exp}".encode(), hashlib.sha256).hexdigest()

    def url_for(self, key: str, *, ttl_seconds: float) -> str:
        """A link to ``key`` that works for ``ttl_seconds`` from now (``core.media_stash.MediaHost``)."""
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        base = self._base()
        if base is None:
            raise RuntimeError("the media host's HTTP server is not listening yet")
        exp = int(self.clock() + ttl_seconds)
        query = urlencode({"exp": exp, "sig": self.sign(key, exp)})
        return f"{base.rstrip('/')}{MEDIA_PREFIX}{key}?{query}"

    def _authorized(self, key: str, exp: str, sig: str) -> bool:
        if not exp.isdigit() or not _SIG.fullmatch(sig):
            return False
        good = hmac.compare_digest(self.sign(key, int(exp)).encode(), sig.encode())
        return good and int(exp) >= self.clock()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = request.path[len(MEDIA_PREFIX):]
        if not valid_key(key):
            raise web.HTTPNotFound()
        if not self._authorized(key, request.query.get("exp", ""), request.query.get("sig", "")):
            raise web.HTTPForbidden(text="this media link is invalid or has expired")
        path = self.files.path_of(key) if self.files is not None else None
        if path is None:
            raise web.HTTPNotFound()
        try:
            await asyncio.to_thread(os.utime, path)  # served = used: the retention sweep keeps it
        except FileNotFoundError:
            raise web.HTTPNotFound() from None
        extension = key.rsplit(".", 1)[1]
        self.served[key] += 1
        log.debug("media: serving %s to %s", key, request.remote)
        return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPES[extension],
                                               "Cache-Control": "private, no-transform"})

    def mount(self, http: HttpServer) -> Callable[[], None]:
        """Serve ``GET`` and ``HEAD /media/…`` on ``http``; returns the unmount."""
        unmounts = [http.mount_prefix(method, MEDIA_PREFIX, self.handle) for method in ("GET", "HEAD")]

        def unmount() -> None:
            for undo in unmounts:
                undo()

        return unmount


#: When a stash temp file (``core.media_stash.TEMP_PREFIX``) is surely abandoned: a write takes seconds.
ABANDONED_TEMP_SECONDS = 3600.0


def sweep(root: Path, max_age_seconds: float, now: float) -> int:
    """Delete the stashed files under ``root`` unused for ``max_age_seconds``; returns how many. Blocking:
    run it in a thread. Only files named like stash keys are touched (never the secret, never anything else),
    and the stash's own half-written temp files (``.keep-…``) a crash left behind once they are an hour old
    (a write in progress is seconds old)."""
    removed = 0
    if not root.is_dir():
        return 0
    for path in root.rglob("*"):
        if path.name.startswith(TEMP_PREFIX):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and now - path.stat().st_mtime > ABANDONED_TEMP_SECONDS:
                    path.unlink()
                    removed += 1
            continue
        if not valid_key(path.name):
            continue
        with contextlib.suppress(FileNotFoundError):  # a concurrent sweep (another replica) took it
            if path.is_file() and now - path.stat().st_mtime > max_age_seconds:
                path.unlink()
                removed += 1
    return removed


async def sweep_forever(root: Path, max_age_seconds: float, *, interval: float = SWEEP_INTERVAL,
                        clock: Callable[[], float] = time.time,
                        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Run ``sweep`` now and every ``interval`` seconds until cancelled (off the event loop)."""
    while True:
        try:
            removed = await asyncio.to_thread(sweep, root, max_age_seconds, clock())
        except OSError as exc:  # a full or read-only disk must not stop the bot; say so and try again later
            log.warning("media: the retention sweep of %s failed: %s", root, exc)
        else:
            if removed:
                log.info("media: deleted %d file(s) unused for %g days", removed, max_age_seconds / 86400)
        await sleep(interval)
