"""Generation requests: one validated shape in, the right DashScope wire body out.

``GenerationRequest`` (video) and ``ImageRequest`` are pydantic models checked against the catalogue:
after construction every field is filled and legal for the chosen model, so nothing downstream checks
again. Build them with ``.build(...)`` to get an ``InvalidRequest`` whose message a chat user
understands instead of a pydantic traceback. Over-long prompts are rejected, never truncated.

Prompts and negative prompts are cleaned here, on every path into a request (``core.text``: control
characters refused, invisible ones removed, whitespace folded, NFC), so the stored and sent text is the
cleaned one and the length limits count exactly what goes on the wire. A prompt with no visible character
is refused; so is a negative prompt that has characters but none visible (an empty or blank one simply
means "no negative prompt", which is how Discord and the CLI leave it out).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from core.catalogue import (
    DEFAULT_IMAGE_MODEL,
    DEFAULT_VIDEO_MODEL,
    RATIOS,
    Family,
    ImageModel,
    VideoModel,
    image_model,
    image_model_ids,
    video_model,
    video_model_ids,
)
from core.errors import InvalidRequest
from core.messages import Messages
from core.text import clean, has_visible, is_space, refuse_forbidden

_say = Messages()

MAX_SEED = 2_147_483_647


def _first_error(exc: ValidationError) -> InvalidRequest:
    err = exc.errors(include_url=False)[0]
    original = (err.get("ctx") or {}).get("error")
    if isinstance(original, InvalidRequest):
        return InvalidRequest(original.message, field=original.field)
    loc = ".".join(str(p) for p in err.get("loc", ()))
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        msg = f"unknown option {loc!r}"
    elif kind.startswith("int_"):
        msg = f"{loc} must be a whole number"
    elif kind.startswith("bool_"):
        msg = f"{loc} must be yes or no"
    elif kind == "missing":
        msg = f"{loc} is required"
    elif loc and not msg.startswith(loc):
        msg = f"{loc}: {msg}"
    return InvalidRequest(msg, field=loc or None)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @classmethod
    def build(cls, **values: Any) -> Self:
        """Validate ``values`` (``None`` means "use the default"); raise ``InvalidRequest`` if wrong."""
        try:
            return cls.model_validate({k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            raise _first_error(exc) from None


def _clean_prompt(value: Any, kind: str) -> Any:
    """The prompt as sent; ``""`` (refused as empty later) when only whitespace was given."""
    if not isinstance(value, str):
        return value  # pydantic's own type error
    cleaned = clean(value, what=_say("input.what.prompt"), field="prompt")
    if has_visible(cleaned):
        return cleaned
    if any(not is_space(ch) for ch in value):
        # Something was typed, but nothing the model could read: say so, not "empty".
        raise InvalidRequest(_say("input.prompt_invisible", kind=kind), field="prompt")
    return ""


def _clean_negative(value: Any) -> Any:
    """The negative prompt as sent; ``None`` for an empty or blank one (no negative prompt)."""
    if not isinstance(value, str):
        return value
    cleaned = clean(value, what=_say("input.what.negative_prompt"), field="negative_prompt")
    if has_visible(cleaned):
        return cleaned
    if any(not is_space(ch) for ch in value):
        raise InvalidRequest(_say("input.negative_invisible"), field="negative_prompt")
    return None


def _check_seed(seed: int | None) -> int | None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidRequest(f"seed must be a whole number from 0 to {MAX_SEED}", field="seed")
    return seed


class GenerationRequest(_Base):
    """A text-to-video request, complete and legal for ``model``."""

    kind: Literal["video"] = "video"
    model: str = DEFAULT_VIDEO_MODEL
    prompt: str
    negative_prompt: str | None = None
    resolution: str | None = None
    ratio: str | None = None
    duration: int | None = None
    seed: int | None = None
    prompt_extend: bool = True
    watermark: bool | None = None
    audio_url: str | None = None
    shot_type: Literal["single", "multi"] | None = None

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_text(cls, value: Any) -> Any:
        return _clean_prompt(value, "video")

    @field_validator("negative_prompt", mode="before")
    @classmethod
    def _negative_text(cls, value: Any) -> Any:
        return _clean_negative(value)

    @field_validator("audio_url", mode="before")
    @classmethod
    def _audio_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            refuse_forbidden(value, what=_say("input.what.audio_url"), field="audio_url")
            return value.strip()
        return value

    @field_validator("duration", mode="before")
    @classmethod
    def _whole_seconds(cls, value: Any) -> Any:
        # "5" is an error on the wire; a chat parser converts text before it gets here. Reject floats
        # with a fraction and bools (which pydantic would otherwise read as 0/1).
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise InvalidRequest("duration must be a whole number of seconds", field="duration")
        return value

    @field_validator("seed")
    @classmethod
    def _seed_range(cls, value: int | None) -> int | None:
        return _check_seed(value)

    @field_validator("resolution", mode="before")
    @classmethod
    def _upper_resolution(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
            if value.isdigit():
                value += "P"
        return value

    @model_validator(mode="after")
    def _fit_model(self) -> Self:
        spec = video_model(self.model)
        if spec is None:
            known = ", ".join(video_model_ids(include_snapshots=False))
            raise InvalidRequest(f"unknown model {self.model!r}; choose one of: {known}", field="model")
        # Frozen model: fill defaults through object.__setattr__ once, during validation.
        fill = object.__setattr__
        if not self.prompt:
            raise InvalidRequest("the prompt is empty: describe the video you want", field="prompt")
        if len(self.prompt) > spec.max_prompt:
            raise InvalidRequest(
                f"the prompt is {len(self.prompt)} characters; {spec.id} takes at most {spec.max_prompt}",
                field="prompt",
            )
        if self.negative_prompt is not None and len(self.negative_prompt) > spec.max_negative_prompt:
            raise InvalidRequest(
                f"the negative prompt is {len(self.negative_prompt)} characters; "
                f"at most {spec.max_negative_prompt}",
                field="negative_prompt",
            )
        if self.negative_prompt == "":
            fill(self, "negative_prompt", None)
        resolution = self.resolution or spec.default_resolution
        if resolution not in spec.sizes:
            raise InvalidRequest(f"resolution must be {_either(spec.resolutions)} for {spec.id}",
                                 field="resolution")
        ratio = self.ratio or spec.default_ratio
        if ratio not in spec.ratios(resolution):
            raise InvalidRequest(f"ratio must be {_either(spec.ratios(resolution))}", field="ratio")
        duration = self.duration if self.duration is not None else spec.default_duration
        if duration not in spec.durations:
            raise InvalidRequest(
                f"duration must be a whole number of seconds {spec.duration_text()} for {spec.id}",
                field="duration",
            )
        if self.audio_url is not None:
            if not spec.supports_audio:
                raise InvalidRequest(f"{spec.id} cannot take an audio track", field="audio_url")
            if not self.audio_url.startswith(("https://", "http://")):
                raise InvalidRequest("audio must be an http(s) link to a WAV or MP3 file", field="audio_url")
            # A link has no spaces or invisible characters; a CR or LF in it could also split a header.
            if any(ch.isspace() or not ch.isprintable() for ch in self.audio_url):
                raise InvalidRequest(_say("input.audio_url_spaces"), field="audio_url")
        if self.shot_type is not None and self.shot_type not in spec.shot_types:
            allowed = _either(spec.shot_types) if spec.shot_types else "not supported"
            raise InvalidRequest(f"shot_type for {spec.id}: {allowed}", field="shot_type")
        fill(self, "resolution", resolution)
        fill(self, "ratio", ratio)
        fill(self, "duration", duration)
        if self.watermark is None:
            fill(self, "watermark", spec.watermark_default)
        return self

    # -- derived -----------------------------------------------------------------------------------------

    @property
    def spec(self) -> VideoModel:
        spec = video_model(self.model)
        assert spec is not None  # guaranteed by validation
        return spec

    @property
    def seconds(self) -> int:
        assert self.duration is not None
        return self.duration

    @property
    def size(self) -> tuple[int, int]:
        assert self.resolution is not None and self.ratio is not None
        return self.spec.pixel_size(self.resolution, self.ratio)

    def estimated_cost(self, overrides: dict[str, Decimal] | None = None) -> Decimal:
        """What DashScope bills if the task succeeds (failed generations are free)."""
        assert self.resolution is not None
        return self.spec.cost(self.resolution, self.seconds, overrides)

    def with_changes(self, **changes: Any) -> GenerationRequest:
        """A new validated request (re-roll with a new seed, upscale to 1080P, remix the prompt)."""
        values = self.model_dump()
        values.update(changes)
        return GenerationRequest.build(**values)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body for ``POST /api/v1/services/aigc/video-generation/video-synthesis``."""
        spec = self.spec
        body_input: dict[str, Any] = {"prompt": self.prompt}
        params: dict[str, Any] = {
            "duration": self.seconds,
            "prompt_extend": self.prompt_extend,
            "watermark": self.watermark,
        }
        if self.seed is not None:
            params["seed"] = self.seed
        if spec.family is Family.WAN27_T2V:
            if self.negative_prompt:
                body_input["negative_prompt"] = self.negative_prompt
            if self.audio_url:
                body_input["audio_url"] = self.audio_url
            params["resolution"] = self.resolution
            params["ratio"] = self.ratio
        else:
            width, height = self.size
            params["size"] = f"{width}*{height}"
            if self.negative_prompt:
                params["negative_prompt"] = self.negative_prompt
            if self.audio_url:
                body_input["audio_url"] = self.audio_url
            if self.shot_type is not None:
                params["shot_type"] = self.shot_type
        return {"model": self.model, "input": body_input, "parameters": params}


class ImageRequest(_Base):
    """A text-to-image request (wan2.7-image / wan2.7-image-pro): an engine job like a video.

    The same body goes to the asynchronous endpoint (``X-DashScope-Async: enable``, then a task) and to
    the synchronous one the SDK conformance test still uses."""

    kind: Literal["image"] = "image"
    model: str = DEFAULT_IMAGE_MODEL
    prompt: str
    size: str | None = None
    n: int = 1  # the service defaults to 4 and bills per image: never send more than asked
    seed: int | None = None
    watermark: bool = False
    thinking_mode: bool = True

    @field_validator("seed")
    @classmethod
    def _seed_range(cls, value: int | None) -> int | None:
        return _check_seed(value)

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_text(cls, value: Any) -> Any:
        return _clean_prompt(value, "image")

    @field_validator("size", mode="before")
    @classmethod
    def _upper_size(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _fit_model(self) -> Self:
        spec = image_model(self.model)
        if spec is None:
            raise InvalidRequest(f"unknown image model {self.model!r}; choose {_either(image_model_ids())}",
                                 field="model")
        if not self.prompt:
            raise InvalidRequest("the prompt is empty: describe the image you want", field="prompt")
        if len(self.prompt) > spec.max_prompt:
            raise InvalidRequest(
                f"the prompt is {len(self.prompt)} characters; {spec.id} takes at most {spec.max_prompt}",
                field="prompt",
            )
        size = self.size or spec.default_size
        if size not in spec.sizes:
            raise InvalidRequest(f"size must be {_either(spec.sizes)} for {spec.id}", field="size")
        if not 1 <= self.n <= spec.max_n:
            raise InvalidRequest(f"n must be a whole number from 1 to {spec.max_n}", field="n")
        object.__setattr__(self, "size", size)
        return self

    @property
    def spec(self) -> ImageModel:
        spec = image_model(self.model)
        assert spec is not None
        return spec

    def estimated_cost(self, overrides: dict[str, Decimal] | None = None) -> Decimal:
        """What DashScope bills if all ``n`` images come back (billed per image returned)."""
        return self.spec.cost(self.n, overrides)

    def with_changes(self, **changes: Any) -> ImageRequest:
        """A new validated request (re-roll with a new seed, remix the prompt)."""
        values = self.model_dump()
        values.update(changes)
        return ImageRequest.build(**values)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body for ``POST /api/v1/services/aigc/image-generation/generation`` (async) and
        ``POST /api/v1/services/aigc/multimodal-generation/generation`` (sync): the same for both."""
        params: dict[str, Any] = {
            "size": self.size,
            "n": self.n,
            "watermark": self.watermark,
            "thinking_mode": self.thinking_mode,
        }
        if self.seed is not None:
            params["seed"] = self.seed
        return {
            "model": self.model,
            "input": {"messages": [{"role": "user", "content": [{"text": self.prompt}]}]},
            "parameters": params,
        }


#: What a job asks for: a video or an image, told apart by ``kind`` (how a stored row is read back).
AnyRequest = GenerationRequest | ImageRequest

_ANY_REQUEST: TypeAdapter[AnyRequest] = TypeAdapter(
    Annotated[GenerationRequest | ImageRequest, Field(discriminator="kind")]
)


def load_request(data: Any) -> AnyRequest:
    """A stored request (``model_dump(mode="json")``) read back as the right kind.

    A row written before images were jobs has ``kind: "video"`` too (the field always had a default)."""
    if isinstance(data, dict) and "kind" not in data:
        data = {**data, "kind": "video"}
    return _ANY_REQUEST.validate_python(data)


def _either(options: tuple[str, ...] | list[str]) -> str:
    opts = list(options)
    if len(opts) == 1:
        return opts[0]
    return ", ".join(opts[:-1]) + f" or {opts[-1]}"


__all__ = ["AnyRequest", "GenerationRequest", "ImageRequest", "MAX_SEED", "RATIOS", "load_request"]
