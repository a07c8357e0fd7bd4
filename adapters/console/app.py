"""The console adapter: ``wanbot try`` (one job, start to file) and ``wanbot console`` (a chat of one).

Both are a chat surface like Discord or Slack: every line is read by ``ChatActions.parse`` and carried
out by ``ChatActions.run`` (``core.actions``: the same rules, refusals and sentences everywhere), and
the typed result is printed as plain text; an error becomes ``core.actions.sentence_for``'s sentence.
The console is one channel ("console") whose one user ("you") owns the bot: a moderator of it and its
admin, so ``/wan defaults`` there sets what every later video in the console starts from. What is the
console's own: the bare-prompt shortcut (a line that is not a command is a video prompt), the list of
jobs started in this session (to wait for at the end), the terminal (``adapters.console.port``), and
reading local files named in ``image --image PATH`` / ``animate --first PATH`` (``adapters.console.files``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

from rich.console import Console

from adapters.console.files import with_local_files
from adapters.console.port import PLATFORM, ConsolePort
from core.actions import Caller, ChatActions, Result, Started, sentence_for
from core.actions.history import HistoryReport
from core.jobs import Job
from core.locale import speaking
from core.messages import Messages, human_duration
from core.request import GenerationRequest
from core.spend import SpendPending

#: The person at the terminal: they own this bot, so they moderate its one channel and are its admin.
CALLER = Caller(platform=PLATFORM, workspace_id=None, channel_id="console", user_id="you", user_name="you",
                moderator=True, channel_admin=True)
#: First words that make a line a command; any other line is a prompt (``a fox`` = ``video a fox``).
COMMANDS = frozenset({"video", "image", "animate", "storyboard", "status", "cancel", "usage", "reroll", "upscale",
                      "remix", "delete", "defaults", "help", "history",
                      # issue 13: /wan settings, and a held-back command's answers (typed: no buttons here)
                      "settings", "confirm", "dismiss", "approve", "decline"})
#: How long ``wanbot console`` waits at the end for the jobs it started.
DRAIN_TIMEOUT = timedelta(hours=1).total_seconds()

_HINT = Messages()

ReadLine = Callable[[], Awaitable[str | None]]


def reply_text(result: Result) -> str | None:
    """What the console prints for a result (``None``: nothing; a new job's status line says it all)."""
    if isinstance(result, Started):
        return result.text or None
    if isinstance(result, HistoryReport) and result.entries:  # issue 13: "Use these settings", typed
        return f"{result.text}\n\n{_HINT('history.console_reuse')}"
    return result.text


async def run_try(actions: ChatActions, port: ConsolePort, request: GenerationRequest) -> Job:
    """Run one video through the whole engine, showing each state; returns the finished job.

    ``request`` is exactly what was typed (``wanbot try`` checks it before anything starts)."""
    with speaking(actions.messages.locale):  # the operator's WANBOT_LOCALE (``core.locale``)
        return await _run_try(actions, port, request)


async def _run_try(actions: ChatActions, port: ConsolePort, request: GenerationRequest) -> Job:
    port.start_live()
    try:
        try:
            started = await actions.video(CALLER, request)
        except SpendPending as pending:
            # Issue 13: the operator typed this one job, price-bearing flags and all, in their own shell: the
            # price is printed and the command line stands as the confirmation.
            port.console.print(pending.price, markup=False, highlight=False)
            decided = await actions.confirm(CALLER, pending.ask.id)
            assert isinstance(decided, Started)
            started = decided
        return await actions.wait(CALLER, started.job.id)
    finally:
        port.stop_live()


async def stdin_lines(prompt: str = "wan> ") -> str | None:
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


class ConsoleSession:
    """An interactive ``/wan`` prompt: several jobs at once, statuses printed as they change."""

    def __init__(self, actions: ChatActions, port: ConsolePort, console: Console) -> None:
        self.actions = actions
        self.port = port
        self.console = console
        self.messages = actions.messages
        #: The jobs started in this session, oldest first: what ``drain`` waits for.
        self.submitted: list[str] = []

    async def handle(self, line: str) -> str | None:
        """Handle one input line; returns the reply to print (``None`` for none)."""
        text = line.strip()
        if not text:
            return None
        if not text.startswith(("/wan", "wan ")) and text.split()[0] not in COMMANDS:
            text = f"video {text}"  # a bare prompt is a video request: the console's shortcut
        with speaking(self.messages.locale):  # the console speaks WANBOT_LOCALE (``core.locale``)
            try:
                command = await with_local_files(await self.actions.parse(CALLER, text), self.messages)
                result = await self.actions.run(CALLER, command)
            except Exception as exc:  # every error is a sentence here; the session goes on
                return sentence_for(exc, self.messages)
            if isinstance(result, Started):
                self.submitted.append(result.job.id)
            return reply_text(result)

    async def run(self, read_line: ReadLine = stdin_lines) -> None:
        """Read commands until end of input, then wait for the jobs already submitted."""
        self.console.print("[bold]wanbot console[/] — type a prompt, or /wan help. Ctrl-D to finish.")
        while True:
            line = await read_line()
            if line is None or line.strip() in ("exit", "quit", "/quit"):
                break
            reply = await self.handle(line)
            if reply:
                self.console.print(reply, markup=False, highlight=False)
        await self.drain()

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> list[Job]:
        """Wait (``ChatActions.wait``) until every job started in this session is finished."""
        loop = asyncio.get_running_loop()
        pending = 0
        for job_id in self.submitted:
            report = await self.actions.status(CALLER, job_id)
            pending += sum(not view.terminal for view in report.views)
        if pending:
            self.console.print(f"waiting for {pending} job(s) to finish…")
        started = loop.time()
        done = []
        for job_id in self.submitted:
            left = max(1.0, timeout - (loop.time() - started))
            done.append(await self.actions.wait(CALLER, job_id, timeout=left))
        if done:
            elapsed = human_duration(loop.time() - started)
            states = ", ".join(f"{j.id}: {j.state.value.lower()}" for j in done)
            self.console.print(f"all done ({states}) after {elapsed} more")
        return done
