"""The media route: signed links to stashed files, served from disk on the bot's one HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.http import HttpServer
from bot.media_host import SECRET_FILE, SignedMediaHost, load_secret, sweep, sweep_forever, valid_key
from bot.redact import redact_url
from tests.fakes.clock import FakeClock
from tests.fakes.until import until

SECRET = b"0123456789abcdef-test-secret"
NOW = 1_800_000_000.0


class DirFiles:
    """A stand-in stash: keys are file names in one directory (the real one is core.media_stash)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.asked: list[str] = []

    def path_of(self, key: str) -> Path | None:
        self.asked.append(key)
        path = self.root / key
        return path if valid_key(key) and path.is_file() else None

    def put(self, data: bytes, ext: str) -> str:
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        (self.root / key).write_bytes(data)
        return key


@dataclass
class Served:
    http: HttpServer
    host: SignedMediaHost
    files: DirFiles
    clock: FakeClock

    @property
    def base(self) -> str:
        assert self.http.url is not None
        return self.http.url


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    clock = FakeClock(start=NOW)
    files = DirFiles(tmp_path)
    http = HttpServer("127.0.0.1", 0)
    host = SignedMediaHost(files, SECRET, lambda: http.url, clock=clock)
    host.mount(http)
    await http.start()
    try:
        yield Served(http, host, files, clock)
    finally:
        await http.close()


async def fetch(url: str, method: str = "GET") -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as session, session.request(method, url) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


def signed(key: str, exp: int) -> str:
    return hmac.new(SECRET, f"{key}:{exp}".encode(), hashlib.sha256).hexdigest()


async def test_a_signed_link_serves_the_file_with_the_extensions_type(served: Served) -> None:
    wav = served.files.put(b"RIFF....WAVEfmt fake", "wav")
    png = served.files.put(b"\x89PNG\r\n\x1a\nfake", "png")
    mp3 = served.files.put(b"ID3fake", "mp3")
    for key, data, content_type in ((wav, b"RIFF....WAVEfmt fake", "audio/wav"),
                                    (png, b"\x89PNG\r\n\x1a\nfake", "image/png"), (mp3, b"ID3fake", "audio/mpeg")):
        url = served.host.url_for(key, ttl_seconds=3600)
        assert url.startswith(f"{served.base}/media/{key}?exp={int(NOW) + 3600}&sig=")
        # The signature is HMAC-SHA256(secret, "key:exp"), computed here independently of the code.
        assert url.endswith(signed(key, int(NOW) + 3600))
        assert await fetch(url) == (200, content_type, data)
    status, content_type, body = await fetch(served.host.url_for(wav, ttl_seconds=60), "HEAD")
    assert (status, content_type, body) == (200, "audio/wav", b"")


async def test_a_bad_signature_or_an_expired_link_is_403_and_never_looks_for_the_file(served: Served) -> None:
    key = served.files.put(b"some audio", "wav")
    exp = int(NOW) + 600
    good = signed(key, exp)
    bad = [
        f"exp={exp}&sig={'0' * 64}",                    # wrong signature
        f"exp={exp + 1}&sig={good}",                    # exp changed after signing
        f"exp={exp}&sig={good[:-1]}",                   # truncated
        f"exp={exp}&sig={good.upper()}",                # not the hex we sign with
        f"exp={exp}",                                   # no signature
        f"sig={good}",                                  # no expiry
        f"exp=-{exp}&sig={good}",
    ]
    for query in bad:
        status, _, _ = await fetch(f"{served.base}/media/{key}?{query}")
        assert status == 403, query
    other = served.files.put(b"another file", "wav")
    assert (await fetch(f"{served.base}/media/{other}?exp={exp}&sig={good}"))[0] == 403  # another key's sig
    assert served.files.asked == []

    url = served.host.url_for(key, ttl_seconds=600)
    assert (await fetch(url))[0] == 200
    served.clock.advance(600)
    assert (await fetch(url))[0] == 200  # valid through its last second
    served.clock.advance(1)
    assert (await fetch(url))[0] == 403


async def test_an_unknown_key_is_404_only_with_a_valid_signature(served: Served) -> None:
    key = hashlib.sha256(b"never kept").hexdigest() + ".png"
    assert (await fetch(served.host.url_for(key, ttl_seconds=60)))[0] == 404
    assert (await fetch(f"{served.base}/media/{key}?exp={int(NOW) + 60}&sig={'a' * 64}"))[0] == 403


@pytest.mark.parametrize("path", [
    "/media/..%2F" + SECRET_FILE,
    "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/../" + SECRET_FILE,
    "/media/" + SECRET_FILE,
    "/media/sub/" + "a" * 64 + ".png",
    "/media/" + "a" * 64 + ".png/..",
    "/media/" + "a" * 64 + ".exe",
    "/media/" + "A" * 64 + ".png",
    "/media/" + "a" * 63 + ".png",
    "/media/",
])
async def test_a_path_that_is_not_a_key_never_reaches_the_disk(served: Served, path: str) -> None:
    (served.files.root / SECRET_FILE).write_text("the-secret-value-on-disk")
    (served.files.root / "sub").mkdir(exist_ok=True)
    (served.files.root / "sub" / ("a" * 64 + ".png")).write_bytes(b"nested")
    # Even "signed" for the text after /media/, a non-key is refused before any signature check or lookup.
    tail = path[len("/media/"):]
    exp = int(NOW) + 60
    async with aiohttp.ClientSession() as session:
        url = f"{served.base}{path}?exp={exp}&sig={signed(tail, exp)}"
        async with session.get(url) as resp:
            body = await resp.read()
            assert resp.status in (403, 404), (path, resp.status)
            assert b"the-secret-value-on-disk" not in body and b"nested" not in body
    assert served.files.asked == []
    assert not valid_key(tail)


async def test_the_file_is_streamed_from_disk_not_read_into_memory(tmp_path: Path) -> None:
    files = DirFiles(tmp_path)
    data = os.urandom(3 * 1024 * 1024)
    key = files.put(data, "mp3")
    clock = FakeClock(start=NOW)
    host = SignedMediaHost(files, SECRET, lambda: "http://127.0.0.1:9", clock=clock)
    exp = int(NOW) + 60
    request = make_mocked_request("GET", f"/media/{key}?exp={exp}&sig={signed(key, exp)}")
    response = await host.handle(request)
    assert isinstance(response, web.FileResponse)  # aiohttp's sendfile path: chunks from the file
    assert response.headers["Content-Type"] == "audio/mpeg"

    http = HttpServer("127.0.0.1", 0)
    host = SignedMediaHost(files, SECRET, lambda: http.url, clock=clock)
    host.mount(http)
    await http.start()
    try:
        status, _, body = await fetch(host.url_for(key, ttl_seconds=60))
    finally:
        await http.close()
    assert status == 200 and body == data


async def test_while_draining_the_route_answers_503(served: Served) -> None:
    key = served.files.put(b"audio", "wav")
    url = served.host.url_for(key, ttl_seconds=60)
    served.http.begin_drain()
    status, _, _ = await fetch(url)
    assert status == 503
    assert served.files.asked == []


async def test_url_for_refuses_a_non_key_and_a_server_not_listening(tmp_path: Path) -> None:
    host = SignedMediaHost(DirFiles(tmp_path), SECRET, lambda: None)
    with pytest.raises(ValueError):
        host.url_for("../x.png", ttl_seconds=60)
    with pytest.raises(RuntimeError):
        host.url_for("a" * 64 + ".png", ttl_seconds=60)


def test_a_logged_link_hides_its_signature() -> None:
    url = f"https://wanbot.example.com/media/{'a' * 64}.png?exp=1&sig={'b' * 64}"
    assert "b" * 64 not in redact_url(url) and "exp=1" in redact_url(url)


def test_the_generated_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    first = load_secret(None, tmp_path / "media")
    path = tmp_path / "media" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_secret(None, tmp_path / "media") == first  # a restart signs the same links
    assert load_secret("configured-secret-123", tmp_path / "other") == b"configured-secret-123"
    assert not (tmp_path / "other").exists()
    path.write_text("short")
    with pytest.raises(ValueError):
        load_secret(None, tmp_path / "media")


def test_the_sweep_deletes_only_stash_files_unused_for_the_retention(tmp_path: Path) -> None:
    files = DirFiles(tmp_path)
    old = files.put(b"old", "wav")
    fresh = files.put(b"fresh", "png")
    (tmp_path / "shard").mkdir()
    nested_old = tmp_path / "shard" / (hashlib.sha256(b"n").hexdigest() + ".mp3")
    nested_old.write_bytes(b"n")
    secret = tmp_path / SECRET_FILE
    secret.write_text("x" * 64)
    stray = tmp_path / "notes.txt"
    stray.write_text("operator's file")
    day = 86400.0
    for path in (tmp_path / old, nested_old, secret, stray):
        os.utime(path, (NOW - 31 * day, NOW - 31 * day))
    os.utime(tmp_path / fresh, (NOW - 29 * day, NOW - 29 * day))
    assert sweep(tmp_path, 30 * day, NOW) == 2
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted([fresh, SECRET_FILE, "notes.txt"])
    assert sweep(tmp_path / "missing", 30 * day, NOW) == 0


async def test_serving_a_file_counts_as_using_it(served: Served) -> None:
    key = served.files.put(b"audio", "wav")
    path = served.files.root / key
    os.utime(path, (NOW - 40 * 86400, NOW - 40 * 86400))
    assert (await fetch(served.host.url_for(key, ttl_seconds=60)))[0] == 200
    assert sweep(served.files.root, 30 * 86400, path.stat().st_mtime) == 0
    assert path.exists()


async def test_the_periodic_sweep_runs_now_and_every_interval_as_time_passes(tmp_path: Path) -> None:
    clock = FakeClock(start=NOW)
    files = DirFiles(tmp_path)
    day = 86400.0
    young = files.put(b"young", "wav")
    os.utime(tmp_path / young, (NOW - 29.5 * day, NOW - 29.5 * day))
    old = files.put(b"old", "png")
    os.utime(tmp_path / old, (NOW - 31 * day, NOW - 31 * day))
    clock.start()
    task = asyncio.create_task(sweep_forever(tmp_path, 30 * day, interval=3600, clock=clock, sleep=clock.sleep))
    try:
        await until(lambda: not (tmp_path / old).exists(), "the first sweep at start", clock=clock)
        assert (tmp_path / young).exists()
        await until(lambda: not (tmp_path / young).exists(), "a later sweep, once the young file is past 30 days",
                    clock=clock)
        # Hourly: the sweep that took it ran at the first whole hour past its 30 days (12 h in), not later.
        assert NOW + 12 * 3600 <= clock.now <= NOW + 13 * 3600
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await clock.stop()


def test_the_sweep_takes_temp_files_a_crash_left_but_not_a_write_in_progress(tmp_path: Path) -> None:
    """A crash between the stash's temp write and its rename left ``.keep-*`` files nobody ever removed."""
    abandoned = tmp_path / ".keep-abc123"
    abandoned.write_bytes(b"half a file")
    os.utime(abandoned, (NOW - 2 * 3600, NOW - 2 * 3600))
    writing = tmp_path / ".keep-def456"
    writing.write_bytes(b"being written")
    os.utime(writing, (NOW - 5, NOW - 5))
    assert sweep(tmp_path, 30 * 86400.0, NOW) == 1
    assert not abandoned.exists() and writing.exists()
