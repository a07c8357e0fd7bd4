"""How ``wanbot console`` reads lines: a real line editor on a terminal, plain lines from a pipe.

On a terminal (standard input and output both TTYs) ``prompt_toolkit`` reads each line: editing, and a
history kept in the workdir (``console-history``, so the arrow keys bring back earlier commands across
runs). While it waits, ``patch_stdout`` routes everything printed — status lines, saved paths, logs —
above the ``wan>`` prompt, which is redrawn under them with what you were typing: a live status never
overwrites the prompt. Anywhere else (a script piping commands in) lines are read plainly, one per
command, with no prompt drawn.

Both readers answer the same two questions: ``command(prompt)`` (the next command line) and
``answer(prompt)`` (a y/N question; not kept in the history). ``None`` means the input ended (Ctrl-D);
Ctrl-C at a prompt raises ``KeyboardInterrupt``, which the session takes as "stop at once".
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.patch_stdout import patch_stdout

#: The history file, in the workdir.
HISTORY_NAME = "console-history"


class Lines(Protocol):
    async def command(self, prompt: str) -> str | None: ...

    async def answer(self, prompt: str) -> str | None: ...


async def stdin_line(prompt: str = "") -> str | None:
    """One line from standard input without blocking the event loop (``None`` at end of input)."""

    def read() -> str | None:
        if sys.stdin.isatty():
            try:
                return input(prompt)
            except EOFError:
                return None
        line = sys.stdin.readline()
        return line if line else None

    return await asyncio.to_thread(read)


class PlainLines:
    """Lines from a pipe (or any stream that is not a terminal both ways)."""

    async def command(self, prompt: str) -> str | None:
        return await stdin_line(prompt)

    async def answer(self, prompt: str) -> str | None:
        return await stdin_line(prompt)


class TerminalLines:
    """prompt_toolkit's editor: one session for commands (with the history file), one for answers."""

    def __init__(self, history: Path) -> None:
        history.parent.mkdir(parents=True, exist_ok=True)
        self._commands: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
        self._answers: PromptSession[str] = PromptSession()

    async def command(self, prompt: str) -> str | None:
        return await _read(self._commands, prompt)

    async def answer(self, prompt: str) -> str | None:
        return await _read(self._answers, prompt)


async def _read(session: PromptSession[str], prompt: str) -> str | None:
    try:
        return await session.prompt_async(prompt)
    except EOFError:  # Ctrl-D
        return None


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@contextmanager
def console_lines(workdir: Path) -> Iterator[Lines]:
    """The reader for this process's standard streams; on a terminal, output goes above the prompt
    while the block runs (escape sequences kept: rich's colours pass through)."""
    if not on_terminal():
        yield PlainLines()
        return
    lines = TerminalLines(workdir / HISTORY_NAME)
    with patch_stdout(raw=True):
        yield lines


__all__ = ["HISTORY_NAME", "Lines", "PlainLines", "TerminalLines", "console_lines", "on_terminal", "stdin_line"]
