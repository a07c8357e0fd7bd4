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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.errors import InvalidRequest
from core.flags import _IMAGE_FLAGS, _VIDEO_FLAGS, _Flag, _split_flags
from core.flags import tokenize as tokenize  # re-exported: the tokenizer is part of this module's language
from core.history_command import HistoryCommand, parse_history
from core.media_commands import AnimateCommand, EditCommand, parse_animate, parse_edit, take_repeated
from core.messages import EN, Messages
from core.notify_command import NotifyCommand, parse_notify
from core.request import GenerationRequest, ImageRequest
from core.spend_commands import SettingsCommand, SpendCommand, parse_spend_command
from core.store.channels import ALLOWED_DEFAULTS
from core.text import refuse_forbidden, strip_invisible
from core.votes import PromoteCommand, TopCommand, parse_votes_command

_say = Messages()



@dataclass(frozen=True)
class VideoCommand:
    request: GenerationRequest
    #: ``--variants N|ratio`` as typed (``core.variants``), or ``None``.
    variants: str | None = None


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
           | HelpCommand | DefaultsCommand | JobCommand | EditCommand | AnimateCommand | HistoryCommand
           | SettingsCommand | SpendCommand | TopCommand | PromoteCommand | NotifyCommand)


_REQUEST_VERBS = frozenset({"video", "v", "image", "img", "i", "defaults", "storyboard", "remix", "animate"})
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
        variants = values.pop("variants", None)
        return VideoCommand(video_request({**values, "prompt": " ".join(words)}, defaults), variants)
    if verb in ("image", "img", "i"):
        rest, images = take_repeated(rest, "image")
        words, values = _split_flags(rest, _IMAGE_FLAGS)
        if images:
            return parse_edit(words, values, images)
        return ImageCommand(ImageRequest.build(**values, prompt=" ".join(words)))
    if verb == "animate":
        return parse_animate(rest)
    if verb in ("status", "cancel"):
        if len(rest) > 1:
            raise InvalidRequest(_say("job.at_most_one_id", verb=verb), field="job")
        job_id = rest[0].lower() if rest else None
        return StatusCommand(job_id) if verb == "status" else CancelCommand(job_id)
    if verb == "storyboard":
        words, values = _split_flags(rest, _STORYBOARD_FLAGS)
        shots = tuple(shot.strip() for shot in " ".join(words).split("|")) if words else ()
        return StoryboardCommand(tuple(shot for shot in shots if shot), values)
    if verb in ("reroll", "upscale", "delete", "remix"):
        if not rest:
            raise InvalidRequest(_say("job.needs_id", verb=verb), field="job")
        if verb != "remix" and len(rest) > 1:
            raise InvalidRequest(_say("job.one_id", verb=verb), field="job")
        job_id = strip_invisible(rest[0]).lower()
        refuse_forbidden(job_id, what=_say("input.what.command"), field="job")
        prompt = " ".join(rest[1:]) if verb == "remix" else None
        if verb == "remix" and not prompt:
            raise InvalidRequest(_say("job.remix_needs"), field="prompt")
        return JobCommand(verb, job_id, prompt)  # type: ignore[arg-type]
    if verb == "usage":
        return UsageCommand()
    if verb == "help":
        return HelpCommand(rest[0].lower() if rest else None)
    if verb == "defaults":
        return _parse_defaults(rest)
    if verb == "history":  # issue 13
        return parse_history(rest)
    if verb == "notify":  # issue 14
        return parse_notify(rest)
    spend = parse_spend_command(verb, rest)  # issue 13: settings, confirm, dismiss, approve, decline
    if spend is not None:
        return spend
    voted = parse_votes_command(verb, rest)  # issue 13: top, promote
    if voted is not None:
        return voted
    raise InvalidRequest(_say("input.unknown_command", command=repr(tokens[0])), field="command")


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
        raise InvalidRequest(_say("defaults.no_prompt", words=repr(" ".join(words))), field="prompt")
    clear = bool(values.pop("clear", False))
    return defaults_command(values, clear=clear)


def defaults_command(values: Mapping[str, Any], *, clear: bool = False) -> DefaultsCommand:
    """What ``/wan defaults`` with these options means (``None`` values were not given): show, set or clear."""
    given = {k: v for k, v in values.items() if v is not None}
    if clear:
        if given:
            raise InvalidRequest(_say("defaults.clear_alone"), field="clear")
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
            raise InvalidRequest(_say("defaults.not_allowed", flag=_FLAG_OF.get(name, name), allowed=allowed),
                                 field=name)
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


#: The typed commands at a glance (``/wan help`` on Slack and the console), in English: ``core.messages``
#: ``help.text`` is where it lives, with its translations.
HELP_TEXT = EN["help.text"]

