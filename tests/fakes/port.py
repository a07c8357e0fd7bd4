"""A recording ``ChatPort``: remembers every post, edit, upload and notice (like Bot Framework's TestAdapter)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import PlatformError
from core.port import ConversationRef, EditBudget, MessageRef, Person, StatusView


@dataclass
class Upload:
    conversation: ConversationRef
    filename: str
    size: int
    caption: str
    reply_to: MessageRef | None
    content: bytes
    #: Issue 14: whom the caption names ("requested by …").
    requester: Person | None = None


@dataclass
class RecordingPort:
    platform: str = "test"
    limit: int = 100 * 1024 * 1024
    posts: list[tuple[MessageRef, StatusView]] = field(default_factory=list)
    edits: list[tuple[MessageRef, StatusView]] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    deleted: list[MessageRef] = field(default_factory=list)
    #: Each ``upload_images`` message: its ref, file names, caption and what it replied to.
    image_messages: list[tuple[MessageRef, list[str], str, MessageRef | None]] = field(default_factory=list)
    find_calls: list[str] = field(default_factory=list)
    status_find_calls: list[str] = field(default_factory=list)
    #: Errors to raise from the next calls of each verb, in order.
    edit_failures: list[PlatformError] = field(default_factory=list)
    upload_failures: list[PlatformError] = field(default_factory=list)
    #: States whose first edit fails (a platform hiccup at exactly that moment).
    fail_edit_once_in: set[str] = field(default_factory=set)
    #: The edit limit it declares (``core.edits``): by default more than any test makes.
    budget: EditBudget = field(default_factory=lambda: EditBudget("test", 1000.0, 1000))
    #: ``open_thread`` opens threads (and records them) only when on.
    threads: bool = False
    threads_opened: list[tuple[MessageRef, str]] = field(default_factory=list)
    thread_failures: list[PlatformError] = field(default_factory=list)
    #: Issue 13: every ``notify`` (conversation, text, the ids it may ping).
    notices: list[tuple[ConversationRef, str, tuple[str, ...]]] = field(default_factory=list)
    _next: int = 0

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        self._next += 1
        ref = MessageRef(conversation, f"m{self._next}")
        self.posts.append((ref, view))
        return ref

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        if self.edit_failures:
            raise self.edit_failures.pop(0)
        if view.state in self.fail_edit_once_in:
            self.fail_edit_once_in.discard(view.state)
            raise PlatformError("502 Bad Gateway", code="HTTP502", http_status=502, retryable=True)
        self.edits.append((ref, view))

    def edit_budget(self, ref: MessageRef) -> EditBudget:
        return self.budget

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
        if self.upload_failures:
            raise self.upload_failures.pop(0)
        assert path.stat().st_size == size, "the port must be told the real size"
        assert size <= self.limit, "the engine must never upload past the limit"
        self._next += 1
        self.uploads.append(Upload(conversation, filename, size, caption, reply_to, path.read_bytes(), requester))
        return MessageRef(conversation, f"u{self._next}")

    async def delete_message(self, ref: MessageRef) -> None:
        self.deleted.append(ref)

    async def message_link(self, ref: MessageRef) -> str | None:
        return f"test://{ref.conversation.channel_id}/{ref.message_id}"

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        self._next += 1
        self.notices.append((conversation, text, tuple(mention)))
        return MessageRef(conversation, f"n{self._next}")

    async def upload_images(
        self,
        conversation: ConversationRef,
        paths: Sequence[Path],
        *,
        caption: str,
        reply_to: MessageRef | None,
        requester: Person | None = None,
    ) -> MessageRef:
        """One message with several attachments: recorded as one ``Upload`` per file, sharing a ref."""
        if self.upload_failures:
            raise self.upload_failures.pop(0)
        sizes = [path.stat().st_size for path in paths]
        assert sum(sizes) <= self.limit, "the engine must never upload past the limit"
        self._next += 1
        ref = MessageRef(conversation, f"u{self._next}")
        self.image_messages.append((ref, [p.name for p in paths], caption, reply_to))
        for path, size in zip(paths, sizes, strict=True):
            self.uploads.append(Upload(conversation, path.name, size, caption, reply_to, path.read_bytes(), requester))
        return ref


    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        self.status_find_calls.append(job_id)
        for ref, view in self.posts:
            if view.job_id == job_id and ref.conversation == conversation:
                return ref
        return None

    async def find_upload(
        self, conversation: ConversationRef, *, filename: str, reply_to: MessageRef | None
    ) -> MessageRef | None:
        self.find_calls.append(filename)
        for i, upload in enumerate(self.uploads):
            if upload.filename == filename and upload.conversation == conversation:
                return MessageRef(conversation, f"found-{i}")
        return None

    async def upload_limit(self, conversation: ConversationRef) -> int:
        return self.limit

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        """With ``threads`` on, a thread named ``name`` on ``status`` (its id: ``t-`` + the message's id);
        ``thread_failures`` are raised first; off (the default), no threads, like the console."""
        if self.thread_failures:
            raise self.thread_failures.pop(0)
        if not self.threads:
            return None
        self.threads_opened.append((status, name))
        return ConversationRef(status.conversation.platform, status.conversation.channel_id,
                               status.conversation.workspace_id, thread_id=f"t-{status.message_id}")

    # -- helpers for assertions ----------------------------------------------------------------------------

    def states_shown(self, job_id: str) -> list[str]:
        """Every state the job's status message showed, post first, in order."""
        shown = [v.state for _, v in self.posts if v.job_id == job_id]
        shown += [v.state for _, v in self.edits if v.job_id == job_id]
        return shown

    def refs_used(self, job_id: str) -> set[str]:
        return {r.message_id for r, v in [*self.posts, *self.edits] if v.job_id == job_id}
