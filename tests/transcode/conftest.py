"""Real test clips made with the bundled ffmpeg: noisy (so they compress badly) and short (so tests stay fast)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.transcode import ffmpeg_exe


def _make_clip(path: Path, *, size: str, rate: int, seconds: float, audio: bool) -> Path:
    args = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        # Temporal noise defeats inter-frame prediction: a few seconds weigh megabytes.
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds},noise=alls=60:allf=t+u",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-shortest"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "12", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(args, check=True, timeout=60)
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        # 640x360, 24 fps, 3 s, mono sine track: ~18 MB.
        "audio": _make_clip(d / "audio.mp4", size="640x360", rate=24, seconds=3, audio=True),
        # 960x540, 15 fps, 2 s, no audio: large enough to need a downscale under a tight limit.
        "silent": _make_clip(d / "silent.mp4", size="960x540", rate=15, seconds=2, audio=False),
    }
