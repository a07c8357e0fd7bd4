"""A reader of Discord markup for tests: what in a text Discord would render as something other than text.

Independent of ``adapters.discord.markup``: it follows Discord's own rules — a backslash before ASCII
punctuation shows that character; a bare ``http(s)://`` link (Discord's autolink pattern) is one literal
token; everything else is read for emphasis, code, spoilers, masked links, ``<…>`` tags (mentions,
channels, roles, commands, timestamps, emoji), ``@everyone`` / ``@here``, and — at the start of a line —
quotes, headers, subtext and lists.
"""

from __future__ import annotations

import re
import string

#: JavaScript's ``\s`` (Discord's parser is JavaScript).
_JS_BLANK = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
#: Discord's autolink (simple-markdown's ``url`` rule), wherever a link starts.
_URL = re.compile(f"https?://[^<{_JS_BLANK}]+[^<.,:;\"')\\]{_JS_BLANK}]")
#: Openers only: a lone ``]`` or ``)`` is text (a masked link needs its ``[``).
_INLINE = set("*_~`|[<")
_LINE_MARKS = set(">#-+*")


def live_markup(text: str) -> list[str]:
    """Each piece of ``text`` Discord would render as markup, with its position; ``[]`` if none."""
    found: list[str] = []
    i, line_start = 0, True
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in string.punctuation:
            i, line_start = i + 2, False
            continue
        if url := _URL.match(text, i):
            i, line_start = url.end(), False
            continue
        if c == "\n":
            i, line_start = i + 1, True
            continue
        if line_start and c in " \t":
            i += 1
            continue
        if line_start:
            line_start = False
            if c in _LINE_MARKS:
                found.append(f"{i}: line starts with {c!r}")
            elif (number := re.match(r"\d+\.", text[i:])) is not None:
                found.append(f"{i}: ordered list {number.group()!r}")
        if c in _INLINE:
            found.append(f"{i}: {c!r}")
        for mention in ("@everyone", "@here"):
            if text.startswith(mention, i):
                found.append(f"{i}: {mention}")
        i += 1
    return found


def unquoted(description: str) -> list[str]:
    """The lines of a block quote wanbot wrote (``> text``), without the quote marks it added."""
    return [line.removeprefix("> ") for line in description.split("\n") if line.startswith("> ")]
