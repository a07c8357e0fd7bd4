"""Showing someone's text on Discord as plain text: ``plain(text)`` escapes every markup Discord renders.

Prompts, negative prompts, typed job ids and DashScope's own error sentences all reach captions, embed
descriptions and fields and ephemeral replies; none of them may turn into a masked link
(``[Free Nitro](http://evil)``), a header, a list, a block quote, a spoiler, code or a mention.

``discord.utils.escape_markdown`` is not enough: its masked-link pattern is greedy, so only the first
``[`` of a line is escaped (the second link of a prompt stays live); ``+`` lists, ordered lists (``1. x``)
and ``<#channel>`` / ``<@&role>`` / ``<t:…>`` are left alone; and ``escape_mentions`` only handles
``@everyone``, ``@here`` and long numeric ids. So this module escapes with Discord's own rule — a
backslash before any ASCII punctuation shows that character literally — applied to:

* everywhere: ``\\ * _ ~ ` | [ ] <`` (emphasis, code, spoilers, masked links, and every ``<…>`` mention,
  channel, role, slash-command, emoji and timestamp tag);
* at the start of a line (after blanks): ``>`` (quotes), ``#`` (headers, ``-#`` subtext), ``-`` and ``+``
  (lists), and the dot of ``12.`` (ordered lists);

then ``discord.utils.escape_mentions`` puts a zero-width space into ``@everyone`` / ``@here``.

Bare links are the exception. Discord reads ``http(s)://`` up to the next blank or ``<`` as one literal
link token (its autolink rule, which fires wherever such a link starts), so escaping inside one would only
put backslashes into the address — and worse, a backslash right after a link becomes part of it, leaving
the next character live (``http://a\\<@1>`` is a link to ``http://a\\`` and a mention). So a link run is
copied unchanged, and a ``<`` right after one is preceded by U+FEFF, which ends the link for Discord (its
parser counts it as a blank) and shows nothing. "Blank" here is JavaScript's ``\\s``, Discord's parser's.

``fitted(text, limit)`` shortens *before* escaping, so a field or a message stays within Discord's limits
without ever splitting an escape.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import discord

#: What Discord's parser (JavaScript's ``\s``) takes for a blank; it ends a link.
_JS_BLANK = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
#: A bare link run as Discord's autolink takes it (it may give back trailing ``.,:;"')]``, which are text).
_URL = re.compile(f"https?://[^<{_JS_BLANK}]+")
#: Ends a link run invisibly, so the ``\\<`` after it is an escape and not part of the address.
_END_LINK = "\ufeff"
_ANYWHERE = re.compile(r"[\\*_~`|\[\]<]")
#: Markup that only counts at the start of a line: quotes, headers/subtext, bullets, ordered lists.
_LINE_START = re.compile(r"^([ \t]*)(?:([>#+-])|(\d+)(\.))", re.MULTILINE)


def _line_start(match: re.Match[str]) -> str:
    blanks, mark, number, dot = match.groups()
    if mark is not None:
        return f"{blanks}\\{mark}"
    return f"{blanks}{number}\\{dot}"


def _escape_run(text: str, *, at_line_start: bool) -> str:
    """Escape a piece of text that holds no link; ``at_line_start``: it begins a line."""
    text = _ANYWHERE.sub(lambda m: "\\" + m.group(), text)
    if at_line_start:
        return _LINE_START.sub(_line_start, text)
    first, newline, rest = text.partition("\n")  # the first line continues one begun before this piece
    return first + newline + _LINE_START.sub(_line_start, rest) if newline else first


def plain(text: str) -> str:
    """``text`` as Discord should show it: literally, with no formatting, link or mention in it.

    Line breaks of every kind become ``\\n`` first, so "start of a line" means what Discord will see.
    """
    text = "\n".join(text.splitlines()) + ("\n" if text.endswith("\n") else "")
    out: list[str] = []
    pos = 0
    for link in _URL.finditer(text):
        out.append(_escape_run(text[pos:link.start()], at_line_start=pos == 0 or text[pos - 1] == "\n"))
        out.append(link.group())
        pos = link.end()
        if text.startswith("<", pos):
            out.append(_END_LINK)
    out.append(_escape_run(text[pos:], at_line_start=pos == 0 or text[pos - 1] == "\n"))
    return discord.utils.escape_mentions("".join(out))


def fitted(text: str, limit: int, render: Callable[[str], str] = plain) -> str:
    """``render(text)``, or the longest start of ``text`` (with "…") whose rendering fits in ``limit``.

    Cutting happens before escaping, so an escape is never split in half.
    """
    shown = render(text)
    if len(shown) <= limit:
        return shown
    low, high = 0, len(text)  # render(text[:low] + "…") fits; text[:high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if len(render(text[:middle].rstrip() + "…")) <= limit:
            low = middle
        else:
            high = middle
    return render(text[:low].rstrip() + "…")
