"""Results rendered FROM the caller's input media: edited images and image-to-video clips.

Both run the ffmpeg that ships with ``imageio-ffmpeg`` as an asyncio subprocess (never blocking the loop)
on the copies ``sandbox.inputs`` kept, so a result is produced even after the input link has gone:

- ``render_edit``: the last input image, scaled to the output size and tinted — a translucent full-frame
  box in a colour drawn from the prompt and the result's seed — written as an RGB PNG (no alpha). Each of
  ``n`` results has its own tint; the picture stays recognisably the input.
- ``render_i2v``: an H.264 clip at the output size whose first frame is exactly the first frame (scaled),
  cross-fading (``xfade``) from 40 % to 80 % of the clip to the last frame — or, without one, to the first
  frame tinted like an edit — and holding it to the end; a driving audio is muxed as AAC (padded with
  silence, cut at the clip's length). No text is drawn: the frames are the inputs, so a test can compare them.
  A last frame of another shape is scaled to the first frame's size (the vendor does not say what it does).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import imageio_ffmpeg

#: How strongly a tint covers the picture.
TINT_ALPHA = 0.25


def _exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _fit(width: int, height: int) -> str:
    # The output aspect already follows the input's, so a plain scale distorts it by at most a rounding.
    return f"scale={width}:{height}:flags=bicubic,setsar=1"


def _tint(colour: tuple[int, int, int]) -> str:
    r, g, b = colour
    return f"drawbox=x=0:y=0:w=iw:h=ih:color=0x{r:02x}{g:02x}{b:02x}@{TINT_ALPHA}:t=fill"


async def _run(args: list[str], out: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        _exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"ffmpeg could not render {out.name}: {err.decode(errors='replace')[-400:]}")


async def render_edit(source: Path, width: int, height: int, colour: tuple[int, int, int], out: Path) -> None:
    """Write ``out`` (PNG, RGB): ``source`` scaled to ``width``×``height`` under a ``colour`` tint."""
    await _run(["-i", str(source), "-vf", f"{_fit(width, height)},format=rgb24,{_tint(colour)}",
                "-frames:v", "1", "-update", "1", "-c:v", "png", "-pix_fmt", "rgb24", "-f", "image2"], out)


async def render_i2v(first: Path, last: Path | None, audio: Path | None, *, width: int, height: int,
                     duration: float, fps: int, colour: tuple[int, int, int], out: Path) -> None:
    """Write ``out`` (MP4): ``first`` at t=0, fading to ``last`` (or a tinted ``first``), with ``audio``."""
    still = ["-loop", "1", "-framerate", str(fps), "-t", f"{duration:.3f}"]
    args = [*still, "-i", str(first), *still, "-i", str(last or first)]
    if audio is not None:
        args += ["-i", str(audio)]
    second = _fit(width, height) + ("" if last is not None else f",format=rgb24,{_tint(colour)}")
    graph = (f"[0:v]{_fit(width, height)},format=yuv420p[a];[1:v]{second},format=yuv420p[b];"
             f"[a][b]xfade=transition=fade:duration={duration * 0.4:.3f}:offset={duration * 0.4:.3f}[v]")
    args += ["-filter_complex", graph, "-map", "[v]"]
    if audio is not None:
        args += ["-map", "2:a", "-af", "apad", "-c:a", "aac", "-b:a", "64k"]
    args += ["-t", f"{duration:.3f}", "-r", str(fps), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4"]
    await _run(args, out)
