"""``DiscordPort``: the engine's ``ChatPort`` on Discord, through the bot's own REST endpoints.

Every call addresses a channel and message by id (``client.get_partial_messageable``), never an
interaction token, so a status message can be edited hours later and by a restarted process:
post → ``POST /channels/{id}/messages``, edit → ``PATCH /channels/{id}/messages/{id}``, upload → a
multipart ``POST`` replying to the status message. Every post and edit says ``AllowedMentions.none()``
(nothing pings), and every text that may carry someone's words is shown as plain text
(``adapters.discord.markup``): the caption, the notices, the embed (``adapters.discord.render``).

``find_status`` looks through the channel's recent history for the bot's message about a job — by the
job id in its buttons' ``custom_id`` or in the embed's "Job" field — so a status message posted by a
process that died before storing its id is adopted, not duplicated.

Discord answers become ``core.errors.PlatformError``: 413 / 40005 → ``UploadTooLarge`` (the engine
re-encodes), 429 and 5xx → retryable. Before the gateway is ready (the engine resumes jobs while the
client is still logging in) every verb waits for it, up to ``ready_timeout``; past that it fails as
retryable and the engine tries again later.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.discord import PLATFORM
from adapters.discord.buttons import parse_custom_id
from adapters.discord.markup import fitted
from adapters.discord.render import status_buttons, status_embed
from core.errors import PlatformError, UploadTooLarge
from core.messages import Messages
from core.port import ConversationRef, EditBudget, MessageRef, Person, StatusView

log = logging.getLogger("wanbot.discord")

#: What an unboosted guild (and a DM) accepts per file.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
NO_MENTIONS = discord.AllowedMentions.none()

#: Discord's limit on a message's text.
MAX_CONTENT = 2000
#: How far back ``find_status`` looks: one page of history. A status message is posted right after its
#: job is stored, so a restart finds it among the newest messages unless the channel is very busy.
STATUS_SCAN = 100

#: Discord allows 5 message edits per 5 s per channel: a burst of 3 and 0.4 a second keep every 5 s window
#: at 5 or fewer (a token bucket passes at most burst + rate × window), and a job's quick succession of
#: states (generating, uploading, done) still shows each one.
EDIT_RATE = 0.4
EDIT_BURST = 3

T = TypeVar("T")


def discord_edit_budget(ref: MessageRef) -> EditBudget:
    """Status edits in one channel (a thread is its own channel) share that channel's edit limit."""
    conversation = ref.conversation
    return EditBudget(f"discord:{conversation.thread_id or conversation.channel_id}", EDIT_RATE, EDIT_BURST)


def is_status_of(message: discord.Message, job_id: str, *, job_field: str) -> bool:
    """Is ``message`` a status message of ``job_id``? A button of it, or the embed's job field, says so.

    Only the field named "Job" counts: another field (the "Avoid" text) may hold anything, even this id.
    """
    for row in message.components:
        for item in getattr(row, "children", ()):
            parsed = parse_custom_id(getattr(item, "custom_id", None) or "")
            if parsed is not None and parsed[1] == job_id:
                return True
    return any(f.name == job_field and f.value == job_id for embed in message.embeds for f in embed.fields)


def platform_error(exc: Exception, what: str) -> PlatformError:
    """A discord.py / aiohttp failure as the engine's ``PlatformError``."""
    if isinstance(exc, discord.HTTPException):
        if exc.status == 413 or exc.code == 40005:
            return UploadTooLarge(f"{what}: file too large for this channel", http_status=413)
        code = {403: "Forbidden", 404: "NotFound", 429: "RateLimited"}.get(exc.status, f"HTTP{exc.status}")
        retryable = exc.status == 429 or exc.status >= 500
        return PlatformError(f"{what}: {exc.text or exc.status}", code=code, http_status=exc.status,
                             retryable=retryable)
    return PlatformError(f"{what}: {exc}", code="ConnectionError", retryable=True)


def open_binary(path: Path) -> io.BufferedReader:
    return path.open("rb")


async def guarded(call: Awaitable[T], what: str) -> T:
    try:
        return await call
    except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as exc:
        raise platform_error(exc, what) from exc
    except RuntimeError as exc:
        # aiohttp's words for a request on a closed session: discord.py's client was closed (a shutdown
        # under way) while the engine still edits. Retryable: the job's next holder shows it.
        if "Session is closed" not in str(exc):
            raise
        raise PlatformError(f"{what}: the Discord client is closed", code="NotReady", retryable=True) from exc


class DiscordPort:
    platform = PLATFORM

    def __init__(self, client: discord.Client, messages: Messages, *, ready_timeout: float = 120.0) -> None:
        self._client = client
        self.messages = messages
        self._ready_timeout = ready_timeout
        self._ready = asyncio.Event()

    # -- readiness ---------------------------------------------------------------------------------------

    def mark_ready(self) -> None:
        """Called by the client once the gateway is ready."""
        self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def _wait_ready(self, what: str) -> None:
        if self._client.is_closed():
            raise PlatformError(f"{what}: the Discord client is closed", code="NotReady", retryable=True)
        try:
            await asyncio.wait_for(self._ready.wait(), self._ready_timeout)
        except TimeoutError:
            raise PlatformError(f"{what}: Discord is not connected", code="NotReady", retryable=True) from None

    # -- ChatPort ----------------------------------------------------------------------------------------

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        await self._wait_ready("post status")
        message = await guarded(
            self._channel(conversation).send(
                embed=status_embed(view), view=status_buttons(view, self.messages), allowed_mentions=NO_MENTIONS
            ),
            "post status",
        )
        return MessageRef(conversation, str(message.id))

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        await self._wait_ready("edit status")
        message = self.partial_message(ref)
        await guarded(message.edit(embed=status_embed(view), view=status_buttons(view, self.messages),
                                   allowed_mentions=NO_MENTIONS), "edit status")

    def edit_budget(self, ref: MessageRef) -> EditBudget:
        return discord_edit_budget(ref)

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
        await self._wait_ready("upload")
        ref = await self._send_files(conversation, [(path, filename)], caption=caption, reply_to=reply_to,
                                     what="upload video", requester=requester)
        log.info("uploaded %s (%d bytes) to channel %s", filename, size, conversation.channel_id)
        return ref

    async def upload_images(
        self,
        conversation: ConversationRef,
        paths: Sequence[Path],
        *,
        caption: str,
        reply_to: MessageRef | None,
        requester: Person | None = None,
    ) -> MessageRef:
        """One message with every image attached (Discord takes up to 10 attachments per message)."""
        await self._wait_ready("upload")
        ref = await self._send_files(conversation, [(path, path.name) for path in paths], caption=caption,
                                     reply_to=reply_to, what="upload images", requester=requester)
        log.info("uploaded %d images to channel %s", len(paths), conversation.channel_id)
        return ref

    async def _send_files(
        self,
        conversation: ConversationRef,
        files: list[tuple[Path, str]],
        *,
        caption: str,
        reply_to: MessageRef | None,
        what: str,
        requester: Person | None = None,
    ) -> MessageRef:
        extra: dict[str, Any] = {}
        if reply_to is not None:
            # A reply, but never a failed upload because someone deleted the status message meanwhile.
            where = reply_to.conversation
            extra["reference"] = discord.MessageReference(
                message_id=int(reply_to.message_id), channel_id=int(where.thread_id or where.channel_id),
                fail_if_not_exists=False,
            )
        handles: list[io.BufferedReader] = []
        try:
            for path, _ in files:
                handles.append(await asyncio.to_thread(open_binary, path))  # no blocking open on the loop
            attachments = [discord.File(handle, filename=name)
                           for handle, (_, name) in zip(handles, files, strict=True)]
            message = await guarded(
                self._channel(conversation).send(
                    content=self._caption(caption, requester), files=attachments, allowed_mentions=NO_MENTIONS,
                    **extra,
                ),
                what,
            )
        finally:
            for handle in handles:
                handle.close()
        return MessageRef(conversation, str(message.id))

    def _caption(self, caption: str, requester: Person | None) -> str:
        """The caption as plain text, then (issue 14) "requested by <@id>": a mention that shows the name and,
        with no mention allowed, pings nobody (the requester's ping is ``notify``'s, ``core.people``)."""
        if requester is None:
            return fitted(caption, MAX_CONTENT)
        by = self.messages("people.caption_by", who=f"<@{requester.user_id}>")
        return f"{fitted(caption, MAX_CONTENT - len(by) - 1)}\n{by}"

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        """The bot's newest message about ``job_id`` among the channel's last ``STATUS_SCAN`` messages."""
        await self._wait_ready("find status")
        me = getattr(self._client.user, "id", None)
        job_field = self.messages("field.job")

        async def scan() -> MessageRef | None:
            async for message in self._channel(conversation).history(limit=STATUS_SCAN):
                if message.author.id == me and is_status_of(message, job_id, job_field=job_field):
                    return MessageRef(conversation, str(message.id))
            return None

        return await guarded(scan(), "find status")

    async def find_upload(
        self, conversation: ConversationRef, *, filename: str, reply_to: MessageRef | None
    ) -> MessageRef | None:
        """A message after the status message carrying ``filename`` (an upload whose answer was lost)."""
        await self._wait_ready("find upload")
        after = discord.Object(int(reply_to.message_id)) if reply_to is not None else None

        async def scan() -> MessageRef | None:
            async for message in self._channel(conversation).history(limit=100, after=after):
                if message.author.id == getattr(self._client.user, "id", None) and any(
                    a.filename == filename for a in message.attachments
                ):
                    return MessageRef(conversation, str(message.id))
            return None

        return await guarded(scan(), "find upload")

    async def upload_limit(self, conversation: ConversationRef) -> int:
        await self._wait_ready("upload limit")
        if conversation.workspace_id is None:
            return DEFAULT_UPLOAD_LIMIT
        guild = self._client.get_guild(int(conversation.workspace_id))
        return guild.filesize_limit if guild is not None else DEFAULT_UPLOAD_LIMIT

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        """Issue 13: a plain message that may ping exactly ``mention`` (user ids), nobody else."""
        await self._wait_ready("notify")
        allowed = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                          users=[discord.Object(int(u)) for u in mention]) if mention else NO_MENTIONS
        message = await guarded(self._channel(conversation).send(content=text[:MAX_CONTENT], allowed_mentions=allowed),
                                "notify")
        return MessageRef(conversation, str(message.id))

    async def delete_message(self, ref: MessageRef) -> None:
        """The Delete button (``ChatActions.delete``) removes the status message and the delivered file."""
        await guarded(self.partial_message(ref).delete(), "delete message")

    async def message_link(self, ref: MessageRef) -> str | None:
        """Issue 13: Discord's jump URL (a thread is its own channel; a DM's guild is ``@me``)."""
        conversation = ref.conversation
        channel = conversation.thread_id or conversation.channel_id
        return f"https://discord.com/channels/{conversation.workspace_id or '@me'}/{channel}/{ref.message_id}"

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        """A public thread started on the status message (``POST /channels/{id}/messages/{id}/threads``,
        discord.py's ``Message.create_thread``); ``None`` in a DM (no guild: no threads). A thread started
        on a message has that message's id; its messages go to it as a channel of its own."""
        await self._wait_ready("open thread")
        where = status.conversation
        if where.workspace_id is None or where.thread_id is not None:
            return None  # a DM, or a message already inside a thread (threads do not nest)
        message = self.partial_message(status)
        try:
            thread = await guarded(message.create_thread(name=name[:100], auto_archive_duration=1440),
                                   "open thread")
        except ValueError:  # discord.py: the message carries no guild (not cached): no thread here
            return None
        return ConversationRef(self.platform, where.channel_id, where.workspace_id, thread_id=str(thread.id))

    # -- helpers -----------------------------------------------------------------------------------------

    def _channel(self, conversation: ConversationRef) -> discord.PartialMessageable:
        channel_id = int(conversation.thread_id or conversation.channel_id)
        guild_id = int(conversation.workspace_id) if conversation.workspace_id else None
        return self._client.get_partial_messageable(channel_id, guild_id=guild_id)

    def partial_message(self, ref: MessageRef) -> discord.PartialMessage:
        return self._channel(ref.conversation).get_partial_message(int(ref.message_id))

    def status_payload(self, view: StatusView) -> dict[str, Any]:
        """What ``post_status`` sends, for an interaction response posting the same message."""
        return {"embed": status_embed(view), "view": status_buttons(view, self.messages),
                "allowed_mentions": NO_MENTIONS}
