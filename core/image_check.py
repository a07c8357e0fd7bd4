"""The input image check: is a file a person handed wanbot one DashScope's image models take, before
anything is spent.

The reference (``shared/docs/dashscope-wan.md``, image editing and wan2.7-i2v) allows JPEG, PNG without
alpha, BMP or WEBP, each side 240–8,000 px, aspect 1:8 to 8:1, at most 20 MB. ``ImageCheck.load`` fetches
an ``InputFile`` (a link with its one-time headers, or a ``data:`` URI: the console sends a path as one),
checks it and answers with ``CheckedImage`` (the bytes to keep in the media stash) or raises
``InvalidMedia`` with one sentence from ``core.messages``.

The fetch is the audio check's (``core.media_check.SafeFetch``): streamed, stopped past the cap, every
redirect hop checked against private addresses when ``public_only``. The format is read from the content
with Pillow (only the header is decoded, in a thread), never from the name or the ``Content-Type``.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from dataclasses import dataclass

import aiohttp
from PIL import Image, UnidentifiedImageError

from core.errors import InvalidMedia
from core.fetching import Resolve, SafeFetch, resolve_host
from core.inputs import InputFile
from core.messages import Messages

MAX_IMAGE_BYTES = 20 * 1000 * 1000
MIN_SIDE = 240
MAX_SIDE = 8000
MAX_ASPECT = 8.0
#: Seconds for the fetch and the probe together.
IMAGE_CHECK_TIMEOUT = 20.0
#: Pillow's format name → the content type kept and sent. MPO is how Pillow names a camera's JPEG that
#: carries a second (depth or preview) picture: it is a JPEG file.
IMAGE_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "BMP": "image/bmp",
               "WEBP": "image/webp"}
#: PNG modes that carry an alpha channel (DashScope refuses PNG with alpha).
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class ImageFacts:
    """What the header says: Pillow's format name, the size, and whether it has transparency."""

    format: str
    width: int
    height: int
    alpha: bool


def read_header(data: bytes) -> ImageFacts | None:
    """The image's facts from its header (no pixel is decoded); None when it is no image Pillow reads.

    Blocking work: call it through ``asyncio.to_thread``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                alpha = image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info)
                return ImageFacts(str(image.format or ""), image.width, image.height, alpha)
    except Image.DecompressionBombError:
        # Over Pillow's pixel cap (far past 8,000 × 8,000): report it as too many pixels on a side.
        return ImageFacts("huge", MAX_SIDE + 1, MAX_SIDE + 1, False)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


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
                 public_only: bool = True, resolve: Resolve = resolve_host) -> None:
        self.messages = messages
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.fetch = SafeFetch(session, messages, prefix="image", field="images", public_only=public_only,
                               resolve=resolve)

    def _refuse(self, key: str, **fields: object) -> InvalidMedia:
        return InvalidMedia(self.messages(key, **fields), field="images")

    async def load(self, file: InputFile) -> CheckedImage:
        """The image when DashScope would take it; else ``InvalidMedia`` with the sentence to show."""
        try:
            async with asyncio.timeout(self.timeout):
                data = await self.fetch.file(file, self.max_bytes)
                return await self.check_bytes(data)
        except TimeoutError:
            raise self._refuse("image.timeout", seconds=f"{self.timeout:g}") from None

    async def check_bytes(self, data: bytes) -> CheckedImage:
        """The rules on bytes already read: format by content, no PNG alpha, sides, aspect."""
        facts = await asyncio.to_thread(read_header, data)
        if facts is None or (facts.format not in IMAGE_TYPES and facts.format != "huge"):
            raise self._refuse("image.not_image")
        width, height = facts.width, facts.height
        if facts.format == "huge":
            raise self._refuse("image.huge", low=MIN_SIDE, high=f"{MAX_SIDE:,}")
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise self._refuse("image.side", width=width, height=height, low=MIN_SIDE, high=f"{MAX_SIDE:,}")
        if max(width, height) > MAX_ASPECT * min(width, height):
            raise self._refuse("image.aspect", width=width, height=height)
        if facts.format == "PNG" and facts.alpha:
            raise self._refuse("image.alpha")
        return CheckedImage(data, IMAGE_TYPES[facts.format], width, height)


__all__ = ["IMAGE_CHECK_TIMEOUT", "IMAGE_TYPES", "MAX_ASPECT", "MAX_IMAGE_BYTES", "MAX_SIDE", "MIN_SIDE",
           "CheckedImage", "ImageCheck", "ImageFacts", "read_header"]
