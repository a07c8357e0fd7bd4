"""The input image check: is a file a person handed wanbot one DashScope's image models take, before
anything is spent.

The reference (``shared/docs/dashscope-wan.md``, image editing and wan2.7-i2v) allows JPEG, PNG without
alpha, BMP or WEBP, each side 240–8,000 px, aspect 1:8 to 8:1, at most 20 MB. ``ImageCheck.load`` fetches
an ``InputFile`` (a link with its one-time headers, a ``data:`` URI, or — console only — a local path),
checks it and answers with ``CheckedImage`` (the bytes to keep in the media stash) or raises
``InvalidMedia`` with one sentence from ``core.messages``.

The fetch is the audio check's (``core.media_check.SafeFetch``): streamed, stopped past the cap, every
redirect hop checked against private addresses when ``public_only``. The format is read from the content
with Pillow (only the header is decoded, in a thread), never from the name or the ``Content-Type``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from core.inputs import InputFile
from core.media_check import Resolve, resolve_host
from core.messages import Messages

MAX_IMAGE_BYTES = 20 * 1000 * 1000
MIN_SIDE = 240
MAX_SIDE = 8000
MAX_ASPECT = 8.0
#: Seconds for the fetch and the probe together.
IMAGE_CHECK_TIMEOUT = 20.0


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed: its bytes, its content type (from the content), its size in pixels."""

    data: bytes
    content_type: str
    width: int
    height: int


class ImageCheck:
    """Fetches and checks input images against the reference's limits (one instance per bot)."""

    def __init__(self, session: aiohttp.ClientSession | None, messages: Messages, *,
                 max_bytes: int = MAX_IMAGE_BYTES, timeout: float = IMAGE_CHECK_TIMEOUT,
                 public_only: bool = True, resolve: Resolve = resolve_host, allow_paths: bool = False) -> None:
        self.session = session
        self.messages = messages
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.public_only = public_only
        self.resolve = resolve
        #: Local paths are read only where the person is the operator (the console).
        self.allow_paths = allow_paths

    async def load(self, file: InputFile) -> CheckedImage:
        """The image when DashScope would take it; else ``InvalidMedia`` with the sentence to show."""
        raise NotImplementedError  # contract skeleton: implemented in the next commits


__all__ = ["IMAGE_CHECK_TIMEOUT", "MAX_ASPECT", "MAX_IMAGE_BYTES", "MAX_SIDE", "MIN_SIDE", "CheckedImage",
           "ImageCheck"]
