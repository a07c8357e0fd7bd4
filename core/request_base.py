"""The parts every request shares (``core.request``, ``core.image_request``): the pydantic base with
``build`` (an ``InvalidRequest`` a chat user understands instead of a traceback), prompt and negative-prompt
cleaning, the seed range, and media references — a stash ref (``wanbot-media:…``) or an http(s) link,
turned into what DashScope is sent by ``wire_ref`` at create time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.errors import InvalidRequest
from core.media_stash import is_ref, key_of
from core.messages import Messages
from core.text import clean, has_visible, is_space

_say = Messages()

MAX_SEED = 2_147_483_647
#: Input images an edit takes (the reference: 0–9 ``image`` entries; 0 is text-to-image).
MAX_INPUT_IMAGES = 9

MediaType = Literal["first_frame", "last_frame", "driving_audio"]
#: The order ``media`` is kept and sent in.
MEDIA_ORDER: tuple[MediaType, ...] = ("first_frame", "last_frame", "driving_audio")


def _first_error(exc: ValidationError) -> InvalidRequest:
    err = exc.errors(include_url=False)[0]
    original = (err.get("ctx") or {}).get("error")
    if isinstance(original, InvalidRequest):
        return InvalidRequest(original.message, field=original.field)
    loc = ".".join(str(p) for p in err.get("loc", ()))
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        msg = _say("request.unknown_field", name=repr(loc))
    elif kind.startswith("int_"):
        msg = _say("request.not_whole", name=loc)
    elif kind.startswith("bool_"):
        msg = _say("request.not_yes_no", name=loc)
    elif kind == "missing":
        msg = _say("request.required", name=loc)
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


def _check_link(value: Any, what: str, field: str) -> Any:
    """A media reference as stored: a stash ref, or an http(s) link with no space or invisible character."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if is_ref(value):
        if key_of(value) is None:
            raise InvalidRequest(_say("media.bad_ref"), field=field)
        return value
    if not value.startswith(("https://", "http://")):
        raise InvalidRequest(_say("media.not_link", what=what), field=field)
    # A link has no spaces or invisible characters; a CR or LF in it could also split a header.
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise InvalidRequest(_say("media.link_spaces", what=what), field=field)
    return value


def wire_ref(ref: str, resolved: Mapping[str, str] | None) -> str:
    """What ``ref`` is sent as: its ``resolved`` value, else an http(s) link unchanged."""
    if resolved is not None and ref in resolved:
        return resolved[ref]
    if is_ref(ref):
        raise ValueError(f"media ref {ref!r} was not resolved before the create")
    return ref


class MediaItem(BaseModel):
    """One ``input.media`` entry of an animation: a frame or the driving audio, as a ref or a link."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: MediaType
    url: str

    @field_validator("url", mode="before")
    @classmethod
    def _url_text(cls, value: Any) -> Any:
        return _check_link(value, _say("media.what.frame"), "media")

    def to_wire(self, resolved: Mapping[str, str] | None = None) -> dict[str, str]:
        return {"type": self.type, "url": wire_ref(self.url, resolved)}


def _check_seed(seed: int | None) -> int | None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidRequest(_say("request.seed_range", most=MAX_SEED), field="seed")
    return seed


def _either(options: tuple[str, ...] | list[str]) -> str:
    opts = list(options)
    if len(opts) == 1:
        return opts[0]
    return _say("list.or", items=", ".join(opts[:-1]), last=opts[-1])
