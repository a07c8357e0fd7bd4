"""Reading what a media file is: container, duration, streams, display size — with PyAV, not ffmpeg's text.

``probe_video`` (what ``core.transcode`` plans an encode from) and ``probe_audio`` (what ``core.media_check``
checks a driving-audio file against) open the file with PyAV, which binds FFmpeg's own demuxers and
decoders and reports typed fields. This replaced parsing ``ffmpeg -i``'s human-readable banner (imageio-
ffmpeg ships no ffprobe), whose wording changes between FFmpeg releases. The encode itself still runs the
ffmpeg binary (``core.transcode``): a subprocess can be killed on a timeout, a library call cannot.

Both are blocking (PyAV reads the file): they run in a worker thread, never on the event loop. A file
PyAV cannot open, or that has no stream of the kind asked for, is ``None``: the callers turn that into
their own sentence.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import av.container

#: PyAV reports container and stream durations in these units.
_TIME_BASE = 1_000_000


@dataclass(frozen=True)
class VideoFacts:
    duration: float
    #: As displayed: a clip stored landscape with a 90° display rotation (phones) is reported portrait.
    width: int
    height: int
    fps: float | None
    video_codec: str
    audio_codec: str | None


@dataclass(frozen=True)
class AudioProbe:
    #: The demuxer's names for the container ("wav", "mp3", "mov,mp4,m4a,3gp,3g2,mj2" …).
    formats: frozenset[str]
    duration: float | None
    codec: str | None


def _duration(container: av.container.InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / _TIME_BASE
    longest = 0.0
    for stream in container.streams:
        if stream.duration is not None and stream.time_base is not None:
            longest = max(longest, float(stream.duration * stream.time_base))
    return longest or None


def _video(path: Path) -> VideoFacts | None:
    import av  # here, not at the top: every `wanbot` start would pay for loading FFmpeg's libraries

    try:
        with av.open(str(path)) as container:
            videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
            if not videos:
                return None
            video = videos[0]
            duration = _duration(container)
            width, height = video.codec_context.width, video.codec_context.height
            # The display rotation lives in the frames' side data: decode one frame to read it.
            rotation = 0
            for frame in container.decode(video):
                rotation = int(getattr(frame, "rotation", 0) or 0)
                break
            audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
            rate = video.average_rate or video.guessed_rate
    except (av.FFmpegError, OSError, StopIteration):
        return None
    if duration is None or not width or not height:
        return None
    if abs(rotation) % 180 == 90:
        width, height = height, width
    return VideoFacts(duration=duration, width=width, height=height, fps=float(rate) if rate else None,
                      video_codec=video.codec_context.name, audio_codec=audio)


def _audio(path: Path) -> AudioProbe | None:
    import av

    try:
        with av.open(str(path)) as container:
            formats = frozenset(container.format.name.split(","))
            codec = container.streams.audio[0].codec_context.name if container.streams.audio else None
            return AudioProbe(formats=formats, duration=_duration(container), codec=codec)
    except (av.FFmpegError, OSError):
        return None


async def probe_video(path: Path) -> VideoFacts | None:
    return await asyncio.to_thread(_video, path)


async def probe_audio(path: Path) -> AudioProbe | None:
    return await asyncio.to_thread(_audio, path)
