"""The audio check: is the file behind an ``audio_url`` one DashScope takes, before anything is spent.

The reference (``shared/docs/dashscope-wan.md``) allows WAV or MP3, 2–30 s, at most 15 MB; anything else
is refused by DashScope after the create was sent (and, for a task that fails late, after a queue slot,
a budget reservation and the user's wait). ``AudioCheck.check`` fetches the link itself and answers with
``AudioFacts`` or raises ``InvalidMedia`` carrying one sentence from ``core.messages``.

How, and why this way:

* the fetch is ``core.fetching.SafeFetch`` (shared with the image check, ``core.image_check``): the body is
  **streamed** and the fetch stops as soon as it passes ``max_bytes`` — a ``Content-Length`` over the cap
  refuses early, but a missing or lying header (HEAD is not even asked) cannot make wanbot read more than
  the cap plus one chunk;
* the file is probed with PyAV (``core.probing``): FFmpeg's own demuxer names the container (``wav`` /
  ``mp3``), the streams and the duration as typed fields. The container is what is checked, not the URL's
  suffix or the ``Content-Type``, which are whatever the host says;
* with ``public_only`` (the default: real DashScope fetches from the internet) a link whose host resolves to
  a loopback, private, link-local or otherwise non-global address is refused before it is fetched, and
  redirects are followed by hand (at most ``MAX_REDIRECTS``) so each hop is checked the same way: a chat
  user must not be able to make the bot probe its own network (``http://169.254.169.254/…``,
  ``http://localhost:…/metrics``). A sandbox (embedded, or at a base on this network: ``on_private_network``)
  can reach this network's links, so there it is off;
* the probe, and writing and removing the temporary file, run in a thread: the event loop never blocks.
  The whole check is bounded by ``timeout`` seconds, and at most ``concurrency``
  checks hold a file in memory at once.

``load`` checks an ``InputFile`` (an attachment with its one-time headers, issue 12) the same way and also
returns the bytes, for the media stash to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
from yarl import URL

from core.errors import InvalidMedia
from core.fetching import MAX_REDIRECTS, Resolve, SafeFetch, resolve_host
from core.inputs import InputFile
from core.messages import Messages
from core.probing import probe_audio

#: The reference's limits for ``audio_url`` (wan2.7-t2v, wan2.6/2.5 t2v, wan2.7-i2v driving audio).
MAX_AUDIO_BYTES = 15 * 1000 * 1000
MIN_AUDIO_SECONDS = 2.0
MAX_AUDIO_SECONDS = 30.0
#: Containers DashScope takes, as ffmpeg names them.
AUDIO_FORMATS = frozenset({"wav", "mp3"})
#: MP3 encoders pad the last frame (a 2.000 s WAV becomes a ~2.04 s MP3): a file within this of a
#: bound is the length the person meant, not one to refuse.
DURATION_SLACK = 0.1
#: Seconds for the fetch and the probe together.
CHECK_TIMEOUT = 20.0
#: Checks running at once: each may hold up to ``max_bytes`` in memory.
CHECK_CONCURRENCY = 4
#: The content type the stash keeps each container under.
AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}



@dataclass(frozen=True)
class AudioFacts:
    """What the check found: the container (``wav``/``mp3``), the length in seconds, the byte size."""

    format: str
    duration: float
    size: int

    @property
    def content_type(self) -> str:
        return AUDIO_TYPES[self.format]


class AudioChecker(Protocol):
    """What the use-case layer needs of a check (``AudioCheck``, or a test's stand-in)."""

    async def check(self, url: str) -> AudioFacts: ...
    async def load(self, file: InputFile) -> tuple[AudioFacts, bytes]: ...


def on_private_network(base_url: str) -> bool:
    """True when ``base_url``'s host is this machine or a private address (a sandbox or a proxy run
    locally): a service there can fetch links on that network too, so ``public_only`` would be wrong."""
    host = URL(base_url).host or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False  # a name: the real service (or a gateway) on the internet


class AudioCheck:
    """Fetches and probes an audio link against the reference's limits (one instance per bot)."""

    def __init__(self, session: aiohttp.ClientSession, messages: Messages, *,
                 max_bytes: int = MAX_AUDIO_BYTES, min_seconds: float = MIN_AUDIO_SECONDS,
                 max_seconds: float = MAX_AUDIO_SECONDS, timeout: float = CHECK_TIMEOUT,
                 workdir: Path | None = None, public_only: bool = True,
                 resolve: Resolve = resolve_host, concurrency: int = CHECK_CONCURRENCY) -> None:
        self.session = session
        #: Bounds memory (``concurrency`` × ``max_bytes``) when many people attach audio at once; a check
        #: that waits here too long times out like a slow host.
        self._slots = asyncio.Semaphore(concurrency)
        self.public_only = public_only
        self.resolve = resolve
        self.messages = messages
        self.max_bytes = max_bytes
        self.min_seconds = min_seconds
        self.max_seconds = max_seconds
        self.timeout = timeout
        self.workdir = workdir
        self.fetch = SafeFetch(session, messages, prefix="audio", field="audio_url", public_only=public_only,
                               resolve=resolve)

    def _refuse(self, key: str, **fields: object) -> InvalidMedia:
        return InvalidMedia(self.messages(key, **fields), field="audio_url")

    async def check(self, url: str) -> AudioFacts:
        """The file's facts when DashScope would take it; else ``InvalidMedia`` with the sentence to show."""
        facts, _ = await self.load(InputFile(url))
        return facts

    async def load(self, file: InputFile) -> tuple[AudioFacts, bytes]:
        """``check`` for a file handed over (its one-time headers used for the fetch), with its bytes."""
        try:
            async with asyncio.timeout(self.timeout), self._slots:
                data = await self.fetch.file(file, self.max_bytes)
                return await self._probe(data), data
        except TimeoutError:
            raise self._refuse("audio.timeout", seconds=f"{self.timeout:g}") from None

    async def _probe(self, data: bytes) -> AudioFacts:
        path = await asyncio.to_thread(_write_temp, data, self.workdir)
        try:
            probed = await probe_audio(path)
        finally:
            await asyncio.to_thread(_unlink, path)
        found = probed.formats & AUDIO_FORMATS if probed is not None else frozenset()
        seconds = probed.duration if probed is not None else None
        if probed is None or probed.codec is None or seconds is None or not found:
            raise self._refuse("audio.not_audio")
        if seconds < self.min_seconds - DURATION_SLACK or seconds > self.max_seconds + DURATION_SLACK:
            raise self._refuse("audio.duration", seconds=f"{seconds:.1f}", low=f"{self.min_seconds:g}",
                               high=f"{self.max_seconds:g}")
        return AudioFacts(format=sorted(found)[0], duration=seconds, size=len(data))


def _write_temp(data: bytes, workdir: Path | None) -> Path:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="wanbot-audio-", dir=workdir)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


__all__ = ["AUDIO_FORMATS", "AUDIO_TYPES", "MAX_AUDIO_BYTES", "MAX_REDIRECTS", "MAX_AUDIO_SECONDS",
           "MIN_AUDIO_SECONDS", "AudioCheck",
           "AudioChecker", "AudioFacts", "Resolve", "on_private_network",
           "resolve_host"]
