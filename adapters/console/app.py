"""The console adapter: ``wanbot try`` (one job, start to file) and ``wanbot console`` (a chat of one).

Both turn terminal input into the same core calls a chat adapter makes — ``parse_command`` for the
``/wan ...`` syntax, ``Engine.submit`` / ``cancel`` / ``get`` — and ``reply_for`` is the one place that
turns an error into what the user reads. The console is one channel ("console") whose one user is its
admin: ``/wan defaults`` there sets what every later video in the console starts from.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from adapters.console.port import PLATFORM, ConsolePort
from adapters.defaults import ChannelDesk
from core.actions.chat import cancel_sentence
from core.commands import (
    HELP_TEXT,
    CancelCommand,
    DefaultsCommand,
    HelpCommand,
    ImageCommand,
    StatusCommand,
    UsageCommand,
    VideoCommand,
    parse_command,
)
from core.engine import Engine
from core.errors import InvalidRequest, QuotaExceeded, WanbotError
from core.jobs import Job, Requester
from core.messages import Messages, human_duration
from core.port import ConversationRef
from core.request import GenerationRequest, ImageRequest

USER = Requester(platform=PLATFORM, user_id="you", channel_id="console", user_name="you")
CONVERSATION = ConversationRef(platform=PLATFORM, channel_id="console")

ReadLine = Callable[[], Awaitable[str | None]]


def reply_for(exc: WanbotError, messages: Messages) -> str:
    """What the console user reads for an error: short, and never a traceback."""
    if isinstance(exc, InvalidRequest):
        return messages("invalid", reason=exc.message)
    if isinstance(exc, QuotaExceeded):
        return exc.message
    return messages.explain(exc.code, exc.message)


async def run_try(engine: Engine, port: ConsolePort, request: GenerationRequest) -> Job:
    """Run one job through the whole engine, showing each state; returns the finished job."""
    port.start_live()
    try:
        job = await engine.submit(USER, CONVERSATION, request)
        return await engine.wait(job.id)
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

    def __init__(
        self,
        engine: Engine,
        port: ConsolePort,
        console: Console,
        *,
        image_runner: Callable[[ImageRequest], Awaitable[list[Path]]] | None = None,
    ) -> None:
        self.engine = engine
        self.port = port
        self.console = console
        self.messages = engine.messages
        self.image_runner = image_runner
        self.submitted: list[str] = []
        self.desk = ChannelDesk(engine.store, self.messages, PLATFORM)

    async def handle(self, line: str) -> str | None:
        """Handle one input line; returns the reply to print (``None`` for none)."""
        text = line.strip()
        if not text:
            return None
        verbs = ("video", "image", "status", "cancel", "usage", "help", "defaults")
        if not text.startswith(("/wan", "wan ")) and text.split()[0] not in verbs:
            text = f"video {text}"  # a bare prompt is a video request: the console's shortcut
        try:
            defaults = await self.desk.defaults(CONVERSATION.workspace_id, CONVERSATION.channel_id)
            command = parse_command(text, defaults=defaults)
            return await self._run(command)
        except WanbotError as exc:
            return reply_for(exc, self.messages)

    async def _run(self, command: object) -> str | None:
        if isinstance(command, VideoCommand):
            job = await self.engine.submit(USER, CONVERSATION, command.request)
            self.submitted.append(job.id)
            return None  # the status line says it all
        if isinstance(command, ImageCommand):
            if self.image_runner is None:
                return "Images are not available here."
            paths = await self.image_runner(command.request)
            return "\n".join(f"saved {p}" for p in paths)
        if isinstance(command, StatusCommand):
            return await self._status(command.job_id)
        if isinstance(command, CancelCommand):
            job_id = command.job_id or self._latest_active()
            if job_id is None:
                return self.messages("job.none_active")
            return cancel_sentence(await self.engine.cancel(job_id), job_id, self.messages)
        if isinstance(command, UsageCommand):
            return await self._usage()
        if isinstance(command, HelpCommand):
            return HELP_TEXT
        if isinstance(command, DefaultsCommand):
            # The person at the terminal owns this bot: they may always change the console's defaults.
            return await self.desk.run(command, workspace_id=CONVERSATION.workspace_id,
                                       channel_id=CONVERSATION.channel_id, by=USER.user_id, refusal=None)
        return None

    def _latest_active(self) -> str | None:
        for job_id in reversed(self.submitted):
            job = self.engine.peek(job_id)
            if job is not None and not job.state.terminal:
                return job_id
        return None

    async def _status(self, job_id: str | None) -> str:
        ids = [job_id] if job_id else self.submitted[-5:]
        if not ids:
            return self.messages("job.none_active")
        lines = []
        for jid in ids:
            job = await self.engine.get(jid)
            if job is None:
                lines.append(self.messages("job.not_found", job_id=jid))
                continue
            lines.append(self.engine.view(job).as_text().replace("\n", "\n  "))
        return "\n".join(lines)

    async def _usage(self) -> str:
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month = today.replace(day=1)
        out = []
        for label, since in (("today", today), ("this month", month)):
            totals = await self.engine.store.usage(since=since, platform=PLATFORM, workspace_id=None)
            noun = "video" if totals.jobs == 1 else "videos"
            out.append(f"{label}: {totals.jobs} {noun}, {totals.billed_seconds:g} s billed, ¥{totals.cost}")
        return "\n".join(out)

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

    async def drain(self, timeout: float = timedelta(hours=1).total_seconds()) -> list[Job]:
        pending = [jid for jid in self.submitted if (job := self.engine.peek(jid)) and not job.state.terminal]
        if pending:
            self.console.print(f"waiting for {len(pending)} job(s) to finish…")
        started = asyncio.get_running_loop().time()
        done = []
        for job_id in self.submitted:
            left = max(1.0, timeout - (asyncio.get_running_loop().time() - started))
            done.append(await self.engine.wait(job_id, timeout=left))
        if done:
            elapsed = human_duration(asyncio.get_running_loop().time() - started)
            states = ", ".join(f"{j.id}: {j.state.value.lower()}" for j in done)
            self.console.print(f"all done ({states}) after {elapsed} more")
        return done

