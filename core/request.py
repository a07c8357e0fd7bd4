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

Input files (issue 12): an image edit's ``ImageRequest.images`` and an animation's
``GenerationRequest.media`` (model wan2.7-i2v) hold media refs (``wanbot-media:…``, ``core.media_stash``) or
http(s) links, never a platform's signed link or a ``data:`` URI (a stored row stays small). ``to_wire``
takes ``resolved``: what each ref is sent as (a URL or a ``data:`` URI), built by the create path right
before the create; a ref missing from it is a bug, not something to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import Field, TypeAdapter, field_validator, model_validator

from core.catalogue import (
    DEFAULT_VIDEO_MODEL,
    RATIOS,
    Family,
    VideoModel,
    video_model,
    video_model_ids,
)
from core.errors import InvalidRequest
from core.image_request import ImageRequest
from core.media_stash import is_ref, key_of
from core.request_base import (
    MAX_INPUT_IMAGES,
    MAX_SEED,
    MEDIA_ORDER,
    MediaItem,
    MediaType,
    _Base,
    _check_seed,
    _clean_negative,
    _clean_prompt,
    _either,
    _say,
    wire_ref,
)
from core.text import refuse_forbidden


def _durations(spec: VideoModel) -> str:
    """The lengths ``spec`` takes, as the request's language says them ("from 2 to 15", "5 or 10", "5");
    the English text is ``VideoModel.duration_text``'s."""
    d = spec.durations
    if len(d) == 1:
        return f"{d[0]}"
    if list(d) == list(range(d[0], d[-1] + 1)) and len(d) > 2:
        return _say("request.durations.range", low=d[0], high=d[-1])
    return _either([str(x) for x in d])


class GenerationRequest(_Base):
    """A video request, complete and legal for ``model``: text-to-video, or an animation (wan2.7-i2v, with
    ``media``: a first frame, maybe a last frame and driving audio; prompt optional; no ratio)."""

    kind: Literal["video"] = "video"
    model: str = DEFAULT_VIDEO_MODEL
    prompt: str = ""
    negative_prompt: str | None = None
    resolution: str | None = None
    ratio: str | None = None
    duration: int | None = None
    seed: int | None = None
    prompt_extend: bool = True
    watermark: bool | None = None
    audio_url: str | None = None
    shot_type: Literal["single", "multi"] | None = None
    media: tuple[MediaItem, ...] = ()

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

    @field_validator("media")
    @classmethod
    def _media_order(cls, value: tuple[MediaItem, ...]) -> tuple[MediaItem, ...]:
        seen: set[str] = set()
        for item in value:
            if item.type in seen:
                raise InvalidRequest(_say("animate.media_twice", type=item.type.replace("_", " ")), field="media")
            seen.add(item.type)
        if value and "first_frame" not in seen:
            raise InvalidRequest(_say("animate.last_without_first" if "last_frame" in seen
                                      else "animate.no_first_frame"), field="media")
        return tuple(sorted(value, key=lambda item: MEDIA_ORDER.index(item.type)))

    @field_validator("duration", mode="before")
    @classmethod
    def _whole_seconds(cls, value: Any) -> Any:
        # "5" is an error on the wire; a chat parser converts text before it gets here. Reject floats
        # with a fraction and bools (which pydantic would otherwise read as 0/1).
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise InvalidRequest(_say("request.duration_whole"), field="duration")
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
            raise InvalidRequest(_say("request.unknown_model", model=repr(self.model), known=known), field="model")
        # Frozen model: fill defaults through object.__setattr__ once, during validation.
        fill = object.__setattr__
        if spec.animates:
            self._fit_animation()
        elif self.media:
            raise InvalidRequest(_say("animate.no_media", model=spec.id), field="media")
        if not self.prompt and not spec.animates:
            raise InvalidRequest(_say("animate.prompt_empty"), field="prompt")
        if len(self.prompt) > spec.max_prompt:
            raise InvalidRequest(_say("request.prompt_long", length=len(self.prompt), model=spec.id,
                                      most=spec.max_prompt), field="prompt")
        if self.negative_prompt is not None and len(self.negative_prompt) > spec.max_negative_prompt:
            raise InvalidRequest(_say("request.negative_long", length=len(self.negative_prompt),
                                      most=spec.max_negative_prompt), field="negative_prompt")
        if self.negative_prompt == "":
            fill(self, "negative_prompt", None)
        resolution = self.resolution or spec.default_resolution
        if resolution not in spec.sizes:
            raise InvalidRequest(_say("request.resolution", options=_either(spec.resolutions), model=spec.id),
                                 field="resolution")
        ratio = None if spec.animates else (self.ratio or spec.default_ratio)
        if ratio is not None and ratio not in spec.ratios(resolution):
            raise InvalidRequest(_say("request.ratio", options=_either(spec.ratios(resolution))), field="ratio")
        duration = self.duration if self.duration is not None else spec.default_duration
        if duration not in spec.durations:
            raise InvalidRequest(_say("request.duration", allowed=_durations(spec), model=spec.id),
                                 field="duration")
        if self.audio_url is not None:
            if not spec.supports_audio:
                raise InvalidRequest(_say("request.no_audio", model=spec.id), field="audio_url")
            if is_ref(self.audio_url):
                # A stashed copy of an attachment (served to DashScope by the media host).
                if key_of(self.audio_url) is None:
                    raise InvalidRequest(_say("media.bad_ref"), field="audio_url")
            elif not self.audio_url.startswith(("https://", "http://")):
                raise InvalidRequest(_say("request.audio_link"), field="audio_url")
            # A link has no spaces or invisible characters; a CR or LF in it could also split a header.
            if any(ch.isspace() or not ch.isprintable() for ch in self.audio_url):
                raise InvalidRequest(_say("input.audio_url_spaces"), field="audio_url")
        if self.shot_type is not None and self.shot_type not in spec.shot_types:
            if not spec.shot_types:
                raise InvalidRequest(_say("request.shot_type_unsupported", model=spec.id), field="shot_type")
            raise InvalidRequest(_say("request.shot_type", model=spec.id, allowed=_either(spec.shot_types)),
                                 field="shot_type")
        fill(self, "resolution", resolution)
        fill(self, "ratio", ratio)
        fill(self, "duration", duration)
        if self.watermark is None:
            fill(self, "watermark", spec.watermark_default)
        return self

    def _fit_animation(self) -> None:
        """wan2.7-i2v: a first frame is required (``media``), no ratio (it follows the image), no
        ``audio_url`` (its audio is the ``driving_audio`` entry), no shot type."""
        spec = self.spec
        if not self.media:
            raise InvalidRequest(_say("animate.needs_media", model=spec.id), field="media")
        if self.ratio is not None:
            raise InvalidRequest(_say("animate.ratio"), field="ratio")
        if self.audio_url is not None:
            raise InvalidRequest(_say("request.audio_driving", model=spec.id), field="audio_url")
        if self.shot_type is not None:
            raise InvalidRequest(_say("request.shot_type_unsupported", model=spec.id), field="shot_type")

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
        """The rendered pixel size (text-to-video only: an animation's follows its first frame)."""
        assert self.resolution is not None and self.ratio is not None
        return self.spec.pixel_size(self.resolution, self.ratio)

    @property
    def animates(self) -> bool:
        return self.spec.animates

    def frame(self, kind: MediaType) -> str | None:
        """The ref or link of ``media``'s ``kind`` entry, if any."""
        return next((item.url for item in self.media if item.type == kind), None)

    def refs(self) -> tuple[str, ...]:
        """Every stash ref this request sends (what the create path resolves first)."""
        found = [item.url for item in self.media] + ([self.audio_url] if self.audio_url else [])
        return tuple(dict.fromkeys(r for r in found if is_ref(r)))

    def estimated_cost(self, overrides: dict[str, Decimal] | None = None) -> Decimal:
        """What DashScope bills if the task succeeds (failed generations are free)."""
        assert self.resolution is not None
        return self.spec.cost(self.resolution, self.seconds, overrides)

    def with_changes(self, **changes: Any) -> GenerationRequest:
        """A new validated request (re-roll with a new seed, upscale to 1080P, remix the prompt)."""
        values = self.model_dump()
        values.update(changes)
        return GenerationRequest.build(**values)

    def to_wire(self, resolved: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON body for ``POST /api/v1/services/aigc/video-generation/video-synthesis``; ``resolved``
        maps each stash ref (``refs``) to what DashScope is sent."""
        spec = self.spec
        body_input: dict[str, Any] = {"prompt": self.prompt}
        params: dict[str, Any] = {
            "duration": self.seconds,
            "prompt_extend": self.prompt_extend,
            "watermark": self.watermark,
        }
        if self.seed is not None:
            params["seed"] = self.seed
        if spec.family is Family.WAN27_I2V:
            if not self.prompt:
                del body_input["prompt"]  # optional for i2v: an empty one is not sent
            if self.negative_prompt:
                body_input["negative_prompt"] = self.negative_prompt
            body_input["media"] = [item.to_wire(resolved) for item in self.media]
            params = {"resolution": self.resolution, **params}
        elif spec.family is Family.WAN27_T2V:
            if self.negative_prompt:
                body_input["negative_prompt"] = self.negative_prompt
            if self.audio_url:
                body_input["audio_url"] = wire_ref(self.audio_url, resolved)
            params["resolution"] = self.resolution
            params["ratio"] = self.ratio
        else:
            width, height = self.size
            params["size"] = f"{width}*{height}"
            if self.negative_prompt:
                params["negative_prompt"] = self.negative_prompt
            if self.audio_url:
                body_input["audio_url"] = wire_ref(self.audio_url, resolved)
            if self.shot_type is not None:
                params["shot_type"] = self.shot_type
        return {"model": self.model, "input": body_input, "parameters": params}


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
    if isinstance(data, dict) and data.get("kind") == "image" and data.get("images"):
        # Edits stored before thinking_mode became optional carry the old default (True), never sent.
        data = {**data, "thinking_mode": None}
    return _ANY_REQUEST.validate_python(data)


__all__ = ["AnyRequest", "GenerationRequest", "ImageRequest", "MAX_INPUT_IMAGES", "MAX_SEED", "MEDIA_ORDER",
           "MediaItem", "MediaType", "RATIOS", "load_request", "wire_ref"]
