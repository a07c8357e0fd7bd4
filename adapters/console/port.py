"""The console port: the chat platform is your terminal.

Status messages are lines that change in place (a rich ``Live`` table on a terminal; one printed line
per edit when output is piped, so logs and CI read well). A new status is followed by one line of what is
made and what it costs (model, format, seed, estimate: the fields every chat's status shows), so the price
is on screen before anything is billed. "Uploading" a video or images copies them into the
output folder. Everything the engine does on Discord or Slack happens here too, which is what lets a newcomer
watch the whole path locally.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from core.messages import Messages, human_duration
from core.port import ConversationRef, EditBudget, MessageRef, Person, StatusField, StatusView

PLATFORM = "console"

_STYLE = {
    "QUEUED": "yellow",
    "PENDING": "cyan",
    "RUNNING": "bold cyan",
    "SUCCEEDED": "magenta",
    "DELIVERED": "bold green",
    "FAILED": "bold red",
    "CANCELED": "dim",
    "EXPIRED": "red",
}


def fields_text(fields: Sequence[StatusField], messages: Messages) -> str:
    """``Model: wan2.7-t2v, Format: 720P · 16:9 · 5s, Estimate: ¥3.50``: status fields on one line."""
    return ", ".join(messages("console.field", name=field.name, value=field.value) for field in fields)


def _copy_in(paths: list[Path], dests: list[Path]) -> None:
    """Copy each file to a ``.part`` name, then rename them into place, the first one last."""
    for path, dest in zip(paths, dests, strict=True):
        shutil.copyfile(path, dest.with_name(dest.name + ".part"))
    for dest in reversed(dests):
        dest.with_name(dest.name + ".part").replace(dest)


@dataclass
class _Shown:
    view: StatusView
    #: When this terminal first showed the job: the live clock counts from here.
    first_seen: float


class ConsolePort:
    """A ``ChatPort`` that renders to a terminal and saves videos into ``out_dir``."""

    platform = PLATFORM

    def __init__(
        self,
        console: Console,
        out_dir: Path,
        *,
        upload_limit: int = 500 * 1024**2,
        live: bool | None = None,
        messages: Messages | None = None,
    ) -> None:
        self.console = console
        self.messages = messages or Messages()
        self.out_dir = out_dir
        self._limit = upload_limit
        self._live_enabled = console.is_terminal if live is None else live
        self._live: Live | None = None
        self._shown: dict[str, _Shown] = {}
        self._next_id = 0
        #: job id → saved path; what ``wanbot try`` prints at the end.
        self.saved: dict[str, Path] = {}

    # -- ChatPort ----------------------------------------------------------------------------------------

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        self._next_id += 1
        message_id = f"{view.job_id}-{self._next_id}"
        self._show(message_id, view)
        # What is made and its price, once (the job id is already in the line's brackets).
        fields = [field for field in view.fields if field.value != view.job_id]
        if fields:
            self._print(Text(f"  {fields_text(fields, self.messages)}", style="dim"))
        return MessageRef(conversation, message_id)

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        if ref.message_id not in self._shown:
            # A line an earlier run printed (a job resumed from the store): that terminal is gone, so
            # there is nothing to edit; the job's outcome stays in the store (and `/wan status`).
            return
        self._show(ref.message_id, view)

    def edit_budget(self, ref: MessageRef) -> EditBudget:
        # A terminal has no edit limit worth the name: every change is shown as it happens.
        return EditBudget(PLATFORM, 1000.0, 1000)

    async def upload_video(
        self,
        conversation: ConversationRef,
        path: Path,
        *,
        filename: str,
        size: int,
        caption: str,
        reply_to: MessageRef | None,
        requester: Person | None = None,
    ) -> MessageRef:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        dest = self.out_dir / filename
        await asyncio.to_thread(shutil.copyfile, path, dest)
        job_id = filename.removeprefix("wan-").removesuffix(".mp4")
        self.saved[job_id] = dest
        self._print(Text.assemble(("  saved ", "green"), (str(dest), "bold"), f"  ({size:,} bytes)"))
        return MessageRef(conversation, f"file:{dest}")

    async def upload_images(
        self,
        conversation: ConversationRef,
        paths: Sequence[Path],
        *,
        caption: str,
        reply_to: MessageRef | None,
        requester: Person | None = None,
    ) -> MessageRef:
        """Copy the images into the output folder and print where. The first image is renamed into place
        last, so ``find_upload`` (which looks for it) never mistakes a half-copied set for a finished one."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        dests = [self.out_dir / path.name for path in paths]
        await asyncio.to_thread(_copy_in, list(paths), dests)
        if dests:
            job_id = dests[0].name.removeprefix("wan-").rsplit("-", 1)[0]
            self.saved[job_id] = dests[0]
        for dest in dests:
            self._print(Text.assemble(("  saved ", "green"), (str(dest), "bold")))
        return MessageRef(conversation, f"file:{dests[0] if dests else self.out_dir}")

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        # A line an earlier process printed cannot be edited again (that terminal is gone); printing a new
        # one is right. A line this process printed is found by its job id.
        for message_id, shown in self._shown.items():
            if shown.view.job_id == job_id:
                return MessageRef(conversation, message_id)
        return None

    async def find_upload(
        self, conversation: ConversationRef, *, filename: str, reply_to: MessageRef | None
    ) -> MessageRef | None:
        dest = self.out_dir / filename
        return MessageRef(conversation, f"file:{dest}") if dest.exists() else None

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        """Issue 13: a notice, printed (the console's one user is everyone it could mention)."""
        self._print(Text(text))
        return MessageRef(conversation, f"notice:{len(text)}")

    async def delete_message(self, ref: MessageRef) -> None:
        # The console cannot unprint a line; saying so is the honest delete.
        self._print(Text(f"(deleted {ref.message_id})", style="dim"))

    async def upload_limit(self, conversation: ConversationRef) -> int:
        return self._limit

    async def message_link(self, ref: MessageRef) -> str | None:
        return None  # a printed line has no address

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        return None  # a terminal has no threads: results follow in the same scrollback

    # -- rendering ---------------------------------------------------------------------------------------

    def start_live(self) -> None:
        if self._live_enabled and self._live is None:
            self._live = Live(self._table(), console=self.console, refresh_per_second=4, transient=False,
                              get_renderable=self._table)
            self._live.start()

    def stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _show(self, message_id: str, view: StatusView) -> None:
        previous = self._shown.get(message_id)
        self._shown[message_id] = _Shown(view, previous.first_seen if previous else time.monotonic())
        if self._live is None:
            self._print(self._line(view))

    def _print(self, text: Text) -> None:
        if self._live is not None:
            self._live.console.print(text)
        else:
            self.console.print(text)

    def _line(self, view: StatusView) -> Text:
        style = _STYLE.get(view.state, "")
        line = Text.assemble((f"[{view.job_id}] ", "dim"), (view.title, style), f"  {view.line}")
        if view.detail:
            line.append(f"\n  {view.detail}", style="italic")
        if view.wan_prompt:
            # One secondary line: the rewrite prompt extension made (copy it into /wan remix to start from it).
            line.append(f"\n  {view.wan_prompt.name}: {view.wan_prompt.value}", style="dim")
        return line

    def _table(self) -> Table:
        table = Table(show_header=False, box=None, pad_edge=False)
        for shown in self._shown.values():
            view = shown.view
            if not view.terminal:
                # Between edits the terminal ticks the clock itself (the engine edits only on changes):
                # the line's own elapsed time, as of the last edit, is replaced by a live one.
                where = view.line.rpartition(" · ")[0]
                ticking = human_duration(time.monotonic() - shown.first_seen)
                view = replace(view, line=f"{where} · {ticking}" if where else ticking)
            table.add_row(self._line(view))
        return table
