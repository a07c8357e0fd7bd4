"""wan2.7-i2v on the video-synthesis route: its body, its media, and the shape of its clip.

The reference (``shared/docs/dashscope-wan.md``): ``input.media`` is a list of ``{"type", "url"}`` with types
``first_frame``, ``last_frame``, ``driving_audio``, ``first_clip``, each at most once, in one of the allowed
combinations; ``input.prompt`` is optional (≤ 5,000, truncated silently like t2v), ``negative_prompt`` ≤ 500;
``parameters`` ``resolution`` 720P|1080P (service default 1080P), ``duration`` 2–15, ``prompt_extend``,
``watermark``, ``seed``; no ``ratio``: the output follows the input. Everything else — the async header,
states, timings, limits, ``usage`` — is t2v's.

Sandbox choices where the vendor documents nothing:

- ``ratio`` or ``size`` in ``parameters`` and ``audio_url`` in ``input`` are refused (400 ``InvalidParameter``),
  as the sandbox refuses the other wire format's fields on t2v models: a client mixing t2v and i2v bodies is
  caught, not silently obeyed.
- ``first_clip`` (documented, not offered by wanbot) is refused with a sentence saying the sandbox does not
  render clips from a video.
- The output has about the resolution class's pixels (1280×720 / 1920×1080) at the first frame's aspect,
  both sides even; ``usage.SR`` is the class (720/1080) and ``usage.ratio`` the first frame's ratio.
- An image ``url`` may be a ``data:`` URI (the contract's assumption, as for image editing); a driving audio
  must be a link (as ``audio_url``), checked like ``audio_url`` (``sandbox.validation.check_audio``) and then
  kept to be muxed in. With ``SandboxConfig.check_audio`` off an audio that cannot be fetched is left out of
  the clip instead of refusing the task.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from core.catalogue import Family, VideoModel
from core.media_check import MAX_AUDIO_BYTES
from sandbox.errors import ApiError, invalid
from sandbox.inputs import fetch, fit_aspect, keep_file, load_images
from sandbox.validation import VideoJob, _bool, _int, _seed, _str, check_audio, text_to_video, video_parts

MEDIA_TYPES = ("first_frame", "last_frame", "driving_audio", "first_clip")
ALLOWED = frozenset({
    frozenset({"first_frame"}),
    frozenset({"first_frame", "driving_audio"}),
    frozenset({"first_frame", "last_frame"}),
    frozenset({"first_frame", "last_frame", "driving_audio"}),
    frozenset({"first_clip"}),
    frozenset({"first_clip", "last_frame"}),
})
#: Pixels of an output by resolution class.
CLASS_PIXELS = {"720P": 1280 * 720, "1080P": 1920 * 1080}


@dataclasses.dataclass(frozen=True)
class I2vInputs:
    """What a clip is rendered from: cached copies of the frames (first, then last) and of the audio."""

    frames: tuple[str, ...]
    audio: str = ""


def _media(inp: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    media = inp.get("media")
    if media is None or media == []:
        raise invalid("Field required: input.media")
    if not isinstance(media, list):
        raise invalid("The parameter `input.media` must be a list of {type, url} objects")
    seen: list[tuple[str, str]] = []
    for i, item in enumerate(media):
        if not isinstance(item, dict):
            raise invalid(f"The parameter `input.media[{i}]` must be an object with `type` and `url`")
        kind, url = item.get("type"), item.get("url")
        if kind not in MEDIA_TYPES:
            raise invalid(f"The parameter `input.media[{i}].type` must be one of {', '.join(MEDIA_TYPES)}, "
                          f"got {kind!r}")
        if not isinstance(url, str) or not url:
            raise invalid(f"Field required: input.media[{i}].url")
        if any(kind == k for k, _ in seen):
            raise invalid(f"The media type `{kind}` may appear only once in input.media")
        if kind == "driving_audio" and not url.startswith(("http://", "https://", "oss://")):
            raise invalid(f"The parameter `input.media[{i}].url` must be a URL")
        seen.append((str(kind), url))
    kinds = frozenset(k for k, _ in seen)
    if kinds not in ALLOWED:
        raise invalid(f"The combination of media types {', '.join(sorted(kinds))} is not supported: use "
                      "first_frame, optionally with last_frame and/or driving_audio (or first_clip)")
    if "first_clip" in kinds:
        raise invalid("The sandbox does not render from a first_clip video: use first_frame")
    return tuple(seen)


def parse_video_body(body: Any, *, model_not_found_404: bool = False) -> VideoJob:
    """Any ``video-synthesis`` body: wan2.7-i2v by ``parse_i2v``, text-to-video by ``validation``'s rules."""
    model_id, spec, inp, params = video_parts(body, model_not_found_404=model_not_found_404)
    if spec.family is Family.WAN27_I2V:
        return parse_i2v(model_id, spec, inp, params)
    return text_to_video(model_id, spec, inp, params)


def parse_i2v(model_id: str, spec: VideoModel, inp: dict[str, Any], params: dict[str, Any]) -> VideoJob:
    """Validate the ``input``/``parameters`` of a wan2.7-i2v body (the model is known)."""
    for name in ("ratio", "size"):
        if params.get(name) is not None:
            raise invalid(f"The parameter `{name}` is not supported by {spec.id}: the output follows the "
                          "first frame")
    if inp.get("audio_url") is not None:
        raise invalid(f"The parameter `input.audio_url` is not supported by {spec.id}: send the audio as "
                      "input.media driving_audio")
    media = _media(inp)
    prompt = _str(inp, "prompt", "input") or ""
    negative = _str(inp, "negative_prompt", "input")
    resolution = _str(params, "resolution", "parameters") or "1080P"  # the service's (costly) default
    if resolution not in spec.resolutions:
        raise invalid(f"The parameter `resolution` must be one of {', '.join(spec.resolutions)}, "
                      f"got {resolution!r}")
    duration = _int(params, "duration")
    if duration is None:
        duration = spec.default_duration
    if duration not in spec.durations:
        raise invalid(f"The parameter `duration` must be {spec.duration_text()} for {spec.id}, got {duration}")
    audio_url = next((url for kind, url in media if kind == "driving_audio"), None)
    # Until the first frame is read the shape is the class's 16:9; ``prepare_i2v`` sets the real one.
    width, height = fit_aspect(CLASS_PIXELS[resolution], 16 / 9, even=True)
    return VideoJob(
        model=model_id, family=spec.family, resolution=resolution, ratio="", width=width, height=height,
        duration=duration, prompt=prompt[: spec.max_prompt],
        negative_prompt=negative[: spec.max_negative_prompt] if negative else None,
        prompt_extend=_bool(params, "prompt_extend", True), watermark=_bool(params, "watermark", False),
        seed=_seed(params), audio=audio_url is not None, shot_type=None, audio_url=audio_url, media=media)


def ratio_text(width: int, height: int) -> str:
    """``16:9`` for 1920×1080; a decimal ``2.35:1`` when the reduced terms are not small."""
    g = math.gcd(width, height)
    w, h = width // g, height // g
    return f"{w}:{h}" if max(w, h) <= 64 else f"{width / height:.2f}:1"


async def prepare_i2v(job: VideoJob, cache_dir: Path, *, timeout: float, check: bool,
                      audio_timeout: float) -> tuple[VideoJob, I2vInputs]:
    """Fetch and check the frames (and the audio), and shape the job like its first frame."""
    where = {kind: f"input.media[{i}].url" for i, (kind, _) in enumerate(job.media)}
    links = [(url, where[kind]) for kind, url in job.media if kind in ("first_frame", "last_frame")]
    links.sort(key=lambda link: link[1] != where["first_frame"])  # the first frame first
    frames = await load_images(links, cache_dir, timeout=timeout)
    audio = ""
    if job.audio_url:
        audio = await _keep_audio(job.audio_url, where["driving_audio"], cache_dir, check=check,
                                  timeout=audio_timeout)
    first = frames[0].facts
    width, height = fit_aspect(CLASS_PIXELS[job.resolution], first.aspect, even=True)
    shaped = dataclasses.replace(job, width=width, height=height, ratio=ratio_text(first.width, first.height))
    return shaped, I2vInputs(frames=tuple(str(f.path) for f in frames), audio=audio)


async def _keep_audio(url: str, where: str, cache_dir: Path, *, check: bool, timeout: float) -> str:
    if url.startswith("oss://"):
        return ""  # DashScope's own upload store: taken as is (as ``check_audio`` does), not muxed here
    if check:
        await check_audio(url, timeout=timeout, where=where)
    try:
        data = await fetch(url, where, timeout=timeout, max_bytes=MAX_AUDIO_BYTES)
    except ApiError:
        if check:
            raise
        return ""  # unchecked and unreachable: the clip goes without it
    return str(await keep_file(cache_dir, data, "audio"))
