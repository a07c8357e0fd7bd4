"""The media stash: wanbot's own copy of every file a person handed it, and of every image it delivered.

A chat platform's link to an attachment expires (Discord's signed CDN links) or needs the bot's token
(Slack's ``url_private``), and DashScope's result links last 24 hours. A request therefore never names such
a link: the file is fetched once, checked, and kept here, and the request stores a **ref**
(``wanbot-media:<sha256>.<ext>``). Right before a create, ``resolve`` turns each ref into what DashScope is
sent:

* with a ``MediaHost`` (the bot serves the stash at ``WANBOT_PUBLIC_URL``; helper i12-host) → a signed URL
  valid for ``RESOLVE_TTL_SECONDS``;
* without one, an image → a ``data:`` URI (the image reference accepts them; that wan2.7-i2v's
  ``media[].url`` takes them the same way is an assumption the reference does not state);
* without one, audio → ``InvalidMedia``: DashScope takes audio only as a link.

Files are content-addressed, so keeping the same bytes twice is one file and one ref. Reads and writes go
through ``asyncio.to_thread``; a write lands under a temporary name and is renamed into place, so a reader
never sees half a file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from core.errors import InvalidMedia, MediaGone
from core.messages import Messages

MEDIA_REF_PREFIX = "wanbot-media:"
#: How long a host's signed URL stays valid: DashScope may fetch inputs well after the create (a queued task).
RESOLVE_TTL_SECONDS = 48 * 3600.0

#: Half-written files start with this until they are renamed into place (``bot.media_host.sweep`` removes
#: the ones a crash left behind).
TEMP_PREFIX = ".keep-"
#: Content type → the extension a key carries (and back): only what wanbot checks and keeps.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/bmp": "bmp",
    "image/webp": "webp",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
}
CONTENT_TYPES: dict[str, str] = {ext: ctype for ctype, ext in EXTENSIONS.items()}
_ALIASES = {"image/jpg": "image/jpeg", "audio/x-wav": "audio/wav", "audio/wave": "audio/wav",
            "audio/mp3": "audio/mpeg", "image/x-ms-bmp": "image/bmp"}
_KEY = re.compile(r"^[0-9a-f]{64}\.(?:" + "|".join(sorted(CONTENT_TYPES)) + r")$")

_say = Messages()


class MediaHost(Protocol):
    """Something that serves stashed files at a URL DashScope can fetch (owned by helper i12-host)."""

    def url_for(self, key: str, *, ttl_seconds: float) -> str: ...


def is_ref(value: str) -> bool:
    """True for a stash ref (``wanbot-media:…``), whether or not the file is still kept."""
    return value.startswith(MEDIA_REF_PREFIX)


def key_of(ref: str) -> str | None:
    """The stash key a ref names (``<sha256>.<ext>``); ``None`` when ``ref`` is not a well-formed ref."""
    if not is_ref(ref):
        return None
    key = ref[len(MEDIA_REF_PREFIX):]
    return key if _KEY.match(key) else None


def normal_type(content_type: str) -> str:
    """``image/JPG; charset=…`` → ``image/jpeg``: the one spelling a key's extension comes from."""
    base = content_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


class MediaStash:
    """Content-addressed files under ``root``; ``host`` (optional) serves them to DashScope."""

    def __init__(self, root: Path, *, host: MediaHost | None = None) -> None:
        self.root = root
        self.host = host

    async def keep(self, data: bytes, content_type: str) -> str:
        """Store ``data`` (idempotent) and return its ref. ``content_type`` must be one wanbot keeps."""
        ctype = normal_type(content_type)
        ext = EXTENSIONS.get(ctype)
        if ext is None:
            raise ValueError(f"the stash keeps no {content_type!r} files")
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        await asyncio.to_thread(self._write, key, data)
        return MEDIA_REF_PREFIX + key

    async def read(self, ref: str) -> tuple[bytes, str]:
        """The kept bytes and their content type; ``MediaGone`` when the file is not (or no longer) kept."""
        key = key_of(ref)
        path = self.path_of(key) if key is not None else None
        if key is None or path is None:
            raise MediaGone(_say("media.gone"), field="media")
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise MediaGone(_say("media.gone"), field="media") from None
        return data, CONTENT_TYPES[key.rsplit(".", 1)[1]]

    async def has(self, ref: str) -> bool:
        key = key_of(ref)
        return key is not None and await asyncio.to_thread(lambda: self.path_of(key) is not None)

    def path_of(self, key: str) -> Path | None:
        """The file for ``key`` (for the host to serve); ``None`` for an unknown or malformed key.

        Only well-formed keys name a path, so a key can never reach outside ``root`` (``../``)."""
        if not _KEY.match(key):
            return None
        path = self.root / key[:2] / key
        return path if path.is_file() else None

    async def resolve(self, ref: str) -> str:
        """What DashScope is sent for ``ref`` at create time (an http(s) URL passes unchanged).

        Raises ``MediaGone`` for a file no longer kept, ``InvalidMedia`` for audio with no host."""
        if ref.startswith(("https://", "http://")):
            return ref
        key = key_of(ref)
        if key is None:
            raise InvalidMedia(_say("media.bad_ref"), field="media")
        if self.host is not None:
            if await asyncio.to_thread(self.path_of, key) is None:
                raise MediaGone(_say("media.gone"), field="media")
            return self.host.url_for(key, ttl_seconds=RESOLVE_TTL_SECONDS)
        data, ctype = await self.read(ref)
        if not ctype.startswith("image/"):
            raise InvalidMedia(_say("media.needs_host"), field="media")
        return await asyncio.to_thread(data_uri, data, ctype)

    def _write(self, key: str, data: bytes) -> None:
        final = self.root / key[:2] / key
        if final.is_file():
            return  # the same bytes are already kept (content-addressed)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


__all__ = ["CONTENT_TYPES", "EXTENSIONS", "MEDIA_REF_PREFIX", "RESOLVE_TTL_SECONDS", "MediaHost", "MediaStash",
           "data_uri", "is_ref", "key_of", "normal_type"]
