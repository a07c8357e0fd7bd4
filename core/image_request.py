"""``ImageRequest``: a text-to-image or image-editing job for wan2.7-image / wan2.7-image-pro.

Re-exported by ``core.request`` (import it from there); it lives apart to keep each module small.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import field_validator, model_validator

from core.catalogue import (
    DEFAULT_IMAGE_MODEL,
    ImageModel,
    image_model,
    image_model_ids,
)
from core.errors import InvalidRequest
from core.media_stash import is_ref
from core.request_base import (
    MAX_INPUT_IMAGES,
    _Base,
    _check_link,
    _check_seed,
    _clean_prompt,
    _either,
    _say,
    wire_ref,
)


class ImageRequest(_Base):
    """A text-to-image or image-editing request (wan2.7-image / wan2.7-image-pro): an engine job like a video.

    With ``images`` (1–9 refs or links) it edits them: size 1K or 2K only (4K is refused, not sent), and
    ``thinking_mode`` is not sent (the service ignores it then: one typed with images is refused, so nobody
    believes it applied); the output follows the last image's shape.
    The same body goes to the asynchronous endpoint (``X-DashScope-Async: enable``, then a task) and to
    the synchronous one the SDK conformance test still uses."""

    kind: Literal["image"] = "image"
    model: str = DEFAULT_IMAGE_MODEL
    prompt: str
    size: str | None = None
    n: int = 1  # the service defaults to 4 and bills per image: never send more than asked
    seed: int | None = None
    watermark: bool = False
    #: ``None``: not chosen (text-to-image sends ``True``, the service's default; an edit sends nothing).
    thinking_mode: bool | None = None
    images: tuple[str, ...] = ()

    @field_validator("seed")
    @classmethod
    def _seed_range(cls, value: int | None) -> int | None:
        return _check_seed(value)

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_text(cls, value: Any) -> Any:
        return _clean_prompt(value, "image")

    @field_validator("images", mode="before")
    @classmethod
    def _image_links(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(value) > MAX_INPUT_IMAGES:
                raise InvalidRequest(_say("edit.count", most=MAX_INPUT_IMAGES, count=len(value)), field="images")
            return tuple(_check_link(v, _say("media.what.image"), "images") for v in value)
        return value

    @field_validator("size", mode="before")
    @classmethod
    def _upper_size(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _fit_model(self) -> Self:
        spec = image_model(self.model)
        if spec is None:
            raise InvalidRequest(_say("image.unknown_model", model=repr(self.model), known=_either(image_model_ids())),
                                 field="model")
        if not self.prompt:
            raise InvalidRequest(_say("image.prompt_empty"), field="prompt")
        if len(self.prompt) > spec.max_prompt:
            raise InvalidRequest(_say("request.prompt_long", length=len(self.prompt), model=spec.id,
                                      most=spec.max_prompt), field="prompt")
        size = self.size or spec.default_size
        if size not in spec.sizes:
            raise InvalidRequest(_say("image.size", options=_either(spec.sizes), model=spec.id), field="size")
        if self.images and size == "4K":
            raise InvalidRequest(_say("edit.no_4k"), field="size")
        if self.images and self.thinking_mode is not None:
            raise InvalidRequest(_say("edit.no_thinking"), field="thinking_mode")
        if not 1 <= self.n <= spec.max_n:
            raise InvalidRequest(_say("image.n", most=spec.max_n), field="n")
        object.__setattr__(self, "size", size)
        return self

    @property
    def spec(self) -> ImageModel:
        spec = image_model(self.model)
        assert spec is not None
        return spec

    @property
    def edits(self) -> bool:
        """An edit of input images (else text-to-image)."""
        return bool(self.images)

    def refs(self) -> tuple[str, ...]:
        """Every stash ref this request sends (what the create path resolves first)."""
        return tuple(dict.fromkeys(r for r in self.images if is_ref(r)))

    def estimated_cost(self, overrides: dict[str, Decimal] | None = None) -> Decimal:
        """What DashScope bills if all ``n`` images come back (billed per image returned)."""
        return self.spec.cost(self.n, overrides)

    def with_changes(self, **changes: Any) -> ImageRequest:
        """A new validated request (re-roll with a new seed, remix the prompt)."""
        values = self.model_dump()
        values.update(changes)
        return ImageRequest.build(**values)

    def to_wire(self, resolved: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON body for ``POST /api/v1/services/aigc/image-generation/generation`` (async) and
        ``POST /api/v1/services/aigc/multimodal-generation/generation`` (sync): the same for both.
        ``resolved`` maps each stash ref in ``images`` to the URL or ``data:`` URI DashScope is sent."""
        params: dict[str, Any] = {"size": self.size, "n": self.n, "watermark": self.watermark}
        if not self.images:
            params["thinking_mode"] = True if self.thinking_mode is None else self.thinking_mode
        if self.seed is not None:
            params["seed"] = self.seed
        content: list[dict[str, str]] = [{"text": self.prompt}]
        content += [{"image": wire_ref(ref, resolved)} for ref in self.images]
        return {
            "model": self.model,
            "input": {"messages": [{"role": "user", "content": content}]},
            "parameters": params,
        }


__all__ = ["ImageRequest"]
