"""The flag grammar of the chat command language (``core.commands``): tokens, ``--flag value``, each flag's
field and conversion, and the refusal of an option given twice.

Flags may stand anywhere, as ``--flag value`` or ``--flag=value``; double quotes (straight or the smart
quotes chat clients insert) group words; an em dash that a phone made of ``--`` still starts a flag.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.catalogue import RATIOS, image_model_ids, video_model_ids
from core.errors import InvalidRequest
from core.messages import Messages
from core.request import MAX_SEED
from core.text import clean, is_space, refuse_forbidden, strip_invisible

_say = Messages()

_QUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\uff02": '"'}


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
        raise InvalidRequest(_say("input.seed", most=MAX_SEED), field="seed") from None
    return seed


def _int(flag: str, what_key: str) -> Callable[[str], int]:
    """A whole-number converter for ``--flag``; ``what_key`` is the catalogue text of what it must be."""

    def convert(value: str) -> int:
        cleaned = value.lower().removesuffix("s").removesuffix("sec")
        try:
            return int(cleaned)
        except ValueError:
            raise InvalidRequest(_say("input.must_be", flag=flag, what=_say(what_key), value=repr(value)),
                                 field=flag) from None

    return convert


@dataclass(frozen=True)
class _Flag:
    field: str
    takes_value: bool
    convert: Callable[[str], Any] | None = None
    constant: Any = None
    #: What ``--x needs a value (…)`` says: a catalogue key (``input.hint.*``), or the values themselves.
    hint: str = ""

    @property
    def hint_text(self) -> str:
        """``hint`` in the request's language (a list of values such as ``720P | 1080P`` reads the same)."""
        return _say(self.hint, most=MAX_SEED) if self.hint.startswith("input.hint.") else self.hint


_VIDEO_FLAGS: dict[str, _Flag] = {
    "ratio": _Flag("ratio", True, hint=" | ".join(RATIOS)),
    "ar": _Flag("ratio", True, hint=" | ".join(RATIOS)),
    "aspect": _Flag("ratio", True, hint=" | ".join(RATIOS)),
    "duration": _Flag("duration", True, _int("duration", "input.whole_seconds"), hint="input.hint.seconds"),
    "d": _Flag("duration", True, _int("duration", "input.whole_seconds"), hint="input.hint.seconds"),
    "resolution": _Flag("resolution", True, hint="720P | 1080P"),
    "res": _Flag("resolution", True, hint="720P | 1080P"),
    "seed": _Flag("seed", True, _seed, hint="input.hint.seed"),
    "negative": _Flag("negative_prompt", True, hint="input.hint.negative"),
    "no": _Flag("negative_prompt", True, hint="input.hint.negative"),
    "model": _Flag("model", True, hint=" | ".join(video_model_ids(include_snapshots=False))),
    "audio": _Flag("audio_url", True, hint="input.hint.audio"),
    "shot": _Flag("shot_type", True, hint="single | multi"),
    "no-extend": _Flag("prompt_extend", False, constant=False),
    "extend": _Flag("prompt_extend", False, constant=True),
    "watermark": _Flag("watermark", False, constant=True),
    "no-watermark": _Flag("watermark", False, constant=False),
    # Issue 13: several renders at once (``core.variants``); read off before the request is built.
    "variants": _Flag("variants", True, hint="input.hint.variants"),
}

_IMAGE_FLAGS: dict[str, _Flag] = {
    "size": _Flag("size", True, hint="1K | 2K | 4K"),
    "n": _Flag("n", True, _int("n", "input.whole_1_to_4"), hint="input.hint.n"),
    "seed": _Flag("seed", True, _seed, hint="input.hint.seed"),
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
            raise InvalidRequest(_say("input.no_option_name", token=repr(token), known=_known(flags)), field="option")
        flag = flags.get(name.lower())
        if flag is None:
            raise InvalidRequest(_say("input.unknown_option", name=name, known=_known(flags)), field=name)
        name = name.lower()
        if not flag.takes_value:
            if eq:
                raise InvalidRequest(_say("input.takes_no_value", name=name), field=flag.field)
            _once(flag, name, seen, flag.constant)
            values[flag.field] = flag.constant
            continue
        if eq:
            raw = inline
        elif i < len(tokens) and not tokens[i].startswith("--"):
            raw = tokens[i]
            i += 1
        else:
            raise InvalidRequest(_say("input.needs_value", name=name, hint=flag.hint_text), field=flag.field)
        # Controls refused, invisible characters gone ("9:16" pasted with a zero-width space still works).
        raw = clean(raw, what=f"--{name}", field=flag.field)
        if not raw:
            raise InvalidRequest(_say("input.needs_value", name=name, hint=flag.hint_text), field=flag.field)
        _once(flag, name, seen, raw)
        if flag.field not in _FREE_TEXT:
            # Chinese input methods type "9：16" and "１０"; NFKC makes them "9:16" and "10".
            raw = unicodedata.normalize("NFKC", raw)
        values[flag.field] = flag.convert(raw) if flag.convert else raw
    return words, values
