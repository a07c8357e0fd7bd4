"""User text as wanbot sends it: what is refused, what is removed, and what counts as visible.

Every prompt and negative prompt passes ``clean`` (from the request models, so Discord options, chat text,
remix modals and channel defaults all get the same rule). The rule, in order:

1. **Refused** (``InvalidRequest``, naming the character): control characters — C0 ``U+0000``–``U+001F``
   except tab, line feed and carriage return, ``U+007F`` and C1 ``U+0080``–``U+009F`` (NUL included) — and
   lone UTF-16 surrogates (``U+D800``–``U+DFFF``, which a JSON ``\\ud800`` escape can deliver). They are
   refused rather than dropped so the person learns their text was damaged (a bad paste, a mis-decoded
   file) instead of getting a video of something else.
2. **Removed**, because they are invisible and only confuse the model, the length limit and anyone reading
   a caption: Unicode's Default_Ignorable code points (zero-width space ``U+200B``, word joiner ``U+2060``,
   BOM ``U+FEFF``, soft hyphen, bidi marks/embeddings/overrides/isolates, invisible operators, Hangul
   fillers, …), interlinear annotation anchors ``U+FFF9``–``U+FFFB`` and noncharacters. Three kinds of
   default-ignorable characters are part of real text, so they stay **only where they do that job** and
   are removed elsewhere: a joiner (ZWJ ``U+200D``, ZWNJ ``U+200C``) between two non-space characters
   (emoji sequences, Persian and Indic spelling); one variation selector (``U+FE00``–``U+FE0F``,
   ``U+E0100``–``U+E01EF``, Mongolian ``U+180B``–``U+180F``) or a grapheme joiner ``U+034F`` straight after
   a non-space character (``❤️``); tag characters only as a well-formed flag tag sequence (``U+1F3F4``, at
   most 7 tags, ``U+E007F``). Runs of selectors or tags elsewhere are the known way to smuggle hidden text
   past a reader to a language model (``prompt_extend`` runs one), so they go.
3. **Folded**: every run of whitespace of any kind (space, tab, line breaks, ``U+00A0``, ``U+3000``, the
   other ``Zs``/``Zl``/``Zp``, and the blank Braille pattern ``U+2800``) becomes one space; the ends are
   trimmed. No control character, line break included, is ever sent; wanbot's multi-shot format uses spaces.
4. **Normalised to NFC** (canonical composition: ``e`` + combining acute → ``é``). Not NFKC: compatibility
   folding rewrites what the person wrote (full-width ``，`` → ``,``, ``①`` → ``1``, ``ﬁ`` → ``fi``).

The result is exactly what goes on the wire, so its ``len`` is what the length limits count. A text with
no *visible* character left — one of general category L, N, P or S, a private-use character, or an
unassigned one (a newer emoji than this Python knows) — has nothing for the model to draw: the caller
refuses it. Combining marks alone, format characters alone and whitespace are not visible.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from core.errors import InvalidRequest
from core.messages import Messages

_say = Messages()

#: Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt; stable since Unicode 5.2).
#: The standard library has no accessor for it; a test checks this table against the ``regex`` package.
_DEFAULT_IGNORABLE: Final[tuple[tuple[int, int], ...]] = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)

ZWNJ, ZWJ, CGJ = "\u200c", "\u200d", "\u034f"
_JOINERS: Final = frozenset({ZWNJ, ZWJ})
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
_MAX_TAGS = 7  # the longest emoji subdivision flag: "gbsct" (5) — with room to spare, far from a sentence
#: Whitespace beyond ``str.isspace``: the blank Braille pattern looks like a space and is used as one.
_BLANKS: Final = frozenset({"\u2800"})
#: Allowed control characters: they are whitespace and get folded into a space.
_ALLOWED_CONTROLS: Final = frozenset("\t\n\r")


def _in(ranges: tuple[tuple[int, int], ...], cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_default_ignorable(ch: str) -> bool:
    return _in(_DEFAULT_IGNORABLE, ord(ch))


def _is_selector(ch: str) -> bool:
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0x180B <= cp <= 0x180F or ch == CGJ


def _is_tag(ch: str) -> bool:
    return 0xE0020 <= ord(ch) <= 0xE007F


def _is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def forbidden(ch: str) -> bool:
    """A character wanbot refuses to send: a control other than tab/newline/CR, or a lone surrogate."""
    category = unicodedata.category(ch)
    return (category == "Cc" and ch not in _ALLOWED_CONTROLS) or category == "Cs"


def is_space(ch: str) -> bool:
    """Whitespace for wanbot: Python's (controls excluded: those are refused, not folded) plus blanks."""
    return (ch.isspace() and (unicodedata.category(ch) != "Cc" or ch in _ALLOWED_CONTROLS)) or ch in _BLANKS


def _always_removed(ch: str) -> bool:
    cp = ord(ch)
    if 0xFFF9 <= cp <= 0xFFFB or _is_noncharacter(cp):
        return True
    return is_default_ignorable(ch) and not (ch in _JOINERS or _is_selector(ch) or _is_tag(ch))


def is_visible(ch: str) -> bool:
    """Something the model can read: a letter, digit, punctuation or symbol (or a glyph we cannot know)."""
    if ch in _BLANKS or is_default_ignorable(ch):
        return False
    category = unicodedata.category(ch)
    if category == "Cn":
        return not _is_noncharacter(ord(ch))
    return category[0] in "LNPS" or category == "Co"


def has_visible(text: str) -> bool:
    return any(is_visible(ch) for ch in text)


def find_forbidden(text: str) -> str | None:
    """The first character of ``text`` that ``forbidden`` refuses, if any."""
    return next((ch for ch in text if forbidden(ch)), None)


def refuse_forbidden(text: str, *, what: str, field: str) -> None:
    """Raise the sentence for the first refused character in ``text`` (``what``: "the prompt", "--ratio")."""
    bad = find_forbidden(text)
    if bad is None:
        return
    code = f"U+{ord(bad):04X}"
    key = "input.surrogate" if unicodedata.category(bad) == "Cs" else "input.control"
    raise InvalidRequest(_say(key, what=what, code=code), field=field)


def _flag_tags(text: str, start: int) -> int:
    """After a black flag at ``start - 1``: the end of a well-formed tag run there, else ``start``."""
    end = start
    while end < len(text) and end - start <= _MAX_TAGS and _is_tag(text[end]):
        if text[end] == _CANCEL_TAG:
            return end + 1 if end > start else start
        end += 1
    return start


def strip_invisible(text: str) -> str:
    """``text`` without the invisible characters that do no job where they stand (rule 2 above)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        prev = out[-1] if out else ""
        attached = bool(prev) and not is_space(prev) and prev not in _JOINERS
        if ch == _BLACK_FLAG:
            end = _flag_tags(text, i)
            out.extend(text[i - 1:end])
            i = end
        elif _always_removed(ch) or _is_tag(ch):
            continue
        elif ch in _JOINERS:
            nxt = text[i] if i < len(text) else ""
            # Only before a visible character: that one is never removed, so the result stays put.
            if attached and nxt and is_visible(nxt):
                out.append(ch)
        elif _is_selector(ch):
            if attached and not _is_selector(prev):
                out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


def fold_spaces(text: str) -> str:
    """Every run of whitespace (rule 3) as one space, ends trimmed."""
    out: list[str] = []
    pending = False
    for ch in text:
        if is_space(ch):
            pending = True
            continue
        if pending and out:
            out.append(" ")
        pending = False
        out.append(ch)
    return "".join(out)


def clean(text: str, *, what: str, field: str) -> str:
    """``text`` exactly as it will be sent (rules 1–4); ``InvalidRequest`` if it holds a refused character.

    Idempotent: cleaning a cleaned text changes nothing, so a stored request re-validates to itself.
    """
    refuse_forbidden(text, what=what, field=field)
    return unicodedata.normalize("NFC", fold_spaces(strip_invisible(text)))


__all__ = [
    "clean",
    "find_forbidden",
    "fold_spaces",
    "forbidden",
    "has_visible",
    "is_default_ignorable",
    "is_space",
    "is_visible",
    "refuse_forbidden",
    "strip_invisible",
]
