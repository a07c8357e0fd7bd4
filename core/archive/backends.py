"""Where archived files live: the ``ArchiveBackend`` protocol and the local-directory backend (the default).

A backend stores a finished local file under a key (``<job id>.mp4``, ``<job id>-2.png``), deletes one, and
says where a person can fetch it (``link``; ``None`` when it cannot say). The local backend writes each file
atomically — a temp file in the same directory, then a rename — so a crash never leaves half a video under a
real key; its links come from the bot's signed archive route when the runtime serves one
(``bot.archive_host``), else there are none.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

#: An archive key: a job id, an optional image index, a known extension. Nothing else reaches a path.
KEY = re.compile(r"[a-z0-9]{4,32}(-[0-9]{1,2})?\.(mp4|png|jpg|webp|bmp)")

CONTENT_TYPES = {"mp4": "video/mp4", "png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
                 "bmp": "image/bmp"}


def valid_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


def content_type_of(key: str) -> str:
    return CONTENT_TYPES[key.rsplit(".", 1)[1]]


class ArchiveBackend(Protocol):
    #: What the rows record as the backend: "local" or "s3".
    name: str

    async def put(self, key: str, source: Path, content_type: str) -> None:
        """Store ``source``'s bytes under ``key`` (replacing any), complete or not at all."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; a key already gone is fine."""
        ...

    async def link(self, key: str) -> str | None:
        """A link a person can open to fetch ``key``, or ``None``."""
        ...


class LocalDirBackend:
    """Files under ``root``, named by their key; ``signer`` (key → signed URL, or None) makes links."""

    name = "local"

    def __init__(self, root: Path, *, signer: Callable[[str], str | None] | None = None) -> None:
        self.root = root
        self.signer = signer

    def path_of(self, key: str) -> Path | None:
        """The file behind ``key`` (what the archive route serves), or ``None`` for a bad key or no file."""
        if not valid_key(key):
            return None
        path = self.root / key
        return path if path.is_file() else None

    async def put(self, key: str, source: Path, content_type: str) -> None:
        if not valid_key(key):
            raise ValueError(f"not an archive key: {key!r}")
        await asyncio.to_thread(self._put, key, source)

    def _put(self, key: str, source: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f".{key}.{uuid.uuid4().hex}.tmp"
        try:
            try:
                os.link(source, temp)  # same file system (the spool lives under root): no copy at all
            except OSError:
                shutil.copyfile(source, temp)
            os.replace(temp, self.root / key)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    async def delete(self, key: str) -> None:
        if not valid_key(key):
            return
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread((self.root / key).unlink)

    async def link(self, key: str) -> str | None:
        if self.signer is None or self.path_of(key) is None:
            return None
        return self.signer(key)
