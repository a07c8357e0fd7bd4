"""``core.transcode`` against the real bundled ffmpeg."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import transcode
from core.errors import WanbotError
from core.transcode import CannotFit, MediaInfo, TranscodeError, fit_to_size, plan_encode, probe
from tests.fakes.until import until


def leftovers(directory: Path, *keep: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p not in keep)


# -- probe ---------------------------------------------------------------------------------------------


async def test_probe_clip_with_audio(clips: dict[str, Path]) -> None:
    info = await probe(clips["audio"])
    assert (info.width, info.height, info.has_audio) == (640, 360, True)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert info.size == clips["audio"].stat().st_size > 5_000_000
    assert (info.video_codec, info.audio_codec, info.fps) == ("h264", "aac", 24.0)


async def test_probe_clip_without_audio(clips: dict[str, Path]) -> None:
    info = await probe(clips["silent"])
    assert (info.width, info.height, info.has_audio, info.audio_codec) == (960, 540, False, None)
    assert info.duration == pytest.approx(2.0, abs=0.1)


async def test_probe_rejects_what_is_not_a_video(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    with pytest.raises(TranscodeError):
        await probe(junk)
    with pytest.raises(TranscodeError):
        await probe(tmp_path / "missing.mp4")


async def test_probe_reports_the_displayed_size_of_a_rotated_clip_and_skips_cover_art(tmp_path: Path) -> None:
    """Phones store landscape frames plus a display rotation, and MP3-style cover art is a second "video"
    stream: the size reported is what people see, from the real video stream (read by PyAV)."""
    plain, cover, rotated, with_art = (tmp_path / n for n in ("plain.mp4", "cover.png", "rotated.mp4", "art.mp4"))
    await _ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-f", "lavfi", "-i",
                  "sine=frequency=440:sample_rate=48000", "-t", "1", "-c:v", "libx264", "-c:a", "aac", str(plain))
    await _ffmpeg("-display_rotation", "-90", "-i", str(plain), "-c", "copy", str(rotated))
    await _ffmpeg("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", str(cover))
    await _ffmpeg("-i", str(plain), "-i", str(cover), "-map", "0", "-map", "1", "-c", "copy",
                  "-disposition:v:1", "attached_pic", str(with_art))
    info = await probe(rotated)
    assert (info.width, info.height, info.has_audio, info.video_codec, info.audio_codec) == (240, 320, True,
                                                                                            "h264", "aac")
    assert abs(info.duration - 1) < 0.1 and info.fps == 10
    art = await probe(with_art)
    assert (art.width, art.height) == (320, 240)


async def _ffmpeg(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec(transcode.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                                                *args, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


# -- planning --------------------------------------------------------------------------------------------


def test_plan_keeps_size_when_bits_suffice_and_downscales_when_not() -> None:
    clip = MediaInfo(duration=15, width=1920, height=1080, has_audio=True, size=40_000_000, fps=30)
    roomy = plan_encode(clip, 25_000_000)
    assert roomy.short_side is None and roomy.audio_bitrate == 96_000
    assert roomy.video_bitrate + roomy.audio_bitrate <= 25_000_000 * 8 * 0.92 / 15
    tight = plan_encode(clip, 8_000_000)
    assert tight.short_side == 720
    tighter = plan_encode(clip, 1_500_000)
    assert tighter.short_side == 360 and tighter.audio_bitrate == 64_000
    portrait = plan_encode(MediaInfo(15, 720, 1280, False, 30_000_000, 30), 3_000_000)
    assert portrait.short_side == 480 and portrait.audio_bitrate is None
    with pytest.raises(CannotFit) as info:
        plan_encode(clip, 150_000)
    assert isinstance(info.value, WanbotError) and info.value.code == "CannotFit"


# -- fit_to_size -----------------------------------------------------------------------------------------


async def test_fit_to_size_with_audio(clips: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "out.mp4"
    limit = 700_000
    result = await fit_to_size(clips["audio"], dest, max_bytes=limit)
    assert result.transcoded and result.path == dest
    assert result.size == dest.stat().st_size <= limit
    out = await probe(dest)
    assert (out.video_codec, out.audio_codec, out.width, out.height) == ("h264", "aac", 640, 360)
    assert out.duration == pytest.approx(3.0, abs=0.15)
    assert "re-encoded" in result.note
    assert leftovers(tmp_path, dest) == []


async def test_fit_to_size_downscales_a_silent_clip(clips: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "small.mp4"
    limit = 90_000  # ~330 kbit/s for 2 s of 960x540@15: too thin for 540p or 480p
    result = await fit_to_size(clips["silent"], dest, max_bytes=limit)
    out = await probe(dest)
    assert result.scaled and (out.width, out.height) == (640, 360) == (result.width, result.height)
    assert dest.stat().st_size <= limit and not out.has_audio and out.video_codec == "h264"
    assert out.duration == pytest.approx(2.0, abs=0.15)
    assert "360p" in result.note


async def test_a_file_that_already_fits_is_copied(clips: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "copy.mp4"
    result = await fit_to_size(clips["silent"], dest, max_bytes=10**9)
    assert not result.transcoded and dest.read_bytes() == clips["silent"].read_bytes()


async def test_impossible_limit_raises_cannot_fit_and_leaves_nothing(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    dest = tmp_path / "never.mp4"
    with pytest.raises(CannotFit):
        await fit_to_size(clips["audio"], dest, max_bytes=20_000)
    assert leftovers(tmp_path) == []


async def test_overshoot_is_retried_once_at_a_lower_bitrate(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Aim well past the limit on purpose so the first encode is too big.
    monkeypatch.setattr(transcode, "HEADROOM", 1.6)
    dest = tmp_path / "retry.mp4"
    result = await fit_to_size(clips["silent"], dest, max_bytes=150_000)
    assert result.attempts == 2 and dest.stat().st_size <= 150_000
    assert leftovers(tmp_path, dest) == []


async def test_still_too_big_after_the_retry_raises_cannot_fit(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcode, "HEADROOM", 3.0)
    monkeypatch.setattr(transcode, "RETRY_MARGIN", 2.5)
    with pytest.raises(CannotFit, match="still"):
        await fit_to_size(clips["silent"], tmp_path / "big.mp4", max_bytes=150_000)
    assert leftovers(tmp_path) == []


# -- cancellation and timeouts ---------------------------------------------------------------------------


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.subprocess.Process]:
    """Every ffmpeg process ``core.transcode`` starts during the test."""
    procs: list[asyncio.subprocess.Process] = []
    real: Callable[..., Any] = asyncio.create_subprocess_exec

    async def recording(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        proc: asyncio.subprocess.Process = await real(*args, **kwargs)
        if "libx264" in args:
            procs.append(proc)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    return procs


def assert_reaped(proc: asyncio.subprocess.Process) -> None:
    assert proc.returncode is not None
    # A zombie would still answer signal 0; a reaped process is gone.
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)


async def test_cancellation_kills_ffmpeg_and_removes_the_partial(
    clips: dict[str, Path], tmp_path: Path, spawned: list[asyncio.subprocess.Process]
) -> None:
    task = asyncio.create_task(
        fit_to_size(clips["audio"], tmp_path / "c.mp4", max_bytes=700_000, preset="veryslow")
    )
    await until(lambda: spawned or task.done(), "the encoder to start")
    assert spawned, task
    # Let it get going: once it has opened its output there is a partial file to clean up.
    await until(lambda: leftovers(tmp_path) or task.done(), "the encoder to open its output")
    assert spawned[0].returncode is None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_reaped(spawned[0])
    assert leftovers(tmp_path) == []


async def test_timeout_kills_ffmpeg(
    clips: dict[str, Path], tmp_path: Path, spawned: list[asyncio.subprocess.Process]
) -> None:
    with pytest.raises(TranscodeError) as info:
        await fit_to_size(clips["audio"], tmp_path / "t.mp4", max_bytes=700_000, timeout=0.5,
                          preset="veryslow")
    assert info.value.code == "TranscodeTimeout"
    assert spawned and all(p.returncode is not None for p in spawned)
    for proc in spawned:
        assert_reaped(proc)
    assert leftovers(tmp_path) == []
