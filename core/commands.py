"""The chat command language: ``/wan video <prompt> [--flags]`` as people type it.

One parser for every text-based surface (the console, Slack's slash command text): flags may stand
anywhere, as ``--flag value`` or ``--flag=value``; double quotes (straight or the smart quotes chat
clients insert) group words; apostrophes are plain text, because prompts say "a fox's tail". Any
problem raises ``InvalidRequest`` naming the flag and its allowed values, so nothing half-parsed is ever
queued. An option given twice — under the same name or an alias (``--ratio 16:9 --ar 9:16``), or as a
contradicting pair (``--watermark --no-watermark``) — is refused: silently keeping the last one bills a
video the person may not have meant. The text rules (control characters refused, invisible characters
removed) are ``core.text``'s; the prompt gets them from the request, flag values get them here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.catalogue import RATIOS, image_model_ids, video_model_ids
from core.errors import InvalidRequest
from core.messages import Messages
from core.request import MAX_SEED, GenerationRequest, ImageRequest
from core.store.channels import ALLOWED_DEFAULTS
from core.text import clean, is_space, refuse_forbidden, strip_invisible

_say = Messages()

_QUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\uff02": '"'}


@dataclass(frozen=True)
class VideoCommand:
    request: GenerationRequest


@dataclass(frozen=True)
class ImageCommand:
    request: ImageRequest


@dataclass(frozen=True)
class StatusCommand:
    job_id: str | None = None


@dataclass(frozen=True)
class CancelCommand:
    job_id: str | None = None


@dataclass(frozen=True)
class UsageCommand:
    pass


@dataclass(frozen=True)
class HelpCommand:
    topic: str | None = None


@dataclass(frozen=True)
class DefaultsCommand:
    """``/wan defaults``: show the channel's defaults, replace them with ``values``, or clear them.

    ``values`` is already validated and normalised (``validate_defaults``), ready for the store.
    """

    action: Literal["show", "set", "clear"] = "show"
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryboardCommand:
    """``/wan storyboard shot one | shot two [--duration 10 …]``: ``shots`` empty = ask for them (a modal)."""

    shots: tuple[str, ...]
    typed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobCommand:
    """``/wan reroll|upscale|delete <job>`` and ``/wan remix <job> <new prompt>``: the buttons, typed."""

    action: Literal["reroll", "upscale", "delete", "remix"]
    job_id: str
    prompt: str | None = None


Command = (VideoCommand | ImageCommand | StoryboardCommand | StatusCommand | CancelCommand | UsageCommand
           | HelpCommand | DefaultsCommand | JobCommand)


def tokenize(text: str) -> list[str]:
    """Split on whitespace, keeping double-quoted spans together; an unclosed quote runs to the end.

    Control characters never separate words (even those ``str.isspace`` calls space, like ``U+001F``):
    they stay inside their token so that the prompt or option they are in refuses them by name.
    """
    for smart, plain in _QUOTES.items():
        text = text.replace(smart, plain)
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    in_token = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            in_token = True
        elif is_space(ch) and not quoted:
            if in_token:
                tokens.append("".join(current))
                current, in_token = [], False
        else:
            current.append(ch)
            in_token = True
    if in_token:
        tokens.append("".join(current))
    return tokens


def _seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        raise InvalidRequest(f"--seed must be a whole number from 0 to {MAX_SEED}", field="seed") from None
    return seed


def _int(flag: str, hint: str) -> Callable[[str], int]:
    def convert(value: str) -> int:
        cleaned = value.lower().removesuffix("s").removesuffix("sec")
        try:
            return int(cleaned)
        except ValueError:
            raise InvalidRequest(f"--{flag} must be {hint}, not {value!r}", field=flag) from None

    return convert


@dataclass(frozen=True)
class _Flag:
    field: str
    takes_value: bool
    convert: Callable[[str], Any] | None = None
    constant: Any = None
    hint: str = ""


_VIDEO_FLAGS: dict[str, _Flag] = {
    "ratio": _Flag("ratio", True, hint=" | ".join(RATIOS)),
    "ar": _Flag("ratio", True, hint=" | ".join(RATIOS)),
    "aspect": _Flag("ratio", True, hint=" | ".join(RATIOS)),
    "duration": _Flag("duration", True, _int("duration", "a whole number of seconds"), hint="seconds, e.g. 5"),
    "d": _Flag("duration", True, _int("duration", "a whole number of seconds"), hint="seconds, e.g. 5"),
    "resolution": _Flag("resolution", True, hint="720P | 1080P"),
    "res": _Flag("resolution", True, hint="720P | 1080P"),
    "seed": _Flag("seed", True, _seed, hint=f"0 to {MAX_SEED}"),
    "negative": _Flag("negative_prompt", True, hint="text to avoid"),
    "no": _Flag("negative_prompt", True, hint="text to avoid"),
    "model": _Flag("model", True, hint=" | ".join(video_model_ids(include_snapshots=False))),
    "audio": _Flag("audio_url", True, hint="https link to a WAV/MP3"),
    "shot": _Flag("shot_type", True, hint="single | multi"),
    "no-extend": _Flag("prompt_extend", False, constant=False),
    "extend": _Flag("prompt_extend", False, constant=True),
    "watermark": _Flag("watermark", False, constant=True),
    "no-watermark": _Flag("watermark", False, constant=False),
}

_IMAGE_FLAGS: dict[str, _Flag] = {
    "size": _Flag("size", True, hint="1K | 2K | 4K"),
    "n": _Flag("n", True, _int("n", "a whole number from 1 to 4"), hint="1 to 4"),
    "seed": _Flag("seed", True, _seed, hint=f"0 to {MAX_SEED}"),
    "model": _Flag("model", True, hint=" | ".join(image_model_ids())),
    "watermark": _Flag("watermark", False, constant=True),
    "no-thinking": _Flag("thinking_mode", False, constant=False),
    "thinking": _Flag("thinking_mode", False, constant=True),
    "no-watermark": _Flag("watermark", False, constant=False),
}


#: Flag values that are text to keep as typed: cleaned like a prompt (``core.text``), never NFKC-folded.
_FREE_TEXT = frozenset({"negative_prompt", "audio_url"})


def _known(flags: dict[str, _Flag]) -> str:
    return ", ".join(f"--{n}" for n in flags)


def _once(flag: _Flag, name: str, seen: dict[str, tuple[str, Any]], value: Any) -> None:
    """Record that option ``--name`` set ``flag.field``; refuse a second setting of that field."""
    if flag.field in seen:
        first, before = seen[flag.field]
        if first == name:
            raise InvalidRequest(_say("input.option_twice", flag=f"--{name}"), field=flag.field)
        key = "input.option_contradiction" if not flag.takes_value and before != value else "input.option_alias_twice"
        raise InvalidRequest(_say(key, flag=f"--{first}", other=f"--{name}"), field=flag.field)
    seen[flag.field] = (name, value)


def _split_flags(tokens: list[str], flags: dict[str, _Flag]) -> tuple[list[str], dict[str, Any]]:
    words: list[str] = []
    values: dict[str, Any] = {}
    seen: dict[str, tuple[str, Any]] = {}
    # Options are recognised without invisible characters, so that a zero-width space pasted into "--ar"
    # still names it; prompt words stay as typed for the request to judge (and refuse if nothing is visible).
    typed, tokens = tokens, [strip_invisible(token) for token in tokens]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        # "—ar" appears when a phone or Slack client turns "--" into an em (or en) dash.
        normalized = "--" + token[1:] if token.startswith(("\u2014", "\u2013")) else token
        if not normalized.startswith("--") or normalized == "--":
            words.append(typed[i - 1])
            continue
        name, eq, inline = normalized[2:].partition("=")
        # Before the name is echoed in a message: a control character must not be.
        refuse_forbidden(name, what=_say("input.what.option"), field="option")
        if not name:
            # "--=5": a value with no option name in front of it.
            raise InvalidRequest(f"{token!r} has no option name; options are: {_known(flags)}", field="option")
        flag = flags.get(name.lower())
        if flag is None:
            raise InvalidRequest(f"unknown option --{name}; options are: {_known(flags)}", field=name)
        name = name.lower()
        if not flag.takes_value:
            if eq:
                raise InvalidRequest(f"--{name} takes no value", field=flag.field)
            _once(flag, name, seen, flag.constant)
            values[flag.field] = flag.constant
            continue
        if eq:
            raw = inline
        elif i < len(tokens) and not tokens[i].startswith("--"):
            raw = tokens[i]
            i += 1
        else:
            raise InvalidRequest(f"--{name} needs a value ({flag.hint})", field=flag.field)
        # Controls refused, invisible characters gone ("9:16" pasted with a zero-width space still works).
        raw = clean(raw, what=f"--{name}", field=flag.field)
        if not raw:
            raise InvalidRequest(f"--{name} needs a value ({flag.hint})", field=flag.field)
        _once(flag, name, seen, raw)
        if flag.field not in _FREE_TEXT:
            # Chinese input methods type "9：16" and "１０"; NFKC makes them "9:16" and "10".
            raw = unicodedata.normalize("NFKC", raw)
        values[flag.field] = flag.convert(raw) if flag.convert else raw
    return words, values


_REQUEST_VERBS = frozenset({"video", "v", "image", "img", "i", "defaults", "storyboard", "remix"})
#: Options a storyboard takes: the video flags that make sense for shots written by hand.
_STORYBOARD_FLAGS = {name: flag for name, flag in _VIDEO_FLAGS.items()
                     if flag.field in ("ratio", "duration", "resolution", "seed", "model", "negative_prompt",
                                       "watermark")}


def parse_command(text: str, *, defaults: Mapping[str, Any] | None = None) -> Command:
    """Parse what follows ``/wan``; ``defaults`` (a channel's defaults) fill what a video request leaves unset."""
    tokens = tokenize(text)  # no str.strip(): it would drop a trailing control character unseen
    if tokens and tokens[0].lower() in ("/wan", "wan"):
        tokens = tokens[1:]
    if not tokens:
        return HelpCommand()
    verb, rest = tokens[0].lower(), tokens[1:]
    if verb not in _REQUEST_VERBS:
        # A prompt or flag value refuses its own control characters, naming itself; anything else here
        # (a job id, a help topic) would be echoed back, so refuse them before that.
        refuse_forbidden(" ".join(tokens), what=_say("input.what.command"), field="command")
    if verb in ("video", "v"):
        words, values = _split_flags(rest, _VIDEO_FLAGS)
        return VideoCommand(video_request({**values, "prompt": " ".join(words)}, defaults))
    if verb in ("image", "img", "i"):
        words, values = _split_flags(rest, _IMAGE_FLAGS)
        return ImageCommand(ImageRequest.build(**values, prompt=" ".join(words)))
    if verb in ("status", "cancel"):
        if len(rest) > 1:
            raise InvalidRequest(f"/wan {verb} takes at most one job id", field="job")
        job_id = rest[0].lower() if rest else None
        return StatusCommand(job_id) if verb == "status" else CancelCommand(job_id)
    if verb == "storyboard":
        words, values = _split_flags(rest, _STORYBOARD_FLAGS)
        shots = tuple(shot.strip() for shot in " ".join(words).split("|")) if words else ()
        return StoryboardCommand(tuple(shot for shot in shots if shot), values)
    if verb in ("reroll", "upscale", "delete", "remix"):
        if not rest:
            raise InvalidRequest(f"/wan {verb} needs a job id (it is on the status message)", field="job")
        if verb != "remix" and len(rest) > 1:
            raise InvalidRequest(f"/wan {verb} takes one job id", field="job")
        job_id = strip_invisible(rest[0]).lower()
        refuse_forbidden(job_id, what=_say("input.what.command"), field="job")
        prompt = " ".join(rest[1:]) if verb == "remix" else None
        if verb == "remix" and not prompt:
            raise InvalidRequest("/wan remix needs the job id and the new prompt", field="prompt")
        return JobCommand(verb, job_id, prompt)  # type: ignore[arg-type]
    if verb == "usage":
        return UsageCommand()
    if verb == "help":
        return HelpCommand(rest[0].lower() if rest else None)
    if verb == "defaults":
        return _parse_defaults(rest)
    raise InvalidRequest(
        f"unknown command {tokens[0]!r}; try video, image, storyboard, status, cancel, reroll, remix, upscale, "
        "delete, usage, defaults or help", field="command"
    )


# -- channel defaults ---------------------------------------------------------------------------------------

#: ``/wan defaults`` takes the video flags (aliases included) plus ``--clear``; seed, audio and shot are
#: refused with a sentence of their own rather than "unknown option", since they do work on ``/wan video``.
_DEFAULTS_FLAGS: dict[str, _Flag] = {**_VIDEO_FLAGS, "clear": _Flag("clear", False, constant=True)}
#: The flag people know each field by, for messages ("--negative", not "negative_prompt").
_FLAG_OF: dict[str, str] = {spec.field: f"--{name}" for name, spec in reversed(_VIDEO_FLAGS.items())}
#: What a default is checked against: any prompt will do, the defaults are what is being tested.
_PLACEHOLDER_PROMPT = "placeholder"


def _parse_defaults(tokens: list[str]) -> DefaultsCommand:
    words, values = _split_flags(tokens, _DEFAULTS_FLAGS)
    if words:
        raise InvalidRequest(
            f"/wan defaults takes only options, not a prompt ({' '.join(words)!r}); "
            "try /wan defaults --resolution 1080P",
            field="prompt",
        )
    clear = bool(values.pop("clear", False))
    return defaults_command(values, clear=clear)


def defaults_command(values: Mapping[str, Any], *, clear: bool = False) -> DefaultsCommand:
    """What ``/wan defaults`` with these options means (``None`` values were not given): show, set or clear."""
    given = {k: v for k, v in values.items() if v is not None}
    if clear:
        if given:
            raise InvalidRequest("--clear cannot be combined with other options", field="clear")
        return DefaultsCommand("clear")
    if not given:
        return DefaultsCommand("show")
    return DefaultsCommand("set", validate_defaults(given))


def validate_defaults(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as a channel may store them: only ``ALLOWED_DEFAULTS`` fields, together a legal request.

    Returns them normalised the way the request reads them (``1080p`` → ``1080P``; an empty negative prompt
    is dropped); raises ``InvalidRequest`` naming the first field that is wrong.
    """
    given = {k: v for k, v in values.items() if v is not None}
    for name in given:
        if name not in ALLOWED_DEFAULTS:
            allowed = ", ".join(_FLAG_OF.get(f, f) for f in ALLOWED_DEFAULTS)
            raise InvalidRequest(
                f"{_FLAG_OF.get(name, name)} cannot be a channel default; defaults can set {allowed}", field=name
            )
    built = GenerationRequest.build(**given, prompt=_PLACEHOLDER_PROMPT).model_dump()
    return {k: built[k] for k in ALLOWED_DEFAULTS if k in given and built[k] is not None}


def video_request(typed: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> GenerationRequest:
    """The request for what the user ``typed`` (``None`` = not given), with the channel's ``defaults`` under it.

    Typed values always win. A default that does not fit the rest of the request (the channel says 10 s,
    the user picked wan2.2-t2v-plus, which only makes 5 s) is dropped without a word: the user asked for
    that model, and the channel's preference simply does not apply to it. Errors in what the user typed
    are reported as usual.
    """
    given = {k: v for k, v in typed.items() if v is not None}
    keep = {k: v for k, v in (defaults or {}).items() if k in ALLOWED_DEFAULTS and k not in given and v is not None}
    while True:
        try:
            return GenerationRequest.build(**keep, **given)
        except InvalidRequest as exc:
            culprit = exc.field if exc.field in keep else _culprit(keep, given)
            if culprit is None:
                raise
            del keep[culprit]


def _culprit(keep: dict[str, Any], given: dict[str, Any]) -> str | None:
    """The one default whose absence makes the request valid (the error named a typed field), if any.

    E.g. a channel's model default under a typed prompt too long for it but fine for the standard model.
    """
    for name in reversed(ALLOWED_DEFAULTS):
        if name not in keep:
            continue
        try:
            GenerationRequest.build(**{k: v for k, v in keep.items() if k != name}, **given)
        except InvalidRequest:
            continue
        return name
    return None


HELP_TEXT = """\
/wan video <prompt> [--ratio 16:9|9:16|1:1|4:3|3:4] [--duration 2-15] [--resolution 720P|1080P]
                    [--seed N] [--negative "..."] [--no-extend] [--watermark] [--model ...]
/wan image <prompt> [--size 1K|2K|4K] [--n 1-4] [--seed N] [--model wan2.7-image|wan2.7-image-pro]
/wan storyboard <shot 1> | <shot 2> | … [--duration N] [--ratio …] [--resolution …] [--seed N]
                    up to five shots in one video, sharing its length
/wan status [job]   /wan cancel [job]   /wan usage   /wan help
/wan reroll <job>   /wan upscale <job>   /wan remix <job> <new prompt>   /wan delete <job>
/wan defaults [--model ...] [--resolution ...] [--ratio ...] [--duration N] [--no-extend] [--watermark]
              [--negative "..."]   this channel's defaults for every video (admins set; --clear removes)
Midjourney-style flags work too: --ar 9:16, --no "text to avoid"."""
