"""Showing someone's text on Discord as plain text: ``plain(text)`` escapes every markup Discord renders.

Prompts, negative prompts, typed job ids and DashScope's own error sentences all reach captions, embed
descriptions and fields and ephemeral replies; none of them may turn into a masked link
(``[Free Nitro](http://evil)``), a header, a list, a block quote, a spoiler, code or a mention.

``discord.utils.escape_markdown`` is not enough: its masked-link pattern is greedy, so only the first
``[`` of a line is escaped (the second link of a prompt stays live); ``*``, ``_``, ``~`` and ``|`` are
escaped only when another one follows (a lone ``* item`` stays a list); ordered lists (``1. x``) and
``<#channel>`` / ``<@&role>`` / ``<t:…>`` are left alone, and links are broken by escaping inside them.
So this module escapes with Discord's own rule — a backslash before any ASCII punctuation shows that
character literally — applied to:

* everywhere: ``\\ * _ ~ ` | [ ] <`` (emphasis, code, spoilers, masked links, and every ``<…>`` mention,
  channel, role, slash-command, emoji and timestamp tag);
* at the start of a line (after blanks): ``>`` (quotes), ``#`` (headers, ``-#`` subtext), ``-`` and ``+``
  (lists), and the dot of ``12.`` (ordered lists);

then ``discord.utils.escape_mentions`` puts a zero-width space into ``@everyone`` / ``@here``. Bare links
(``https://…``, as Discord recognises them, but never containing ``[`` ``]`` ``<`` ``>``) are copied
unchanged, so they stay clickable and show their real address; Discord treats a link as one literal token,
so nothing inside one is markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import discord

#: A bare link, as Discord autolinks it, minus brackets (so a masked link can never hide inside one).
_URL = re.compile(r"(?<![\w\\])https?://[^\s<>\[\]]*[^\s<>\[\].,:;\"')]")
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
