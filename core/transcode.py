"""The video transcoder: make a clip small enough for a chat platform's upload limit.

Owns everything wanbot does with ffmpeg: ``probe`` reads a file's duration, size and streams (through
PyAV: ``core.probing``), and ``fit_to_size`` re-encodes to H.264/AAC MP4 at a
bitrate computed from the byte limit, downscaling when that bitrate is too thin for the frame size.
ffmpeg always runs as an asyncio subprocess (the event loop never blocks) and is killed and reaped on
cancellation or timeout; partial outputs never survive a failure. When a clip cannot fit at a
watchable quality, ``CannotFit`` tells delivery to post a link instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from core.errors import WanbotError
from core.probing import probe_video

#: Aim at this share of the limit: x264's single-pass rate control and the MP4 container overshoot a bit.
HEADROOM = 0.90
#: Below this video bitrate a clip is a smear at any size; give up and post a link.
MIN_VIDEO_BITRATE = 100_000
#: When the first encode is still too big, the next aims this much below the proportional bitrate.
RETRY_MARGIN = 0.90
#: Bits per pixel per frame under which H.264 looks blocky: then trade pixels for bits.
MIN_BITS_PER_PIXEL = 0.08
#: Short sides to fall back to, largest first (1080p, 720p, 480p, 360p for landscape clips).
SHORT_SIDES = (1080, 720, 480, 360)
AUDIO_BITRATE = 96_000
LOW_AUDIO_BITRATE = 64_000
#: Total budgets under this use ``LOW_AUDIO_BITRATE`` to leave the video something.
_LOW_AUDIO_BELOW = 1_000_000
_DEFAULT_FPS = 30.0


class TranscodeError(WanbotError):
    """ffmpeg could not read or re-encode a file, or took too long."""

    default_code = "TranscodeFailed"


class CannotFit(TranscodeError):
    """The clip cannot be made to fit ``max_bytes`` at an acceptable quality: post a link instead."""

    default_code = "CannotFit"

    def __init__(self, message: str, *, max_bytes: int) -> None:
        super().__init__(message)
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class MediaInfo:
    """What ``probe`` found. ``width``/``height`` are as displayed (rotation applied)."""

    duration: float
    width: int
    height: int
    has_audio: bool
    size: int
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None


@dataclass(frozen=True)
class EncodePlan:
    video_bitrate: int
    audio_bitrate: int | None
    #: Target short side in pixels, or None to keep the source size.
    short_side: int | None


@dataclass(frozen=True)
class FitResult:
    """What ``fit_to_size`` wrote to ``path`` and how."""

    path: Path
    size: int
    original_size: int
    transcoded: bool
    width: int
    height: int
    duration: float
    video_bitrate: int | None = None
    audio_bitrate: int | None = None
    attempts: int = 0
    scaled: bool = False

    @property
    def note(self) -> str:
        """One line for the status message / ``Job.delivery_note``."""
        if not self.transcoded:
            return "uploaded as generated"
        mb = self.original_size / 1_000_000
        what = f"re-encoded to {self.height if self.width >= self.height else self.width}p" if self.scaled \
            else "re-encoded"
        return f"{what} to fit the upload limit ({mb:.1f} MB → {self.size / 1_000_000:.1f} MB)"


@functools.cache
def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def _run_ffmpeg(args: Sequence[str]) -> tuple[int, str]:
    """Run ffmpeg with ``args``; return its exit code and stderr. Kills it if the caller is cancelled."""
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await proc.communicate()
    except BaseException:
        # Cancelled (or timed out): ffmpeg would otherwise keep burning CPU and writing the partial file.
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        # Reap it so no zombie is left behind; SIGKILL makes this wait short.
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, err.decode("utf-8", errors="replace")


def _tail(stderr: str, lines: int = 3) -> str:
    kept = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) or "no output"


# -- probing ---------------------------------------------------------------------------------------------

async def probe(path: Path) -> MediaInfo:
    """Duration, display size, audio presence and byte size of a video file (``core.probing``)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TranscodeError(f"cannot read {path.name}: {exc.strerror}") from exc
    facts = await probe_video(path)
    if facts is None or facts.duration <= 0:
        raise TranscodeError(f"{path.name} is not a readable video")
    return MediaInfo(duration=facts.duration, width=facts.width, height=facts.height,
                     has_audio=facts.audio_codec is not None, size=size, fps=facts.fps,
                     video_codec=facts.video_codec, audio_codec=facts.audio_codec)


# -- planning ---------------------------------------------------------------------------------------------


def _pick_short_side(info: MediaInfo, video_bitrate: float) -> int | None:
    short, long = min(info.width, info.height), max(info.width, info.height)
    fps = info.fps or _DEFAULT_FPS
    candidates = [short, *(s for s in SHORT_SIDES if s < short)]
    for side in candidates:
        pixels = long * short * (side / short) ** 2
        if video_bitrate / (pixels * fps) >= MIN_BITS_PER_PIXEL:
            break
    # Never upscale; when even the smallest size is thin, it is still the best-looking choice.
    return None if side == short else side


def plan_encode(info: MediaInfo, max_bytes: int, *, video_bitrate: int | None = None) -> EncodePlan:
    """Bitrates and size for one encode of ``info`` into ``max_bytes``; ``CannotFit`` if hopeless."""
    budget = max_bytes * 8 * HEADROOM / info.duration
    audio = None
    if info.has_audio:
        audio = AUDIO_BITRATE if budget >= _LOW_AUDIO_BELOW else LOW_AUDIO_BITRATE
    video = int(budget - (audio or 0)) if video_bitrate is None else video_bitrate
    if video < MIN_VIDEO_BITRATE:
        raise CannotFit(
            f"a {info.duration:.0f}s video cannot fit in {max_bytes / 1_000_000:.1f} MB at a watchable "
            f"quality (it would get {max(video, 0) / 1000:.0f} kbit/s)",
            max_bytes=max_bytes,
        )
    return EncodePlan(video_bitrate=video, audio_bitrate=audio, short_side=_pick_short_side(info, video))


def _encode_args(src: Path, out: Path, plan: EncodePlan, preset: str) -> list[str]:
    if plan.short_side is None:
        # libx264 with yuv420p needs even dimensions; a no-op for the usual sizes.
        vf = "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    else:
        s = plan.short_side
        # Scale the short side whatever the orientation; -2 keeps the aspect ratio with an even size.
        vf = f"scale='if(gte(iw,ih),-2,{s})':'if(gte(iw,ih),{s},-2)'"
    v = plan.video_bitrate
    args = [
        "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-i", str(src),
        "-map", "0:v:0",
        "-vf", vf,
        "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p",
        # A half-second VBV buffer at the target rate: single-pass ABR on a few seconds of video otherwise
        # overshoots by 10-15% on busy content (measured on noise); this keeps it to a few percent.
        "-b:v", str(v), "-maxrate", str(v), "-bufsize", str(v // 2),
    ]
    if plan.audio_bitrate is not None:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", str(plan.audio_bitrate)]
    else:
        args += ["-an"]
    # faststart: the moov atom goes first so players in the chat client start before the download ends.
    args += ["-sn", "-dn", "-movflags", "+faststart", "-f", "mp4", str(out)]
    return args


# -- fitting ---------------------------------------------------------------------------------------------


async def fit_to_size(
    src: Path, dest: Path, *, max_bytes: int, timeout: float = 300, preset: str = "veryfast"
) -> FitResult:
    """Write ``src`` to ``dest`` at no more than ``max_bytes``, re-encoding if it is larger.

    Raises ``CannotFit`` when no acceptable encode fits (the caller posts a link instead) and
    ``TranscodeError`` when ffmpeg fails or ``timeout`` seconds pass. ``dest`` is only ever replaced
    by a complete file; temporary outputs are removed on every failure, including cancellation.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    try:
        async with asyncio.timeout(timeout):
            return await _fit(src, dest, max_bytes, preset)
    except TimeoutError as exc:
        raise TranscodeError(f"re-encoding took longer than {timeout:.0f}s", code="TranscodeTimeout") from exc


async def _fit(src: Path, dest: Path, max_bytes: int, preset: str) -> FitResult:
    info = await probe(src)
    if info.size <= max_bytes:
        if src.resolve() != dest.resolve():
            await asyncio.to_thread(shutil.copyfile, src, dest)
        return FitResult(path=dest, size=info.size, original_size=info.size, transcoded=False,
                         width=info.width, height=info.height, duration=info.duration)

    plan = plan_encode(info, max_bytes)
    # Same directory as dest, so the final rename is atomic; hidden, so nothing picks it up half-written.
    partial = dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.partial.mp4")
    try:
        for attempt in (1, 2):
            code, stderr = await _run_ffmpeg(_encode_args(src, partial, plan, preset))
            if code != 0:
                raise TranscodeError(f"ffmpeg failed re-encoding {src.name} (exit {code}): {_tail(stderr)}")
            size = partial.stat().st_size
            if size <= max_bytes:
                out = await probe(partial)
                os.replace(partial, dest)
                return FitResult(
                    path=dest, size=size, original_size=info.size, transcoded=True,
                    width=out.width, height=out.height, duration=out.duration,
                    video_bitrate=plan.video_bitrate, audio_bitrate=plan.audio_bitrate,
                    attempts=attempt, scaled=plan.short_side is not None,
                )
            if attempt == 2:
                break
            # Overshoot: scale the video bitrate by how far off we were, with some extra margin.
            lower = math.floor(plan.video_bitrate * (max_bytes / size) * RETRY_MARGIN)
            plan = plan_encode(info, max_bytes, video_bitrate=min(lower, plan.video_bitrate - 1))
        raise CannotFit(
            f"re-encoded {src.name} is still {size / 1_000_000:.1f} MB, over the "
            f"{max_bytes / 1_000_000:.1f} MB limit",
            max_bytes=max_bytes,
        )
    finally:
        # On success the file was renamed away; on any failure (or cancellation) drop the partial.
        partial.unlink(missing_ok=True)
