"""The port: the only way the core talks to a chat platform.

A platform adapter implements ``ChatPort`` with a handful of verbs that take and return plain,
serialisable references (``ConversationRef``, ``MessageRef``). The engine stores those references with
each job, so a restarted process can edit the same status message or reply in the same thread
(the same idea as Bot Framework's ``ConversationReference``). Nothing here imports a platform library.

What a status message shows is a ``StatusView``: plain data the engine fills in and each adapter renders
its own way (a Discord embed, Slack blocks, a rich console line).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class ConversationRef:
    """Where to talk: a channel (and optionally a thread) on one platform."""

    platform: str
    channel_id: str
    workspace_id: str | None = None
    thread_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationRef:
        return cls(**data)


@dataclass(frozen=True)
class MessageRef:
    """One message the bot posted, addressable for edits long after any interaction token died."""

    conversation: ConversationRef
    message_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"conversation": self.conversation.to_dict(), "message_id": self.message_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessageRef:
        return cls(ConversationRef.from_dict(data["conversation"]), str(data["message_id"]))


@dataclass(frozen=True)
class Person:
    """Issue 14: who asked for a job, as its status message and delivered result name them (never a ping:
    that is ``ChatPort.notify``'s, ``core.people``). ``name``: what the platform told us (may be None)."""

    user_id: str
    name: str | None = None


@dataclass(frozen=True)
class StatusField:
    name: str
    value: str


@dataclass(frozen=True)
class StatusView:
    """Everything a status message shows; adapters decide the layout, the engine decides the words."""

    job_id: str
    state: str
    title: str
    prompt: str
    fields: tuple[StatusField, ...] = ()
    #: One line under the title: "Queued — position 2", "Generating… 1m 12s".
    line: str = ""
    #: Extra explanation: the reason of a failure, a note on re-encoding, an expiry warning.
    detail: str | None = None
    #: Buttons that make sense in this state: "cancel", "reroll", "remix", "upscale", "delete".
    actions: tuple[str, ...] = ()
    #: A link to show instead of an upload (video too large for the channel).
    link: str | None = None
    terminal: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    #: The rewritten prompt Wan rendered (its label, its full text), shown secondary to ``prompt`` when
    #: prompt extension changed it; adapters fit the text to their limits.
    wan_prompt: StatusField | None = None
    #: While the job is unfinished: when it was asked for, so a platform with relative timestamps (Discord
    #: ``<t:…:R>``, Slack ``<!date^…^{ago}|…>``) shows the elapsed time ticking without an edit.
    since: datetime | None = None
    #: ``line`` without its elapsed-time part (the queue position, the sandbox note), for those platforms.
    place: str = ""
    #: The ticking part's words, with ``{ago}`` where the platform's relative time goes: "asked {ago} ·
    #: usually ~2 min" (the typical time is this deployment's own, once it has seen a few such tasks).
    clock: str = ""
    #: Issue 14: the requester, named "Requested by …" without pinging (Discord ``<@id>`` with no mention
    #: allowed; Slack the display name, since a ``<@U…>`` in a posted message pings).
    requested_by: Person | None = None
    #: Its label, in the engine's words ("Requested by").
    requested_label: str = ""
    #: The language the engine chose the words in (the job's, ``core.locale``): adapters render their own
    #: labels (buttons) in it too, whoever's request the edit happens during.
    locale: str | None = None

    def ticking(self, relative: str) -> str:
        """``clock`` with the platform's relative-time token in place (empty when the job is finished)."""
        return self.clock.replace("{ago}", relative) if self.since is not None and self.clock else ""

    def as_text(self) -> str:
        """A plain-text rendering: the console, logs, and platform fallbacks."""
        head = f"[{self.job_id}] {self.title}"
        parts = [f"{head} · {self.line}" if self.line else head]
        if self.detail:
            parts.append(self.detail)
        if self.link:
            parts.append(self.link)
        return "\n".join(parts)


@dataclass(frozen=True)
class EditBudget:
    """How fast a platform lets the bot edit messages: edits sharing ``key`` draw on one token bucket that
    refills at ``per_second`` and holds at most ``burst`` (``core.edits`` keeps status edits inside it)."""

    key: str
    per_second: float
    burst: int


#: Posts a new job's first status message instead of ``ChatPort.post_status`` (Discord answers the slash
#: command's interaction with it) and returns its reference.
PostStatus = Callable[[StatusView], Awaitable[MessageRef]]


class ChatPort(Protocol):
    """What the engine needs from a chat platform. Every method may raise ``core.errors.PlatformError``."""

    platform: str

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        """Post a new status message and return its reference."""
        ...

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        """Replace the content of a status message posted earlier (possibly by another process)."""
        ...

    def edit_budget(self, ref: MessageRef) -> EditBudget:
        """The edit limit ``ref``'s edits count against (Slack: per workspace; Discord: per channel)."""
        ...

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
        """Upload an MP4 of ``size`` bytes (already within ``upload_limit``) and return its message. The
        caption names ``requester`` ("requested by …", issue 14) the way the status does: without a ping."""
        ...

    async def upload_images(
        self,
        conversation: ConversationRef,
        paths: Sequence[Path],
        *,
        caption: str,
        reply_to: MessageRef | None,
        requester: Person | None = None,
    ) -> MessageRef:
        """Upload image files (together within ``upload_limit``; each path's name is its file name) as ONE
        message with ``caption``, a reply to ``reply_to``, and return that message. ``find_upload`` with the
        first file's name finds it again."""
        ...

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        """The status message of ``job_id`` an interrupted earlier process may have posted without living to
        store its reference, or ``None``. Called before posting a job's status again after a crash, so a
        chat never holds two status messages (one of them a stale "Queued" with a live Cancel button)."""
        ...

    async def find_upload(
        self, conversation: ConversationRef, *, filename: str, reply_to: MessageRef | None
    ) -> MessageRef | None:
        """The upload of ``filename`` an interrupted earlier attempt may have completed (looked for near
        ``reply_to``), or ``None``. Called before re-uploading after a crash, so nobody gets it twice."""
        ...

    async def delete_message(self, ref: MessageRef) -> None:
        """Remove a message (or an uploaded file) the bot posted: ``/wan`` Delete."""
        ...

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        """Issue 13: a plain message (an approval's outcome, a budget alert, an admin notice); ``mention``:
        the user ids it may ping, nobody else."""
        ...

    async def upload_limit(self, conversation: ConversationRef) -> int:
        """The largest file in bytes this conversation accepts right now."""
        ...

    async def message_link(self, ref: MessageRef) -> str | None:
        """Issue 13: a link a person can open to ``ref`` (Discord's jump URL, Slack's permalink — for an
        upload's ref, of the message sharing the file; issue 14), or ``None`` where the platform has no such
        thing (the console)."""
        ...

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        """Open a thread on ``status`` (an idea's status message, ``core.ideas``) named ``name`` and return
        where it is, or ``None`` where the platform has no threads (the console, a DM). Raises
        ``PlatformError`` when the platform refuses (no permission): not retryable, the job goes on."""
        ...
