"""What the audio check (``core.media_check.AudioCheck``) adds before a job with ``--audio`` is accepted.

Three real files made with the bundled ffmpeg (3 s mono WAV, 30 s 128 kb/s MP3, 30 s 48 kHz stereo WAV:
about 0.26, 0.48 and 5.8 MB) served by aiohttp on loopback; each is checked ``--repeats`` times one after
the other, then ``--concurrent`` checks of the big WAV run at once (at most ``CHECK_CONCURRENCY`` at a
time). Reported: median and max wall time per check, and the wall time of the concurrent batch. Loopback
hides network time: against a real host add the download (15 MB at 10 MB/s is 1.5 s).

    python bench/audio_check.py [--repeats 10] [--concurrent 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import _root  # noqa: F401  (this checkout on sys.path)
import aiohttp
from aiohttp import web

from core.media_check import AudioCheck
from core.messages import Messages
from core.transcode import ffmpeg_exe

FILES = {
    "3s.wav": (3, []),
    "30s.mp3": (30, ["-c:a", "libmp3lame", "-b:a", "128k"]),
    "30s-stereo.wav": (30, ["-ac", "2", "-ar", "48000"]),
}


async def main(repeats: int, concurrent: int) -> None:
    d = Path(tempfile.mkdtemp(prefix="audio-bench-"))
    for name, (seconds, codec) in FILES.items():
        subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"sine=duration={seconds}",
                        *codec, str(d / name)], check=True, timeout=60)
    app = web.Application()
    app.router.add_static("/", d)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"load average {os.getloadavg()[0]:.2f}")
    async with aiohttp.ClientSession() as session:
        check = AudioCheck(session, Messages(), public_only=False)
        for name in FILES:
            url = f"http://127.0.0.1:{port}/{name}"
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                facts = await check.check(url)
                times.append(time.perf_counter() - start)
            print(f"{name:15} {facts.size / 1e6:5.2f} MB {facts.duration:4.1f} s  "
                  f"median {statistics.median(times) * 1000:4.0f} ms  max {max(times) * 1000:4.0f} ms")
        url = f"http://127.0.0.1:{port}/30s-stereo.wav"
        start = time.perf_counter()
        await asyncio.gather(*(check.check(url) for _ in range(concurrent)))
        print(f"{concurrent} concurrent checks of 30s-stereo.wav: {time.perf_counter() - start:.2f} s")
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.repeats, args.concurrent))
