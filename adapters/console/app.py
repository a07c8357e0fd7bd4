"""The console adapter: ``wanbot try`` (one job, start to file) and ``wanbot console`` (a chat of one).

Both are a chat surface like Discord or Slack: every line is read by ``ChatActions.parse`` and carried
out by ``ChatActions.run`` (``core.actions``: the same rules, refusals and sentences everywhere), and
the typed result is printed as plain text; an error becomes ``core.actions.sentence_for``'s sentence.
The console is one channel ("console") whose one user ("you") owns the bot: a moderator of it and its
admin, so ``/wan defaults`` there sets what every later video in the console starts from. What is the
console's own: the bare-prompt shortcut (a line that is not a command is a video prompt), the list of
jobs started in this session (to wait for at the end), the terminal (``adapters.console.port``), and
reading local files named in ``image --image PATH`` / ``animate --first PATH`` (``adapters.console.files``).

Issue 14: lines come from a line editor (``adapters.console.editor``). With a real DashScope key the
session is ``paid``: a line that is not a command is answered with one sentence asking for
``video <prompt>`` instead of becoming a billed video, and every paid command is held back by the spend
gate (``confirm_every``, wired by ``bot.cli``): the session shows its model and format and the gate's price
sentence, and asks y/N right there. On the sandbox nothing is billed, so a bare prompt stays a video and
only the channel's own limits ask. Ctrl-C at a prompt stops the session at once (``run`` returns
``False``); the jobs stay in the store and carry on at the next start.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from rich.console import Console

from adapters.console.editor import Lines, PlainLines
from adapters.console.files import with_local_files
from adapters.console.port import PLATFORM, ConsolePort, fields_text
from core.actions import Caller, ChatActions, Result, Started, sentence_for
from core.actions.history import HistoryReport
from core.jobs import Job
from core.locale import speaking
from core.messages import Messages, human_duration
from core.request import GenerationRequest
from core.spend import SpendPending
from core.status import request_fields
from core.votes import is_votes_command

#: The person at the terminal: they own this bot, so they moderate its one channel and are its admin.
CALLER = Caller(platform=PLATFORM, workspace_id=None, channel_id="console", user_id="you", user_name="you",
                moderator=True, channel_admin=True)
#: First words that make a line a command; any other line is a prompt (``a fox`` = ``video a fox``).
COMMANDS = frozenset({"video", "image", "animate", "storyboard", "status", "cancel", "usage", "reroll", "upscale",
                      "remix", "delete", "defaults", "help", "history",
                      # issue 13: /wan settings, and a held-back command's answers (typed: no buttons here)
                      "settings", "confirm", "dismiss", "approve", "decline",
                      # issue 13 votes: the channel's winners, and Promote typed
                      "top", "promote",
                      "notify"})  # issue 14: a no-op here (the console pings nobody), said so
#: How long ``wanbot console`` waits at the end for the jobs it started.
DRAIN_TIMEOUT = timedelta(hours=1).total_seconds()

#: The command prompt.
PROMPT = "wan> "
#: Answers to a y/N question that mean yes (anything else, or no answer, is no).
YES = frozenset({"y", "yes"})

_HINT = Messages()


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


def is_command(text: str) -> bool:
    """Whether a stripped, non-empty line is a command (``/wan …``, ``wan …`` or a command word)."""
    words = text.split()
    if words[0] in ("top", "promote"):
        return is_votes_command(words)  # "top of the hill at dawn" is a prompt (issue 13: top, promote)
    return text.startswith(("/wan", "wan ")) or words[0] in COMMANDS


class ConsoleSession:
    """An interactive ``/wan`` prompt: several jobs at once, statuses printed as they change.

    ``paid``: generating on a real DashScope key (not the sandbox): bare prompts are not videos then.
    ``lines``: where y/N answers come from (``run`` sets it to its reader); without one, a held-back
    command is answered with the typed form (``confirm <id>``)."""

    def __init__(self, actions: ChatActions, port: ConsolePort, console: Console, *, paid: bool = False,
                 lines: Lines | None = None) -> None:
        self.actions = actions
        self.port = port
        self.console = console
        self.messages = actions.messages
        self.paid = paid
        self.lines = lines
        #: The jobs started in this session, oldest first: what ``drain`` waits for.
        self.submitted: list[str] = []

    async def handle(self, line: str) -> str | None:
        """Handle one input line; returns the reply to print (``None`` for none)."""
        text = line.strip()
        if not text:
            return None
        if not is_command(text):
            if self.paid:  # issue 14: with a real key, a typo or a stray line is never a billed video
                return self.messages("console.not_command")
            text = f"video {text}"  # a bare prompt is a video request on the (free) sandbox
        with speaking(self.messages.locale):  # the console speaks WANBOT_LOCALE (``core.locale``)
            try:
                command = await with_local_files(await self.actions.parse(CALLER, text), self.messages)
                try:
                    result = await self.actions.run(CALLER, command)
                except SpendPending as pending:
                    if self.lines is None or pending.ask.kind != "confirm":
                        raise
                    result = await self._confirm(pending, self.lines)
            except Exception as exc:  # every error is a sentence here; the session goes on
                return sentence_for(exc, self.messages)
            if isinstance(result, Started):
                self.submitted.append(result.job.id)
            return reply_text(result)

    async def _confirm(self, pending: SpendPending, lines: Lines) -> Result:
        """What would be made (model, format), the gate's price sentence, then y/N; no answer is no."""
        for request in pending.ask.requests:
            self.console.print(fields_text(request_fields(request, self.messages), self.messages),
                               markup=False, highlight=False)
        self.console.print(pending.price, markup=False, highlight=False)
        answer = await lines.answer(self.messages("console.confirm.prompt"))
        yes = answer is not None and answer.strip().lower() in YES
        return await self.actions.confirm(CALLER, pending.ask.id, yes=yes)

    async def run(self, lines: Lines | None = None) -> bool:
        """Read commands until end of input (Ctrl-D, ``exit``), then wait for the jobs already submitted.
        Returns ``False`` when Ctrl-C stopped it at a prompt: nothing is waited for then."""
        lines = lines or PlainLines()
        self.lines = lines
        self.console.print(self.messages("console.welcome.paid" if self.paid else "console.welcome"),
                           markup=False, highlight=False)
        try:
            while True:
                line = await lines.command(PROMPT)
                if line is None or line.strip() in ("exit", "quit", "/quit"):
                    break
                reply = await self.handle(line)
                if reply:
                    self.console.print(reply, markup=False, highlight=False)
        except KeyboardInterrupt:
            return False
        await self.drain()
        return True

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
