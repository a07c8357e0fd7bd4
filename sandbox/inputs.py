"""Input media the service reads itself: the images of an image edit and the frames of wan2.7-i2v.

DashScope fetches every ``image`` / ``media[].url`` it is handed before it accepts the request; so does the
sandbox (``load_image`` / ``load_images``), at create time, answering 400 ``InvalidParameter`` on anything the
reference refuses (``shared/docs/dashscope-wan.md``): JPEG, PNG without alpha, BMP or WEBP — judged by the
bytes, never the URL's suffix or the ``Content-Type`` — 240–8,000 px per side, aspect 1:8–8:1, at most 20 MB,
at most 9 images. A link is ``http(s)://`` (fetched, streamed and cut off past the cap, bounded by a timeout;
loopback hosts are fine — the sandbox runs next to its client) or a ``data:{mime};base64,`` URI (decoded).
``oss://`` (DashScope's own upload store, which the official SDK uses for local files) cannot be read here and
is refused with a sentence that says so — a sandbox choice.

The messages follow the service's wording where field reports show it ("Download the media resource timed
out during the data inspection process.", "Failed to download multimodal content"); clients must match the
code, not the text. Size, format and alpha are read from the file header by hand (no imaging library); the
pixels are only touched by ffmpeg when a result is rendered (``sandbox.derive``). Each accepted file is
kept in the media cache under its content hash, so a result can be rendered from it later, after the link
is gone, and the same file is stored once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from sandbox.errors import ApiError, invalid
from sandbox.validation import ImageJob

#: The reference's limits for an input image ("20 MB" read as 20,000,000 bytes, as ``core.image_check`` does:
#: the sandbox and wanbot's own check then agree to the byte).
MAX_IMAGE_BYTES = 20 * 1000 * 1000
MIN_SIDE = 240
MAX_SIDE = 8000
MAX_ASPECT = 8.0
MAX_IMAGES = 9
#: Seconds a fetch may take before the service gives up on it.
FETCH_TIMEOUT = 20.0
_CHUNK = 64 * 1024

MSG_TIMED_OUT = "Download the media resource timed out during the data inspection process."
MSG_DOWNLOAD_FAILED = "Failed to download multimodal content"
MSG_BAD_URL = "The provided URL does not appear to be valid. Ensure it is correctly formatted."

_EXT = {"jpeg": "jpg", "png": "png", "bmp": "bmp", "webp": "webp"}


@dataclass(frozen=True)
class ImageFacts:
    """What the header says: the container (``jpeg``/``png``/``bmp``/``webp``), the size, and alpha."""

    format: str
    width: int
    height: int
    alpha: bool = False

    @property
    def aspect(self) -> float:
        return self.width / self.height


@dataclass(frozen=True)
class InputImage:
    """An accepted input image: its facts and the cached copy a render reads."""

    facts: ImageFacts
    path: Path
    size: int


# -- headers ------------------------------------------------------------------------------------------------


def _jpeg(data: bytes) -> ImageFacts | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # standalone markers carry no length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return ImageFacts("jpeg", width, height)
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        i += 2 + length
    return None


def _png(data: bytes) -> ImageFacts | None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    colour_type = data[25]
    alpha = colour_type in (4, 6)
    i = 33  # after IHDR: a tRNS chunk before the image data makes a colour transparent — alpha too
    while not alpha and i + 8 <= len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        tag = data[i + 4:i + 8]
        if tag in (b"IDAT", b"IEND"):
            break
        alpha = tag == b"tRNS"
        i += 12 + length
    return ImageFacts("png", width, height, alpha)


def _bmp(data: bytes) -> ImageFacts | None:
    if len(data) < 26:
        return None
    (header,) = struct.unpack("<I", data[14:18])
    if header == 12:  # OS/2 BITMAPCOREHEADER
        width, height = struct.unpack("<HH", data[18:22])
        return ImageFacts("bmp", width, height)
    width, height = struct.unpack("<ii", data[18:26])
    return ImageFacts("bmp", abs(width), abs(height))  # a negative height is a top-down bitmap


def _webp(data: bytes) -> ImageFacts | None:
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return ImageFacts("webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return ImageFacts("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1))
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return ImageFacts("webp", width, height, bool(data[20] & 0x10))
    return None


def sniff_image(data: bytes) -> ImageFacts | None:
    """The facts of a JPEG, PNG, BMP or WEBP file from its first bytes; ``None`` for anything else."""
    try:
        if data.startswith(b"\xff\xd8"):
            return _jpeg(data)
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(data)
        if data.startswith(b"BM"):
            return _bmp(data)
        if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            return _webp(data)
    except struct.error:  # a truncated header
        return None
    return None


def check_image(data: bytes, where: str) -> ImageFacts:
    """The facts of an image the service takes; else 400 ``InvalidParameter`` naming ``where``."""
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large(where, MAX_IMAGE_BYTES)
    facts = sniff_image(data)
    if facts is None:
        raise invalid(f"The image format of `{where}` is not supported: use JPEG, PNG, BMP or WEBP.")
    if facts.format == "png" and facts.alpha:
        raise invalid(f"The image at `{where}` is a PNG with an alpha channel, which is not supported.")
    if not (MIN_SIDE <= facts.width <= MAX_SIDE and MIN_SIDE <= facts.height <= MAX_SIDE):
        raise invalid(f"The image at `{where}` is {facts.width}x{facts.height}: each side must be between "
                      f"{MIN_SIDE} and {MAX_SIDE} pixels.")
    if not 1 / MAX_ASPECT <= facts.aspect <= MAX_ASPECT:
        raise invalid(f"The aspect ratio of the image at `{where}` ({facts.width}x{facts.height}) must be "
                      "between 1:8 and 8:1.")
    return facts


# -- fetching -----------------------------------------------------------------------------------------------


def _too_large(where: str, max_bytes: int) -> ApiError:
    return invalid(f"The file at `{where}` is larger than {max_bytes / 1e6:g}MB.")


def decode_data_uri(uri: str, where: str) -> bytes:
    """The bytes of a ``data:{mime};base64,...`` URI (the only data form the service documents)."""
    head, sep, payload = uri.partition(",")
    if not sep or not head.endswith(";base64"):
        raise invalid(f"The data URI at `{where}` must be data:{{mime}};base64,... .")
    if len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise _too_large(where, MAX_IMAGE_BYTES)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"The data URI at `{where}` is not valid base64.") from None


async def fetch(url: str, where: str, *, timeout: float = FETCH_TIMEOUT,
                max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The bytes behind ``url`` (``http(s)`` or ``data:``), at most ``max_bytes`` + one chunk read."""
    if url.startswith("data:"):
        # Up to 27 MB of base64: decoded in a thread, not on the loop.
        return await asyncio.to_thread(decode_data_uri, url, where)
    if url.startswith("oss://"):
        raise invalid(f"The sandbox cannot read DashScope's upload store (`{where}` is an oss:// link): "
                      "send an http(s) URL or a data URI.")
    if not url.startswith(("http://", "https://")):
        raise invalid(MSG_BAD_URL)
    try:
        async with asyncio.timeout(timeout), aiohttp.ClientSession() as session, session.get(url) as rsp:
            if rsp.status != 200:
                raise invalid(MSG_DOWNLOAD_FAILED)
            if (rsp.content_length or 0) > max_bytes:
                raise _too_large(where, max_bytes)
            chunks: list[bytes] = []
            total = 0
            async for chunk in rsp.content.iter_chunked(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise _too_large(where, max_bytes)
                chunks.append(chunk)
            return b"".join(chunks)
    except TimeoutError:
        raise invalid(MSG_TIMED_OUT) from None
    except (aiohttp.ClientError, ValueError):
        raise invalid(MSG_DOWNLOAD_FAILED) from None


def _keep(cache_dir: Path, data: bytes, ext: str) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"input-{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{id(data)}.part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


async def keep_file(cache_dir: Path, data: bytes, ext: str) -> Path:
    """Store ``data`` in the cache under its content hash (in a thread: it may be 20 MB)."""
    return await asyncio.to_thread(_keep, cache_dir, data, ext)


async def load_image(url: str, where: str, cache_dir: Path, *, timeout: float = FETCH_TIMEOUT) -> InputImage:
    """Fetch, check and keep one input image; 400 ``InvalidParameter`` on anything the service refuses."""
    data = await fetch(url, where, timeout=timeout)
    facts = check_image(data, where)
    path = await keep_file(cache_dir, data, _EXT[facts.format])
    return InputImage(facts=facts, path=path, size=len(data))


async def load_images(urls: Sequence[tuple[str, str]], cache_dir: Path, *,
                      timeout: float = FETCH_TIMEOUT) -> tuple[InputImage, ...]:
    """``load_image`` for each ``(url, where)`` at once; the first refusal (in order) is the answer."""
    results = await asyncio.gather(*(load_image(url, where, cache_dir, timeout=timeout) for url, where in urls),
                                   return_exceptions=True)
    for result in results:
        if isinstance(result, ApiError):
            raise result
        if isinstance(result, BaseException):
            raise result
    return tuple(r for r in results if isinstance(r, InputImage))


def fit_aspect(budget_pixels: int, aspect: float, *, even: bool = False) -> tuple[int, int]:
    """The width and height holding about ``budget_pixels`` at ``aspect`` (width / height).

    ``even`` rounds both to even numbers (H.264 with 4:2:0 chroma needs them)."""
    width = math.sqrt(budget_pixels * aspect)
    height = width / aspect
    if even:
        return max(2, round(width / 2) * 2), max(2, round(height / 2) * 2)
    return max(1, round(width)), max(1, round(height))


async def prepare_edit(job: ImageJob, cache_dir: Path, *,
                       timeout: float = FETCH_TIMEOUT) -> tuple[ImageJob, Path | None]:
    """An image job with its input images fetched and checked: reshaped to the last image's aspect (the size's
    pixels kept), and the cached last image the results are rendered from. A text-to-image job is unchanged."""
    if not job.images:
        return job, None
    links = [(url, f"input.messages[0].content image {i + 1}") for i, url in enumerate(job.images)]
    loaded = await load_images(links, cache_dir, timeout=timeout)
    width, height = fit_aspect(job.width * job.height, loaded[-1].facts.aspect)
    return dataclasses.replace(job, width=width, height=height), loaded[-1].path
