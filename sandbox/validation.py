"""Request bodies in, validated jobs out — the service's own checks, not wanbot's.

``parse_video`` and ``parse_image`` read a decoded JSON body and return a ``VideoJob`` / ``ImageJob``
or raise ``ApiError`` with the code the real service answers (400 ``InvalidParameter`` for bad
values). They read the model table in ``core.catalogue`` but behave like the service where it differs
from wanbot's own validation (``core.request``): over-long prompts are truncated silently, a missing
resolution means 1080P, a duration of ``"5"`` or ``5.0`` is refused.

Sandbox choices where the vendor documents nothing: wan2.7 refuses ``size``/``shot_type`` and the
legacy models refuse ``resolution``/``ratio`` (so a client mixing the two wire formats is caught);
an ``audio_url`` the service cannot fetch, or that is not WAV/MP3 of 2–30 s and at most 15 MB, is
refused at create time (``check_audio``) with 400 ``InvalidParameter`` — the reference's code for a bad
parameter (the vendor does not say whether it refuses there or fails the task later); an unknown
model is 400 ``InvalidParameter`` "Model not exist." (or 404 ``ModelNotFound`` with
``SandboxConfig.model_not_found_404``); an image model on the video endpoint (or the reverse) is
400 ``InvalidParameter`` "url error, please check url!".

wan2.7-i2v bodies are read by ``sandbox.i2v.parse_i2v``; ``sandbox.i2v.parse_video_body`` picks by model.
Image editing (input images in ``content``): ``parse_image`` checks what the body alone says (at most 9
images, each a string; ``4K`` refused; a ``W*H`` size of 768²–2,048² pixels) and keeps the links in
``ImageJob.images``; fetching and checking the files themselves is ``sandbox.inputs``' (after parsing, as the
service refuses a bad parameter before it downloads anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from core.catalogue import (
    IMAGE_PRESET_PIXELS,
    RATIOS,
    Family,
    VideoModel,
    image_model,
    video_model,
)
from core.errors import InvalidMedia
from core.media_check import AudioCheck
from core.messages import Messages
from sandbox.errors import MSG_MODEL_NOT_EXIST, MSG_URL_ERROR, ApiError, invalid

MAX_SEED = 2_147_483_647
MAX_IMAGES_IN = 9
MAX_IMAGE_SIDE = 8192
#: Total pixels of a ``W*H`` size with input images (the reference: 768²–2,048²).
EDIT_MIN_PIXELS = 768 * 768
EDIT_MAX_PIXELS = 2048 * 2048


@dataclass(frozen=True)
class VideoJob:
    """A legal text-to-video request with every default filled in."""

    model: str  # as sent (may be a dated snapshot)
    family: Family
    resolution: str  # "720P"
    ratio: str  # "16:9"
    width: int
    height: int
    duration: int
    prompt: str  # after silent truncation
    negative_prompt: str | None
    prompt_extend: bool
    watermark: bool
    seed: int | None
    audio: bool  # True when an audio_url was given
    shot_type: str | None
    audio_url: str | None = None  # wan2.7-i2v: the driving audio's link
    #: wan2.7-i2v: ``input.media`` as ``(type, url)`` pairs, in the order sent (``sandbox.i2v``).
    media: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> str:
        return f"{self.width}*{self.height}"


@dataclass(frozen=True)
class ImageJob:
    """A legal text-to-image or image-edit request.

    With input ``images`` (the links as sent), ``width``/``height`` are first the pixel budget the size
    asked for (a square for ``1K``/``2K``); ``sandbox.edit.prepare_edit`` then reshapes them to the last
    image's aspect, as the service does."""

    model: str
    width: int
    height: int
    n: int
    prompt: str
    seed: int | None
    watermark: bool
    images: tuple[str, ...] = ()
    #: ``parameters.thinking_mode`` as sent (``None``: absent); the service ignores it with input images.
    thinking_mode: bool | None = None

    @property
    def size(self) -> str:
        return f"{self.width}*{self.height}"


def _obj(value: Any, name: str, required: bool) -> dict[str, Any]:
    if value is None:
        if required:
            raise invalid(f"Field required: {name}")
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Field {name} must be an object")
    return value


def _int(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"The parameter `{name}` must be an integer, got {type(value).__name__}: {value!r}")
    return value


def _bool(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(f"The parameter `{name}` must be a boolean, got {value!r}")
    return value


def _str(source: dict[str, Any], name: str, where: str) -> str | None:
    value = source.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"The parameter `{where}.{name}` must be a string")
    return value


def _seed(params: dict[str, Any]) -> int | None:
    seed = _int(params, "seed")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise invalid(f"The parameter `seed` must be between 0 and {MAX_SEED}, got {seed}")
    return seed


def _model_id(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None or model == "":
        raise invalid("Field required: model")
    if not isinstance(model, str):
        raise invalid("The parameter `model` must be a string")
    return model


def unknown_model(model_not_found_404: bool) -> ApiError:
    if model_not_found_404:
        return ApiError(404, "ModelNotFound", "Model not found (or no permission to access it).")
    return invalid(MSG_MODEL_NOT_EXIST)


def video_parts(body: Any, *, model_not_found_404: bool = False) -> tuple[str, VideoModel, dict[str, Any],
                                                                         dict[str, Any]]:
    """What every ``video-synthesis`` body is checked for first: the model id, its entry, and the ``input``
    and ``parameters`` objects."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    model_id = _model_id(body)
    spec = video_model(model_id)
    if spec is None:
        if image_model(model_id) is not None:
            raise invalid(MSG_URL_ERROR)
        raise unknown_model(model_not_found_404)
    inp = _obj(body.get("input"), "input", required=True)
    params = _obj(body.get("parameters"), "parameters", required=False)
    return model_id, spec, inp, params


def parse_video(body: Any, *, model_not_found_404: bool = False) -> VideoJob:
    """Validate a text-to-video body; raise ``ApiError`` as the service would. (The route takes any video
    body through ``sandbox.i2v.parse_video_body``, which hands wan2.7-i2v bodies to ``parse_i2v``.)"""
    return text_to_video(*video_parts(body, model_not_found_404=model_not_found_404))


def text_to_video(model_id: str, spec: VideoModel, inp: dict[str, Any], params: dict[str, Any]) -> VideoJob:
    """The text-to-video rules for a body whose model is known."""
    if spec.family is Family.WAN27_I2V:
        raise ValueError("a wan2.7-i2v body is sandbox.i2v.parse_i2v's")
    prompt = _str(inp, "prompt", "input")
    if not prompt or not prompt.strip():
        raise invalid("Field required: input.prompt")
    negative = _str(inp, "negative_prompt", "input")
    if negative is None:
        negative = _str(params, "negative_prompt", "parameters")
    audio_url = _str(inp, "audio_url", "input")
    if audio_url:
        if not spec.supports_audio:
            raise invalid(f"The model {model_id} does not support `audio_url`")
        if not audio_url.startswith(("http://", "https://", "oss://")):
            raise invalid("The parameter `input.audio_url` must be a URL")
    if spec.family is Family.WAN27_T2V:
        resolution, ratio, width, height = _resolution_ratio(spec, params)
    else:
        resolution, ratio, width, height = _legacy_size(spec, params)
    duration = _int(params, "duration")
    if duration is None:
        duration = spec.default_duration
    if duration not in spec.durations:
        allowed = spec.duration_text()
        raise invalid(f"The parameter `duration` must be {allowed} for {spec.id}, got {duration}")
    shot_type = _str(params, "shot_type", "parameters")
    if shot_type is not None and shot_type not in spec.shot_types:
        if not spec.shot_types:
            raise invalid(f"The parameter `shot_type` is not supported by {spec.id}")
        raise invalid(f"The parameter `shot_type` must be one of {', '.join(spec.shot_types)}")
    return VideoJob(
        model=model_id,
        family=spec.family,
        resolution=resolution,
        ratio=ratio,
        width=width,
        height=height,
        duration=duration,
        prompt=prompt[: spec.max_prompt],
        negative_prompt=negative[: spec.max_negative_prompt] if negative else None,
        prompt_extend=_bool(params, "prompt_extend", True),
        watermark=_bool(params, "watermark", spec.watermark_default),
        seed=_seed(params),
        audio=bool(audio_url),
        shot_type=shot_type,
        audio_url=audio_url or None,
    )


def _resolution_ratio(spec: VideoModel, params: dict[str, Any]) -> tuple[str, str, int, int]:
    if params.get("size") is not None:
        raise invalid(f"The parameter `size` is not supported by {spec.id}: use `resolution` and `ratio`")
    resolution = _str(params, "resolution", "parameters") or "1080P"  # the service's (costly) default
    if resolution not in spec.sizes:
        raise invalid(f"The parameter `resolution` must be one of {', '.join(spec.resolutions)}, "
                      f"got {resolution!r}")
    ratio = _str(params, "ratio", "parameters") or spec.default_ratio
    if ratio not in spec.ratios(resolution):
        raise invalid(f"The parameter `ratio` must be one of {', '.join(RATIOS)}, got {ratio!r}")
    width, height = spec.pixel_size(resolution, ratio)
    return resolution, ratio, width, height


def _legacy_size(spec: VideoModel, params: dict[str, Any]) -> tuple[str, str, int, int]:
    for name in ("resolution", "ratio"):
        if params.get(name) is not None:
            raise invalid(f"The parameter `{name}` is not supported by {spec.id}: use `size` like 1280*720")
    size = _str(params, "size", "parameters")
    if size is None:
        res = "1080P" if "1080P" in spec.sizes else spec.resolutions[-1]
        width, height = spec.pixel_size(res, spec.default_ratio)
        return res, spec.default_ratio, width, height
    for res, by_ratio in spec.sizes.items():
        for ratio, (width, height) in by_ratio.items():
            if size == f"{width}*{height}":
                return res, ratio, width, height
    allowed = ", ".join(f"{w}*{h}" for by in spec.sizes.values() for (w, h) in by.values())
    raise invalid(f"The parameter `size` must be one of {allowed} for {spec.id}, got {size!r}")


def parse_image(body: Any, *, model_not_found_404: bool = False) -> ImageJob:
    """Validate a ``multimodal-generation`` / ``image-generation`` body."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    model_id = _model_id(body)
    spec = image_model(model_id)
    if spec is None:
        if video_model(model_id) is not None:
            raise invalid(MSG_URL_ERROR)
        raise unknown_model(model_not_found_404)
    inp = _obj(body.get("input"), "input", required=True)
    params = _obj(body.get("parameters"), "parameters", required=False)
    prompt, images = _prompt_from_messages(inp.get("messages"))
    size = _str(params, "size", "parameters") or spec.default_size
    if size.upper() in IMAGE_PRESET_PIXELS:
        if size.upper() not in spec.sizes:
            raise invalid(f"The parameter `size` must be one of {', '.join(spec.sizes)} for {spec.id}")
        if images and size.upper() == "4K":
            raise invalid("The parameter `size` 4K is only supported for text-to-image (no input image): "
                          "use 1K or 2K")
        width, height = IMAGE_PRESET_PIXELS[size.upper()]
    else:
        width, height = _pixels(size)
        if images and not EDIT_MIN_PIXELS <= width * height <= EDIT_MAX_PIXELS:
            raise invalid(f"The parameter `size` {size} is out of range: with input images the total "
                          "pixels must be between 768*768 and 2048*2048")
    n = _int(params, "n")
    if n is None:
        n = spec.max_n  # the service default: 4 images, billed per image
    if not 1 <= n <= spec.max_n:
        raise invalid(f"The parameter `n` must be between 1 and {spec.max_n}, got {n}")
    thinking = _bool(params, "thinking_mode", True) if params.get("thinking_mode") is not None else None
    return ImageJob(model=model_id, width=width, height=height, n=n, prompt=prompt[: spec.max_prompt],
                    seed=_seed(params), watermark=_bool(params, "watermark", False), images=images,
                    thinking_mode=thinking)


def _pixels(size: str) -> tuple[int, int]:
    parts = size.split("*")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise invalid(f"The parameter `size` must be 1K, 2K, 4K or W*H, got {size!r}")
    width, height = int(parts[0]), int(parts[1])
    if not (256 <= width <= MAX_IMAGE_SIDE and 256 <= height <= MAX_IMAGE_SIDE):
        raise invalid(f"The parameter `size` is out of range: {size}")
    return width, height


def _prompt_from_messages(messages: Any) -> tuple[str, tuple[str, ...]]:
    """The one text and the input image links (in order) of the one user message."""
    if not isinstance(messages, list) or not messages:
        raise invalid("Field required: input.messages")
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if len(user) != 1:
        raise invalid("input.messages must hold exactly one user message")
    content = user[0].get("content")
    if isinstance(content, str):
        content = [{"text": content}]
    if not isinstance(content, list):
        raise invalid("Field required: input.messages[0].content")
    texts = [c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str)]
    images = [c["image"] for c in content if isinstance(c, dict) and "image" in c]
    if len(texts) != 1 or not texts[0].strip():
        raise invalid("input.messages[0].content must hold exactly one non-empty text item")
    if len(images) > MAX_IMAGES_IN:
        raise invalid(f"input.messages[0].content holds at most {MAX_IMAGES_IN} images")
    for image in images:
        if not isinstance(image, str) or not image:
            raise invalid("The parameter `input.messages[0].content[].image` must be a URL or a data URI")
    return str(texts[0]), tuple(images)


async def check_audio(url: str, *, timeout: float, where: str = "input.audio_url") -> None:
    """Fetch and probe ``url`` as the service would before it renders (``SandboxConfig.check_audio``).

    An ``oss://`` link is DashScope's own temporary storage, which the sandbox cannot reach: taken as is."""
    if url.startswith("oss://"):
        return
    async with aiohttp.ClientSession() as session:
        try:
            await AudioCheck(session, Messages(), timeout=timeout, public_only=False).check(url)
        except InvalidMedia as refused:
            raise invalid(f"The parameter `{where}` is invalid: {refused.message}") from None
