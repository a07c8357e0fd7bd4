"""``sandbox.inputs``: the header reader and the output-size arithmetic, without a server."""

from __future__ import annotations

import struct

import pytest

from sandbox.errors import ApiError
from sandbox.inputs import ImageFacts, check_image, fit_aspect, sniff_image
from tests.sandbox.inputs_kit import encoded, png


def _riff(chunk: bytes, body: bytes) -> bytes:
    payload = b"WEBP" + chunk + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


async def test_encoded_files_are_read_by_content() -> None:
    for fmt in ("jpeg", "bmp", "webp", "png"):
        facts = sniff_image(await encoded(fmt, 321, 257, (10, 20, 30)))
        assert facts == ImageFacts(fmt, 321, 257), fmt


def test_webp_lossless_and_extended_headers() -> None:
    bits = (999 - 1) | ((600 - 1) << 14) | (1 << 28)  # 999×600 with the alpha hint
    lossless = _riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00" * 8)
    assert sniff_image(lossless) == ImageFacts("webp", 999, 600, True)
    extended = _riff(b"VP8X", bytes([0x10, 0, 0, 0]) + (1999).to_bytes(3, "little") + (299).to_bytes(3, "little")
                     + b"\x00" * 4)
    assert sniff_image(extended) == ImageFacts("webp", 2000, 300, True)


def test_bmp_top_down_and_os2_headers() -> None:
    top_down = b"BM" + b"\x00" * 12 + struct.pack("<Iii", 40, 640, -480) + b"\x00" * 30
    assert sniff_image(top_down) == ImageFacts("bmp", 640, 480)
    os2 = b"BM" + b"\x00" * 12 + struct.pack("<IHH", 12, 500, 400) + b"\x00" * 10
    assert sniff_image(os2) == ImageFacts("bmp", 500, 400)


def test_png_transparency_chunk_is_alpha() -> None:
    plain = png(300, 300, (1, 2, 3))
    trns = struct.pack(">I", 6) + b"tRNS" + b"\x00" * 6 + b"\x00" * 4
    with_trns = plain[:33] + trns + plain[33:]
    assert sniff_image(plain) == ImageFacts("png", 300, 300, False)
    assert sniff_image(with_trns) == ImageFacts("png", 300, 300, True)
    with pytest.raises(ApiError, match="alpha"):
        check_image(with_trns, "x")


def test_webp_with_alpha_is_allowed() -> None:
    # The reference refuses alpha only for PNG.
    extended = _riff(b"VP8X", bytes([0x10, 0, 0, 0]) + (499).to_bytes(3, "little") + (499).to_bytes(3, "little")
                     + b"\x00" * 4)
    assert check_image(extended, "x").alpha


def test_jpeg_fill_bytes_and_segments_before_the_frame() -> None:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
    sof = b"\xff\xff\xc0" + struct.pack(">HBHH", 17, 8, 720, 1280) + b"\x00" * 10
    assert sniff_image(b"\xff\xd8" + app0 + sof) == ImageFacts("jpeg", 1280, 720)
    assert sniff_image(b"\xff\xd8" + app0 + b"\xff\xda" + b"\x00" * 20) is None


def test_fit_aspect_keeps_the_budget_and_the_ratio() -> None:
    assert fit_aspect(1024 * 1024, 1.0) == (1024, 1024)
    width, height = fit_aspect(2048 * 2048, 2985 / 1405)
    assert abs(width - 2985) <= 1 and abs(height - 1405) <= 1  # the reference's own 2K example
    assert fit_aspect(1280 * 720, 16 / 9, even=True) == (1280, 720)
    w, h = fit_aspect(1920 * 1080, 3 / 7, even=True)
    assert w % 2 == 0 and h % 2 == 0 and abs(w / h - 3 / 7) < 0.01
