"""The media stash keeps files by content and resolves refs to what DashScope is sent."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from core.errors import InvalidMedia, MediaGone
from core.media_stash import MEDIA_REF_PREFIX, RESOLVE_TTL_SECONDS, MediaStash, key_of
from core.messages import Messages

M = Messages()
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10


class Host:
    def __init__(self) -> None:
        self.asked: list[tuple[str, float]] = []

    def url_for(self, key: str, *, ttl_seconds: float) -> str:
        self.asked.append((key, ttl_seconds))
        return f"https://bot.example/media/{key}?sig=x"


async def test_keep_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    stash = MediaStash(tmp_path)
    ref = await stash.keep(PNG, "image/png")
    assert ref == f"{MEDIA_REF_PREFIX}{hashlib.sha256(PNG).hexdigest()}.png"
    assert await stash.keep(PNG, "image/PNG; charset=binary") == ref
    assert await stash.read(ref) == (PNG, "image/png")
    key = key_of(ref)
    assert key is not None and stash.path_of(key) is not None
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


async def test_path_of_refuses_unknown_and_escaping_keys(tmp_path: Path) -> None:
    stash = MediaStash(tmp_path)
    assert stash.path_of("../etc/passwd") is None
    assert stash.path_of("0" * 64 + ".png") is None  # well formed, not kept
    assert stash.path_of("0" * 64 + ".exe") is None


async def test_read_of_a_missing_file_is_media_gone(tmp_path: Path) -> None:
    stash = MediaStash(tmp_path)
    with pytest.raises(MediaGone) as gone:
        await stash.read(MEDIA_REF_PREFIX + "1" * 64 + ".jpg")
    assert gone.value.message == M("media.gone")


async def test_resolve_without_a_host_sends_images_as_data_uris(tmp_path: Path) -> None:
    stash = MediaStash(tmp_path)
    ref = await stash.keep(PNG, "image/png")
    assert await stash.resolve(ref) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert await stash.resolve("https://example.com/a.png") == "https://example.com/a.png"


async def test_resolve_without_a_host_refuses_audio(tmp_path: Path) -> None:
    stash = MediaStash(tmp_path)
    ref = await stash.keep(b"RIFF....WAVE", "audio/wav")
    with pytest.raises(InvalidMedia) as refused:
        await stash.resolve(ref)
    assert refused.value.message == M("media.needs_host")


async def test_resolve_with_a_host_signs_for_48_hours(tmp_path: Path) -> None:
    host = Host()
    stash = MediaStash(tmp_path, host=host)
    ref = await stash.keep(b"RIFF....WAVE", "audio/wav")
    key = key_of(ref)
    assert await stash.resolve(ref) == f"https://bot.example/media/{key}?sig=x"
    assert host.asked == [(key, 48 * 3600.0)] and RESOLVE_TTL_SECONDS == 172800
    with pytest.raises(MediaGone):
        await stash.resolve(MEDIA_REF_PREFIX + "2" * 64 + ".png")


async def test_a_malformed_ref_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidMedia) as refused:
        await MediaStash(tmp_path).resolve("wanbot-media:../../x.png")
    assert refused.value.message == M("media.bad_ref")
