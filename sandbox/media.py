"""Result files: real, playable MP4 clips and PNG images, generated once and cached by parameters.

MP4s are encoded by the ffmpeg that ships with ``imageio-ffmpeg``, in a subprocess
(``asyncio.create_subprocess_exec``, never blocking the loop): a flat ``lavfi`` colour source with
the prompt and a running clock drawn in (when the build has ``drawtext``; otherwise without text),
H.264 yuv420p, ``+faststart``, low fps, ``ultrafast``, high CRF — tens of kilobytes for a 5 s clip at
the exact pixel size and duration asked for. ``min_bytes`` pads a file with a trailing MP4 ``free``
box, which players skip. PNGs are written by hand (zlib, one colour), in a worker thread. A spec with
``sources`` (an image edit, an image-to-video clip) is rendered from those input files by ``sandbox.derive``.

A spec with a ``mark`` (``SandboxConfig.mark_results``) is the unmarked clip plus one more trailing
``free`` box holding ``MARK_PREFIX`` and a JSON object (the task id and prompt): still a playable MP4
and byte-identical up to the mark, but whoever ends up with the bytes — a fake chat platform that
received an upload — can tell with ``read_mark`` which task, made from which prompt, it came from.

``MediaStore`` also keeps the registry from object name (what a signed URL names) to ``MediaSpec``,
so a download knows what to produce.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import re
import shutil
import struct
import textwrap
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from sandbox import derive

MAX_REGISTERED = 200_000
_FREE_BOX_MAX = 0xFFFF_FFFF
MARK_PREFIX = b"wanbot-sandbox-result:"


@dataclass(frozen=True)
class MediaSpec:
    kind: str  # "mp4" | "png"
    width: int
    height: int
    duration: float = 0.0
    text: str = ""
    seed: int = 0
    fps: int = 10
    min_bytes: int = 0
    #: JSON appended in a trailing ``free`` box (see the module docstring); "" = no mark.
    mark: str = ""
    #: Cached input files the result is rendered from (``sandbox.derive``): an edit's last image, or an
    #: i2v clip's first frame and, when given, its last frame. Empty: a generated picture or clip.
    sources: tuple[str, ...] = ()
    #: Cached driving audio muxed into an i2v clip; "" = none.
    audio: str = ""

    def cache_name(self) -> str:
        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:24]
        return f"{self.kind}-{self.width}x{self.height}-{digest}.{self.kind}"

    @property
    def content_type(self) -> str:
        return "video/mp4" if self.kind == "mp4" else "image/png"


def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _colour(seed: int) -> tuple[int, int, int]:
    digest = hashlib.sha256(str(seed).encode()).digest()
    return 40 + digest[0] % 120, 40 + digest[1] % 120, 40 + digest[2] % 120


def tint_for(text: str, seed: int) -> tuple[int, int, int]:
    """The tint of a result derived from an input: drawn from the prompt and the result's seed."""
    digest = hashlib.sha256(f"{seed}|{text}".encode()).digest()
    return digest[0], digest[1], digest[2]


def write_png(spec: MediaSpec, path: Path) -> None:
    """A one-colour RGB PNG of ``spec``'s size, streamed row by row through zlib."""
    r, g, b = _colour(spec.seed)
    row = b"\x00" + bytes((r, g, b)) * spec.width
    comp = zlib.compressobj(6)
    chunks = [comp.compress(row) for _ in range(spec.height)]
    data = b"".join(chunks) + comp.flush()

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", spec.width, spec.height, 8, 2, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def pad_with_free_box(path: Path, min_bytes: int) -> None:
    """Append ``free`` boxes (ignored by players) until the file holds ``min_bytes``."""
    missing = min_bytes - path.stat().st_size
    with open(path, "ab") as fh:
        while missing > 0:
            box = max(8, min(missing, _FREE_BOX_MAX))
            fh.write(struct.pack(">I", box) + b"free")
            left = box - 8
            block = b"\x00" * min(left, 1 << 20)
            while left > 0:
                fh.write(block[: min(left, len(block))])
                left -= min(left, len(block))
            missing -= box


def mark_for(task_id: str, prompt: str) -> str:
    """The mark of a result: which task it is, and the prompt it was made from."""
    return json.dumps({"task_id": task_id, "prompt": prompt}, ensure_ascii=False, sort_keys=True)


def read_mark(data: bytes) -> dict[str, str] | None:
    """The mark a marked result carries (``{"task_id", "prompt"}``), or ``None`` when there is none."""
    at = data.rfind(MARK_PREFIX)
    if at < 8 or data[at - 4:at] != b"free":
        return None
    (size,) = struct.unpack(">I", data[at - 8:at - 4])
    payload = data[at + len(MARK_PREFIX):at - 8 + size]
    try:
        value = json.loads(payload.decode())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def append_mark(path: Path, mark: str) -> None:
    body = MARK_PREFIX + mark.encode()
    with open(path, "ab") as fh:
        fh.write(struct.pack(">I", 8 + len(body)) + b"free" + body)


class MediaStore:
    """Object registry plus an on-disk cache of generated files."""

    def __init__(self, cache_dir: Path, draw_text: bool = True) -> None:
        self.cache_dir = Path(cache_dir)
        self.draw_text = draw_text
        self._objects: OrderedDict[str, MediaSpec] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._drawtext: bool | None = None
        self.generated = 0

    # -- registry ------------------------------------------------------------------------------------------

    def register(self, object_name: str, spec: MediaSpec) -> None:
        self._objects[object_name] = spec
        while len(self._objects) > MAX_REGISTERED:
            self._objects.popitem(last=False)

    def lookup(self, object_name: str) -> MediaSpec | None:
        return self._objects.get(object_name)

    # -- files ---------------------------------------------------------------------------------------------

    async def path(self, spec: MediaSpec) -> Path:
        """The cached file for ``spec``, generating it first if needed."""
        target = self.cache_dir / spec.cache_name()
        if target.exists():
            return target
        if spec.mark:
            return await self._marked(spec, target)
        lock = self._locks.setdefault(target.name, asyncio.Lock())
        async with lock:
            if target.exists():
                return target
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(lock)}.part")
            try:
                if spec.sources:
                    await self._derive(spec, tmp)
                elif spec.kind == "mp4":
                    await self._encode_mp4(spec, tmp)
                else:
                    await asyncio.to_thread(write_png, spec, tmp)
                if spec.min_bytes:
                    await asyncio.to_thread(pad_with_free_box, tmp, spec.min_bytes)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            self.generated += 1
        self._locks.pop(target.name, None)
        return target

    async def _marked(self, spec: MediaSpec, target: Path) -> Path:
        # The clip itself is encoded (and cached) once without the mark; each mark is a cheap copy.
        plain = await self.path(dataclasses.replace(spec, mark=""))
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(spec)}.part")

        def write() -> None:
            shutil.copyfile(plain, tmp)
            append_mark(tmp, spec.mark)
            os.replace(tmp, target)

        try:
            await asyncio.to_thread(write)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    async def _derive(self, spec: MediaSpec, out: Path) -> None:
        colour = tint_for(spec.text, spec.seed)
        first = Path(spec.sources[0])
        if spec.kind == "png":
            await derive.render_edit(first, spec.width, spec.height, colour, out)
            return
        last = Path(spec.sources[1]) if len(spec.sources) > 1 else None
        await derive.render_i2v(first, last, Path(spec.audio) if spec.audio else None, width=spec.width,
                                height=spec.height, duration=spec.duration, fps=spec.fps, colour=colour, out=out)

    async def has_drawtext(self) -> bool:
        if self._drawtext is None:
            proc = await asyncio.create_subprocess_exec(
                ffmpeg_exe(), "-hide_banner", "-filters",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            out, _ = await proc.communicate()
            self._drawtext = re.search(rb"\bdrawtext\b", out) is not None
        return self._drawtext

    async def _encode_mp4(self, spec: MediaSpec, out: Path) -> None:
        text_file = out.with_suffix(".txt")
        filters: list[str] = []
        if self.draw_text and spec.text and await self.has_drawtext():
            size = max(10, min(spec.width, spec.height) // 24)
            per_line = max(12, int(spec.width / (size * 0.62)) - 2)
            lines = textwrap.wrap(spec.text, width=per_line)[:8]
            text_file.write_text("\n".join(lines) or " ", encoding="utf-8")
            filters = [
                f"drawtext=textfile={text_file.name}:expansion=none:fontcolor=white:fontsize={size}"
                f":line_spacing={size // 3}:x=(w-text_w)/2:y=h/8",
                f"drawtext=text='%{{pts\\:hms}}':fontcolor=yellow:fontsize={size * 2}"
                ":x=(w-text_w)/2:y=h*2/3",
            ]
        try:
            ok = await self._run_ffmpeg(spec, out, filters)
            if not ok and filters:  # a build or font problem: fall back to plain frames
                ok = await self._run_ffmpeg(spec, out, [])
            if not ok:
                raise RuntimeError(f"ffmpeg could not encode {spec}")
        finally:
            text_file.unlink(missing_ok=True)

    async def _run_ffmpeg(self, spec: MediaSpec, out: Path, filters: list[str]) -> bool:
        r, g, b = _colour(spec.seed)
        source = (f"color=c=0x{r:02x}{g:02x}{b:02x}:size={spec.width}x{spec.height}"
                  f":rate={spec.fps}:duration={spec.duration}")
        args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", source]
        if filters:
            args += ["-vf", ",".join(filters)]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-pix_fmt", "yuv420p",
                 "-movflags", "+faststart", "-f", "mp4", out.name]
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=str(out.parent), stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
        return proc.returncode == 0 and out.exists() and out.stat().st_size > 0


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int
    height: int
    codec: str
    pix_fmt: str


async def probe(path: Path) -> Probe:
    """Duration, size, codec and pixel format of a video (for tests and checks), read with PyAV."""
    return await asyncio.to_thread(_probe, path)


def _probe(path: Path) -> Probe:
    import av  # only tests and checks probe: the sandbox's start does not load FFmpeg's libraries for it

    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            context = video.codec_context
            duration = float(container.duration or 0) / 1_000_000
            pix_fmt = context.format.name if context.format is not None else "?"
            return Probe(duration=duration, width=context.width, height=context.height, codec=context.name,
                         pix_fmt=pix_fmt)
    except (av.FFmpegError, IndexError) as exc:
        raise ValueError(f"not a video: {exc}") from None
