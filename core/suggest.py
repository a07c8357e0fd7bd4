"""Which values an option may take for the model chosen, and the ones that match what was typed.

Chat surfaces that complete options as they are typed (Discord's autocomplete) ask here: ``/wan video``
with ``model: wan2.7-t2v`` offers ``720P`` and ``1080P`` for ``resolution``, never ``480P``; a model that
renders 480P offers it. Every value comes from ``core.catalogue``; none is written down twice. The
validation of the request itself (``core.request``) stays the judge: a value typed by hand that the
model does not take is still refused with the sentence naming the ones it does.

Surfaces without completion (Slack, the console) show the same table in ``/wan help``
(``values_by_model``), and the refusal of a bad value names the model's own values.

``option_values`` is the whole list for one option of one command, given the model (``None``: the
command's default) and, for ``ratio``, the resolution; ``matching`` keeps the ones that start with (then
contain) what was typed, at most ``LIMIT`` (Discord shows 25).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from core.catalogue import (
    DEFAULT_I2V_MODEL,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_VIDEO_MODEL,
    I2V_MODELS,
    IMAGE_MODELS,
    VIDEO_MODELS,
    ImageModel,
    VideoModel,
    image_model,
    video_model,
)
from core.messages import Messages

#: The most suggestions one answer may carry (Discord's limit).
LIMIT = 25

#: Commands whose model is a text-to-video one (the rest: ``image``, ``animate``).
_VIDEO_COMMANDS = ("video", "storyboard", "defaults")

Value = str | int
_T = TypeVar("_T")


@dataclass(frozen=True)
class Suggestion:
    """One value to offer: what is sent back (``value``) and what the person reads (``label``)."""

    value: Value
    label: str


def model_for(command: str, model: str | None) -> VideoModel | ImageModel:
    """The catalogue entry ``command`` uses with ``model`` (unknown or ``None``: the command's default)."""
    if command == "image":
        return image_model(model or "") or _known(image_model(DEFAULT_IMAGE_MODEL))
    default = DEFAULT_I2V_MODEL if command == "animate" else DEFAULT_VIDEO_MODEL
    found = video_model(model or "")
    if found is None or found.animates != (command == "animate"):
        found = video_model(default)
    return _known(found)


def option_values(command: str, option: str, model: str | None, *, resolution: str | None = None) -> tuple[Value, ...]:
    """Every value ``option`` of ``/wan <command>`` may take with ``model`` (empty: the model takes none)."""
    spec = model_for(command, model)
    if isinstance(spec, ImageModel):
        return spec.sizes if option == "size" else ()
    if option == "resolution":
        return _by_height(spec.resolutions)
    if option == "ratio":
        at = resolution.upper() if resolution and resolution.upper() in spec.sizes else spec.default_resolution
        return spec.ratios(at)
    if option == "duration":
        return spec.durations
    if option == "shot_type":
        return spec.shot_types
    return ()


def matching(values: Sequence[Value], typed: str, messages: Messages, *, option: str = "") -> list[Suggestion]:
    """The values that start with ``typed`` (case-insensitive), then those that contain it; at most ``LIMIT``."""
    needle = typed.strip().lower()
    first = [v for v in values if str(v).lower().startswith(needle)]
    then = [v for v in values if needle in str(v).lower() and v not in first]
    return [Suggestion(v, _label(v, option, messages)) for v in (first + then)[:LIMIT]]


def suggest(command: str, option: str, typed: str, messages: Messages, *, model: str | None,
            resolution: str | None = None) -> list[Suggestion]:
    """What to offer for ``option`` of ``/wan <command>`` while ``typed`` is in the box."""
    values = option_values(command, option, model, resolution=resolution)
    return matching(values, typed, messages, option=option)


def values_by_model(messages: Messages) -> str:
    """Each model with the resolutions (or sizes) and lengths it takes: ``/wan help`` on typed surfaces."""
    lines = [messages("help.models")]
    for spec in (*VIDEO_MODELS, *I2V_MODELS):
        key = "help.model.animate" if spec.animates else "help.model.video"
        lines.append(messages(key, model=spec.id, resolutions=", ".join(_by_height(spec.resolutions)),
                              durations=spec.duration_text()))
    for image in IMAGE_MODELS:
        lines.append(messages("help.model.image", model=image.id, sizes=", ".join(image.sizes)))
    return "\n".join(lines)


def uses_video_defaults(command: str) -> bool:
    """Whether a missing model means the channel's ``/wan defaults`` model (a new video or storyboard)."""
    return command in _VIDEO_COMMANDS and command != "defaults"


def _label(value: Value, option: str, messages: Messages) -> str:
    if option == "duration":
        return messages("suggest.seconds", seconds=value)
    return str(value)


def _by_height(resolutions: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(resolutions, key=lambda r: int(r[:-1]) if r[:-1].isdigit() else 0))


def _known(spec: _T | None) -> _T:
    assert spec is not None, "the catalogue's default model is missing"
    return spec


__all__ = ["LIMIT", "Suggestion", "matching", "model_for", "option_values", "suggest", "uses_video_defaults",
           "values_by_model"]
