"""``SlackPort``: the engine's ``ChatPort`` on Slack's Web API (slack_sdk ``AsyncWebClient``).

* A status message is a ``chat.postMessage`` with Block Kit blocks; it is edited with ``chat.update`` by
  its ``ts``, which works forever with the bot token (a ``response_url`` dies after 30 minutes).
* The video goes up with ``files_upload_v2`` into the status message's thread (``channel_id`` +
  ``thread_ts``). slack_sdk would read a path with a blocking ``open().read()``; we read the bytes in a
  worker thread instead so the event loop never stalls. The returned ``MessageRef`` carries the file id.
* ``not_in_channel``: the port joins a public channel once (``conversations.join``) and sends again;
  private channels and DMs raise ``PlatformError(code="not_in_channel")`` for the handler to explain.
* Every Slack failure leaves here as ``core.errors.PlatformError`` (see ``errors.platform_error``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import fallback_text, safe, status_blocks
from adapters.slack.errors import platform_error
from core.errors import PlatformError
from core.messages import Messages
from core.port import ConversationRef, MessageRef, StatusView

log = logging.getLogger("wanbot.slack")

PLATFORM = "slack"

#: Slack's per-file cap for ``files_upload_v2`` (slack_sdk refuses more, and so does Slack).
UPLOAD_LIMIT = 1024**3

Response = dict[str, Any]


class SlackPort:
    """A ``ChatPort`` for one Slack workspace's bot token."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, *, messages: Messages | None = None) -> None:
        self.client = client
        self.messages = messages or Messages()
        #: Channels the bot is known to be in: skips a ``conversations.info`` per command.
        self._member: set[str] = set()

    # -- ChatPort ----------------------------------------------------------------------------------------

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        channel = conversation.channel_id

        async def post() -> Response:
            return await self._call(self.client.chat_postMessage(
                channel=channel, text=fallback_text(view), blocks=status_blocks(view, self.messages),
                thread_ts=conversation.thread_id, unfurl_links=False, unfurl_media=False,
            ))

        data = await self._joining(channel, post)
        return MessageRef(conversation, str(data["ts"]))

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        await self._call(self.client.chat_update(
            channel=ref.conversation.channel_id, ts=ref.message_id, text=fallback_text(view),
            blocks=status_blocks(view, self.messages),
        ))

    async def upload_video(
        self,
        conversation: ConversationRef,
        path: Path,
        *,
        filename: str,
        size: int,
        caption: str,
        reply_to: MessageRef | None,
    ) -> MessageRef:
        thread_ts = reply_to.message_id if reply_to is not None else conversation.thread_id
        ref = await self.upload_file(conversation, path, caption=caption, filename=filename, thread_ts=thread_ts)
        log.info("uploaded %s (%d bytes) to %s thread %s as %s", filename, size, ref.conversation.channel_id,
                 thread_ts, ref.message_id)
        return ref

    async def notify(self, conversation: ConversationRef, text: str, *, user_id: str | None = None) -> None:
        if user_id is not None:
            await self.ephemeral(conversation.channel_id, user_id, text)
            return
        await self._joining(conversation.channel_id, lambda: self._call(self.client.chat_postMessage(
            channel=conversation.channel_id, text=safe(text), thread_ts=conversation.thread_id,
        )))

    async def upload_limit(self, conversation: ConversationRef) -> int:
        return UPLOAD_LIMIT

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        return None  # not looked up yet: a restart posts a new status message

    async def find_upload(
        self, conversation: ConversationRef, *, filename: str, reply_to: MessageRef | None
    ) -> MessageRef | None:
        """A file called ``filename`` already shared in the status message's thread (a lost answer)."""
        thread_ts = reply_to.message_id if reply_to is not None else conversation.thread_id
        if thread_ts is None:
            return None
        data = await self._call(self.client.conversations_replies(channel=conversation.channel_id, ts=thread_ts,
                                                                 limit=200))
        for message in data.get("messages") or []:
            for shared in message.get("files") or []:
                if shared.get("name") == filename and shared.get("id"):
                    return MessageRef(conversation, str(shared["id"]))
        return None

    # -- Slack-only verbs the handlers use ---------------------------------------------------------------

    async def ephemeral(self, channel_id: str, user_id: str, text: str) -> None:
        """A message only ``user_id`` sees (plain text is escaped; ``Mrkdwn`` is sent as is)."""
        await self._call(self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=safe(text)))

    async def upload_file(self, conversation: ConversationRef, path: Path, *, caption: str,
                          filename: str | None = None, thread_ts: str | None = None) -> MessageRef:
        """``files_upload_v2`` of one file; the returned ref's ``message_id`` is the Slack file id."""
        data = await asyncio.to_thread(path.read_bytes)
        channel = conversation.channel_id
        name = filename or path.name

        async def upload() -> Response:
            return await self._call(self.client.files_upload_v2(
                channel=channel, thread_ts=thread_ts, file=data, filename=name, title=name,
                initial_comment=safe(caption) if caption else None,
            ))

        answer = await self._joining(channel, upload)
        files = answer.get("files") or [answer.get("file") or {}]
        # The file id (not a message ts) is what identifies an upload later, e.g. to delete it.
        return MessageRef(ConversationRef(PLATFORM, channel, conversation.workspace_id, thread_ts),
                          str(files[0].get("id", "")))

    async def ensure_member(self, channel_id: str) -> None:
        """Make sure the bot can post here before anything is queued: join a public channel if needed,
        else raise ``PlatformError(code="not_in_channel")``."""
        if channel_id in self._member:
            return
        data = await self._call(self.client.conversations_info(channel=channel_id))
        channel = data.get("channel") or {}
        if channel.get("is_member") or channel.get("is_im"):
            self._member.add(channel_id)
            return
        if channel.get("is_private") or channel.get("is_mpim") or channel.get("is_group"):
            raise PlatformError("the bot is not in this private conversation", code="not_in_channel")
        await self._join(channel_id)

    async def is_admin(self, user_id: str) -> bool:
        """Is ``user_id`` a workspace admin or owner (``users.info``, scope ``users:read``)?

        Asked each time rather than cached: it is only needed to change channel defaults, which is rare,
        and a demoted admin must lose the right at once.
        """
        data = await self._call(self.client.users_info(user=user_id))
        user = data.get("user") or {}
        return any(bool(user.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner"))

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call(self.client.views_open(trigger_id=trigger_id, view=view))

    async def delete_message(self, ref: MessageRef) -> None:
        """Delete a message the bot posted; one that is already gone counts as deleted."""
        try:
            await self._call(self.client.chat_delete(channel=ref.conversation.channel_id, ts=ref.message_id))
        except PlatformError as exc:
            if exc.code != "message_not_found":
                raise

    async def delete_file(self, file_id: str) -> None:
        try:
            await self._call(self.client.files_delete(file=file_id))
        except PlatformError as exc:
            if exc.code not in ("file_not_found", "file_deleted"):
                raise

    # -- plumbing ----------------------------------------------------------------------------------------

    async def _call(self, request: Awaitable[Any]) -> Response:
        """Await one slack_sdk call; every failure leaves as ``PlatformError``."""
        try:
            response = await request
        except Exception as exc:
            raise platform_error(exc) from exc
        data = response.data
        return data if isinstance(data, dict) else {}

    async def _joining(self, channel_id: str, send: Callable[[], Awaitable[Response]]) -> Response:
        """``send()``; on ``not_in_channel`` join the (public) channel once and send again."""
        try:
            return await send()
        except PlatformError as exc:
            if exc.code != "not_in_channel":
                raise
            self._member.discard(channel_id)
            log.info("not in %s; joining it", channel_id)
            await self._join(channel_id)
        return await send()

    async def _join(self, channel_id: str) -> None:
        try:
            await self._call(self.client.conversations_join(channel=channel_id))
        except PlatformError as exc:
            if exc.retryable:
                raise
            # Private channels answer method_not_supported_for_channel_type: only an invite helps.
            raise PlatformError(f"cannot join {channel_id}: {exc.code}", code="not_in_channel",
                                http_status=exc.http_status) from exc
        self._member.add(channel_id)
