"""The text forms of image editing and animate (issue 12), for every text surface (the console, Slack):

    /wan image <prompt> --image <link> [--image <link> …]      edit 1–9 images
    /wan animate [prompt] --first <link> [--last <link>] [--audio <link>] [--resolution …] [--duration N] …
    /wan animate [prompt] --from <job>                            animate an image result

A link is an http(s) URL or a ``data:`` URI (Slack's ``<url|label>`` form is unwrapped); the console
turns a path into a ``data:`` URI before the command runs (``adapters.console``). ``--ratio`` on animate is
refused with one sentence: the shape follows the image. The flag grammar (``--flag value``, ``--flag=value``,
an option given twice refused) is ``core.commands``'; ``--image`` is the one flag that may repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalogue import i2v_model_ids
from core.errors import InvalidRequest
from core.flags import _VIDEO_FLAGS, _Flag, _split_flags
from core.messages import Messages
from core.request import MAX_INPUT_IMAGES
from core.text import clean, strip_invisible

_say = Messages()


@dataclass(frozen=True)
class EditCommand:
    """``/wan image <prompt> --image …``: the image options as typed, and the images' links in order."""

    typed: dict[str, Any]
    images: tuple[str, ...]


@dataclass(frozen=True)
class AnimateCommand:
    """``/wan animate``: options as typed; a first frame's link or an image job's id (one of them)."""

    typed: dict[str, Any] = field(default_factory=dict)
    first: str | None = None
    last: str | None = None
    audio: str | None = None
    from_job: str | None = None


_LINK_FIELDS = frozenset({"first", "last", "audio_link", "from_job"})

ANIMATE_FLAGS: dict[str, _Flag] = {
    **{name: flag for name, flag in _VIDEO_FLAGS.items()
       if flag.field in ("duration", "resolution", "seed", "negative_prompt", "prompt_extend", "watermark", "ratio")},
    "model": _Flag("model", True, hint=" | ".join(i2v_model_ids(include_snapshots=False))),
    "first": _Flag("first", True, hint="input.hint.first"),
    "last": _Flag("last", True, hint="input.hint.last"),
    "audio": _Flag("audio_link", True, hint="input.hint.driving_audio"),
    "from": _Flag("from_job", True, hint="input.hint.from"),
}


def unwrap_link(value: str) -> str:
    """``<https://x|label>`` (how Slack sends a link) → ``https://x``; anything else as typed."""
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1].split("|", 1)[0]
    return value


def take_repeated(tokens: list[str], name: str) -> tuple[list[str], list[str]]:
    """Remove every ``--name value`` / ``--name=value`` from ``tokens``; (the rest, the values in order)."""
    rest: list[str] = []
    values: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        bare = strip_invisible(token)
        bare = "--" + bare[1:] if bare.startswith(("\u2014", "\u2013")) else bare
        head, eq, inline = bare.partition("=")
        if head.lower() != f"--{name}":
            rest.append(token)
            i += 1
            continue
        if eq:
            raw = inline
            i += 1
        elif i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
            raw = tokens[i + 1]
            i += 2
        else:
            raise InvalidRequest(_say("media.needs_link", name=name), field=name)
        values.append(unwrap_link(clean(raw, what=f"--{name}", field=name)))
    return rest, values


def parse_edit(words: list[str], values: dict[str, Any], images: list[str]) -> EditCommand:
    if len(images) > MAX_INPUT_IMAGES:
        raise InvalidRequest(_say("edit.count", most=MAX_INPUT_IMAGES, count=len(images)), field="images")
    return EditCommand({**values, "prompt": " ".join(words)}, tuple(images))


def parse_animate(tokens: list[str]) -> AnimateCommand:
    words, values = _split_flags(tokens, ANIMATE_FLAGS)
    if values.get("ratio") is not None:
        raise InvalidRequest(_say("animate.ratio"), field="ratio")
    links = {k: unwrap_link(values.pop(k)) for k in list(values) if k in _LINK_FIELDS}
    from_job = links.get("from_job")
    if from_job is not None:
        from_job = from_job.lower()
    if words:
        values["prompt"] = " ".join(words)
    return AnimateCommand(values, first=links.get("first"), last=links.get("last"), audio=links.get("audio_link"),
                          from_job=from_job)


__all__ = ["ANIMATE_FLAGS", "AnimateCommand", "EditCommand", "parse_animate", "parse_edit", "take_repeated",
           "unwrap_link"]
