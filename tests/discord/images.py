"""Small real image files for the Discord tests, written by hand (no imaging library needed): a PNG of one
colour, and a file that only claims to be an image."""

from __future__ import annotations

import base64
import struct
import zlib

import aiohttp


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int = 320, height: int = 240, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """An RGB PNG (no alpha, as DashScope wants) of one colour."""
    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(row * height))
            + _chunk(b"IEND", b""))


#: The first bytes of a PDF: what a person attaching a document instead of a picture sends.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def data_uri_bytes(uri: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a ``data:<mime>;base64,…`` URI."""
    head, _, payload = uri.partition(",")
    assert head.startswith("data:") and head.endswith(";base64"), head
    return head[5:-7], base64.b64decode(payload)


async def fetched(url: str) -> tuple[str, bytes]:
    """(mime type, bytes) of what DashScope was sent for a file: a ``data:`` URI decoded, or a link (the
    bot's media host) fetched the way DashScope would, with no credentials."""
    if url.startswith("data:"):
        return data_uri_bytes(url)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, (url, response.status)
        return response.content_type, await response.read()
