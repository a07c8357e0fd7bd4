"""``SlackPort``: the engine's ``ChatPort`` on Slack's Web API (slack_sdk ``AsyncWebClient``).

* A status message is a ``chat.postMessage`` with Block Kit blocks; it is edited with ``chat.update`` by
  its ``ts``, which works forever with the bot token (a ``response_url`` dies after 30 minutes). It
  carries message ``metadata`` naming its job, so a process that died between the post and storing the
  ``ts`` is followed by one that finds the message again (``find_status``: ``conversations.history``, or
  ``conversations.replies`` in a thread) instead of posting a second one.
* The video goes up into the status message's thread (``channel_id`` + ``thread_ts``) through Slack's
  three upload steps, the file streamed from disk (``adapters.slack.upload``: slack_sdk's
  ``files_upload_v2`` would hold it in memory). The returned ``MessageRef`` carries the file id.
* ``not_in_channel``: the port joins a public channel once (``conversations.join``) and sends again;
  private channels and DMs raise ``SlackNotInChannel`` for the handler to explain.
* Every Slack failure leaves here as ``core.errors.PlatformError`` (see ``errors.platform_error``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import escape, fallback_text, safe, status_blocks
from adapters.slack.errors import SlackNotInChannel, platform_error
from adapters.slack.upload import FileToUpload, upload_files
from core.errors import PlatformError
from core.messages import Messages
from core.port import ConversationRef, EditBudget, MessageRef, Person, StatusField, StatusView

log = logging.getLogger("wanbot.slack")

PLATFORM = "slack"

#: ``metadata.event_type`` of a status message; ``event_payload`` is ``{"job_id": …}``.
STATUS_EVENT = "wanbot_status"
#: How far back ``find_status`` looks: the message was posted moments before a crash, but a busy channel
#: may have moved on by the time the bot is back.
FIND_PAGES = 5
FIND_PAGE_SIZE = 200

#: Seconds the "may the bot post here?" check may take before a new job is acknowledged: it is a Slack call
#: (``conversations.info``, maybe ``conversations.join``) that must leave the ack far inside 3 seconds.
MEMBER_CHECK_BUDGET = 1.5

#: Slack's per-file cap for uploads (files larger than this are refused).
UPLOAD_LIMIT = 1024**3

#: ``chat.update`` is Tier 3 (~50 a minute per workspace): 40 a minute plus a burst of 10, so no 60 s
#: window holds more than 50.
EDIT_RATE = 40 / 60
EDIT_BURST = 10

Response = dict[str, Any]


def reply_thread(conversation: ConversationRef, reply_to: MessageRef | None) -> str | None:
    """The ``thread_ts`` a reply to ``reply_to`` goes in: the thread it is in (Slack: "use the parent's
    ts, not a reply's"), else the message itself starts one."""
    if conversation.thread_id is not None:
        return conversation.thread_id
    return reply_to.message_id if reply_to is not None else None


def slack_edit_budget(ref: MessageRef) -> EditBudget:
    """Status edits of one workspace share its ``chat.update`` limit (``core.edits`` paces them)."""
    team = ref.conversation.workspace_id or ref.conversation.channel_id
    return EditBudget(f"slack:{team}", EDIT_RATE, EDIT_BURST)


class SlackPort:
    """A ``ChatPort`` for one Slack workspace's bot token."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, *, messages: Messages | None = None) -> None:
        self.client = client
        self.messages = messages or Messages()
        #: Channels the bot is known to be in: skips a ``conversations.info`` per command.
        self._member: set[str] = set()
        self._bot_user_id: str | None = None
        #: Issue 14: user id → display name (``users.info``), asked once per person per process.
        self._names: dict[str, str] = {}

    # -- ChatPort ----------------------------------------------------------------------------------------

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        channel = conversation.channel_id
        view = await self._named(view)

        async def post() -> Response:
            return await self._call(self.client.chat_postMessage(
                channel=channel, text=fallback_text(view), blocks=status_blocks(view, self.messages),
                thread_ts=conversation.thread_id, unfurl_links=False, unfurl_media=False, parse="none",
                metadata={"event_type": STATUS_EVENT, "event_payload": {"job_id": view.job_id}},
            ))

        data = await self._joining(channel, post)
        return MessageRef(conversation, str(data["ts"]))

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        view = await self._named(view)
        await self._call(self.client.chat_update(
            channel=ref.conversation.channel_id, ts=ref.message_id, text=fallback_text(view),
            blocks=status_blocks(view, self.messages), parse="none",
        ))

    def edit_budget(self, ref: MessageRef) -> EditBudget:
        return slack_edit_budget(ref)

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
        thread_ts = reply_thread(conversation, reply_to)
        caption = await self._captioned(caption, requester)
        ref = await self.upload_file(conversation, path, caption=caption, filename=filename, thread_ts=thread_ts)
        log.info("uploaded %s (%d bytes) to %s thread %s as %s", filename, size, ref.conversation.channel_id,
                 thread_ts, ref.message_id)
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
        """One upload with every image: Slack shares them in one message in the status message's thread.
        The returned ref's ``message_id`` is every file's id, comma-separated, so a Delete removes them all
        (``delete_message``)."""
        thread_ts = reply_thread(conversation, reply_to)
        caption = await self._captioned(caption, requester)
        ref = await self._upload(conversation, [FileToUpload(path, path.name, path.name) for path in paths],
                                 caption=caption, thread_ts=thread_ts)
        log.info("uploaded %d images to %s thread %s", len(paths), conversation.channel_id, thread_ts)
        return ref

    async def upload_limit(self, conversation: ConversationRef) -> int:
        return UPLOAD_LIMIT

    async def open_thread(self, status: MessageRef, name: str) -> ConversationRef | None:
        """On Slack a thread is the replies to a message: the status message's ``ts`` is the idea's thread
        (a status already inside a thread is in that one: Slack threads do not nest)."""
        where = status.conversation
        return ConversationRef(self.platform, where.channel_id, where.workspace_id,
                               thread_id=where.thread_id or status.message_id)

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        """The bot's own status message of ``job_id`` in the conversation (its thread, if it has one).

        Matched by the job id in the message's metadata, and only among messages this bot posted: a
        look-alike from anyone else is never adopted (and could not be edited). A conversation the bot
        cannot read (no ``*:history`` scope, removed from it) answers ``None``, so the job posts afresh
        rather than never showing; a passing failure (rate limit, 5xx) raises and is retried later."""
        bot_user = await self._bot_user()
        cursor: str | None = None
        for _ in range(FIND_PAGES):
            try:
                if conversation.thread_id is not None:
                    data = await self._call(self.client.conversations_replies(
                        channel=conversation.channel_id, ts=conversation.thread_id, limit=FIND_PAGE_SIZE,
                        cursor=cursor, include_all_metadata=True))
                else:
                    data = await self._call(self.client.conversations_history(
                        channel=conversation.channel_id, limit=FIND_PAGE_SIZE, cursor=cursor,
                        include_all_metadata=True))
            except PlatformError as exc:
                if exc.retryable:
                    raise
                log.warning("cannot look for job %s's status message in %s: %s", job_id,
                            conversation.channel_id, exc.code)
                return None
            for message in data.get("messages") or []:
                if message.get("user") == bot_user and _status_job(message) == job_id:
                    return MessageRef(conversation, str(message["ts"]))
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "") or None
            if not data.get("has_more") or cursor is None:
                break
        return None

    async def find_upload(
        self, conversation: ConversationRef, *, filename: str, reply_to: MessageRef | None
    ) -> MessageRef | None:
        """A file called ``filename`` already shared in the status message's thread (a lost answer); the ref
        names every file of that message (a set of images went up as one)."""
        thread_ts = reply_thread(conversation, reply_to)
        if thread_ts is None:
            return None
        data = await self._call(self.client.conversations_replies(channel=conversation.channel_id, ts=thread_ts,
                                                                 limit=200))
        for message in data.get("messages") or []:
            files = [shared for shared in message.get("files") or [] if shared.get("id")]
            if any(shared.get("name") == filename for shared in files):
                return MessageRef(conversation, ",".join(str(shared["id"]) for shared in files))
        return None

    # -- Slack-only verbs the handlers use ---------------------------------------------------------------

    async def ephemeral(self, channel_id: str, user_id: str, text: str, *,
                        blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> None:
        """A message only ``user_id`` sees (plain text is escaped; ``Mrkdwn`` is sent as is), in
        ``thread_ts``'s thread when given."""
        extra: dict[str, Any] = {"blocks": blocks} if blocks else {}
        if thread_ts:
            extra["thread_ts"] = thread_ts
        await self._call(self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=safe(text),
                                                        parse="none", **extra))

    async def post_blocks(self, conversation: ConversationRef, text: str,
                          blocks: list[dict[str, Any]]) -> MessageRef:
        """Issue 13: a channel message with buttons (an approval request); ``text`` is the fallback."""
        channel = conversation.channel_id

        async def post() -> Response:
            return await self._call(self.client.chat_postMessage(
                channel=channel, text=safe(text), blocks=blocks, thread_ts=conversation.thread_id,
                unfurl_links=False, unfurl_media=False, parse="none"))

        data = await self._joining(channel, post)
        return MessageRef(conversation, str(data["ts"]))

    async def upload_file(self, conversation: ConversationRef, path: Path, *, caption: str,
                          filename: str | None = None, thread_ts: str | None = None) -> MessageRef:
        """Upload one file; the returned ref's ``message_id`` is the Slack file id."""
        name = filename or path.name
        return await self._upload(conversation, [FileToUpload(path, name, name)], caption=caption,
                                  thread_ts=thread_ts)

    async def ensure_member(self, channel_id: str, *, within: float | None = None) -> None:
        """Make sure the bot can post here before anything is queued: join a public channel if needed,
        else raise ``SlackNotInChannel``. With ``within``, a Slack slower than that is
        a retryable ``PlatformError`` (the user is told to try again) rather than a missed deadline."""
        if channel_id in self._member:
            return
        if within is not None:
            try:
                async with asyncio.timeout(within):
                    await self.ensure_member(channel_id)
            except TimeoutError:
                raise PlatformError("Slack did not say in time whether the bot may post here",
                                    code="slack_slow", retryable=True) from None
            return
        data = await self._call(self.client.conversations_info(channel=channel_id))
        channel = data.get("channel") or {}
        if channel.get("is_member") or channel.get("is_im"):
            self._member.add(channel_id)
            return
        if channel.get("is_private") or channel.get("is_mpim") or channel.get("is_group"):
            raise SlackNotInChannel("the bot is not in this private conversation")
        await self._join(channel_id)

    async def is_admin(self, user_id: str) -> bool:
        """Is ``user_id`` a workspace admin or owner (``users.info``, scope ``users:read``)?

        Asked each time rather than cached: it is only needed to change channel defaults, which is rare,
        and a demoted admin must lose the right at once.
        """
        data = await self._call(self.client.users_info(user=user_id))
        user = data.get("user") or {}
        return any(bool(user.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner"))

    async def user_locale(self, user_id: str) -> str | None:
        """``user_id``'s Slack language (``users.info`` with ``include_locale``), e.g. ``zh-CN``; None if unsaid."""
        data = await self._call(self.client.users_info(user=user_id, include_locale=True))
        found = (data.get("user") or {}).get("locale")
        return found if isinstance(found, str) and found else None

    async def file_info(self, file_id: str) -> Response:
        """A file's object as Slack has it now (``files.info``, scope ``files:read``): its ``url_private_download``,
        ``mimetype``, ``name``, ``size``; ``PlatformError`` ``file_not_found`` when it is gone."""
        data = await self._call(self.client.files_info(file=file_id))
        found = data.get("file")
        return found if isinstance(found, dict) else {}

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call(self.client.views_open(trigger_id=trigger_id, view=view))

    async def message_link(self, ref: MessageRef) -> str | None:
        """Issue 13: the message's permalink (``chat.getPermalink``). An uploaded file's ref (``F…``, issue
        14): the permalink of the thread message sharing it (found with ``conversations.replies``), or None
        when Slack does not list that message yet (it shares uploads a moment later) or it is not in a thread."""
        ts = ref.message_id
        if ts.startswith("F"):
            found = await self._file_message(ref)
            if found is None:
                return None
            ts = found
        answer = await self._call(self.client.chat_getPermalink(channel=ref.conversation.channel_id,
                                                                message_ts=ts))
        link = answer.get("permalink")
        return link if isinstance(link, str) else None

    async def _file_message(self, ref: MessageRef) -> str | None:
        """The ts of the thread message that shares the first file of ``ref`` (an upload's ref)."""
        thread_ts = ref.conversation.thread_id
        if thread_ts is None:
            return None
        first = ref.message_id.split(",")[0]
        data = await self._call(self.client.conversations_replies(channel=ref.conversation.channel_id,
                                                                 ts=thread_ts, limit=200))
        for message in data.get("messages") or []:
            if any(shared.get("id") == first for shared in message.get("files") or []):
                return str(message["ts"])
        return None

    async def display_name(self, person: Person) -> str:
        """Issue 14: how a non-pinging text names ``person`` (a ``<@U…>`` in a posted message would ping):
        the profile's display name, else the real name, else the user name (``users.info``, scope
        ``users:read``, asked once per person per process); what the platform told us when Slack cannot say."""
        known = self._names.get(person.user_id)
        if known is not None:
            return known
        fallback = person.name or person.user_id
        try:
            data = await self._call(self.client.users_info(user=person.user_id))
        except PlatformError as exc:
            log.info("no display name for %s (%s); naming them %r", person.user_id, exc.code, fallback)
            if not exc.retryable:
                self._names[person.user_id] = fallback
            return fallback
        user = data.get("user") or {}
        profile = user.get("profile") or {}
        name = next((str(v) for v in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"),
                                      user.get("name")) if v), fallback)
        self._names[person.user_id] = name
        return name

    async def _named(self, view: StatusView) -> StatusView:
        """The view with its requester as one more fact, by display name (never a ping)."""
        if view.requested_by is None:
            return view
        name = await self.display_name(view.requested_by)
        return dataclasses.replace(view, fields=(*view.fields, StatusField(view.requested_label, name)))

    async def _captioned(self, caption: str, requester: Person | None) -> str:
        """The caption, then "requested by <display name>" (issue 14; escaped with the rest: no ping)."""
        if requester is None:
            return caption
        by = self.messages("people.caption_by", who=await self.display_name(requester))
        return f"{caption}\n{by}" if caption else by

    async def notify(self, conversation: ConversationRef, text: str, *, mention: Sequence[str] = ()) -> MessageRef:
        """Issue 13: a plain message; only the ``<@id>`` of the ids in ``mention`` stays a mention."""
        shown = escape(text)
        for user_id in mention:
            shown = shown.replace(f"&lt;@{user_id}&gt;", f"<@{user_id}>")
        channel = conversation.channel_id

        async def post() -> Response:
            return await self._call(self.client.chat_postMessage(
                channel=channel, text=shown, thread_ts=conversation.thread_id, unfurl_links=False,
                unfurl_media=False, parse="none"))  # a written <@U…> still pings; bare names and links don't

        data = await self._joining(channel, post)
        return MessageRef(conversation, str(data["ts"]))

    async def delete_message(self, ref: MessageRef) -> None:
        """Delete a message the bot posted, or the file it uploaded (a delivered video's reference is the
        file's id, ``F…``, and delivered images' their ids joined by commas; a message's is its ``ts``); one
        that is already gone counts as deleted."""
        if ref.message_id.startswith("F"):
            for file_id in ref.message_id.split(","):
                await self.delete_file(file_id)
            return
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

    async def _upload(self, conversation: ConversationRef, files: list[FileToUpload], *, caption: str,
                      thread_ts: str | None) -> MessageRef:
        """``files`` as one message (``adapters.slack.upload``); the ref names every file id."""
        channel = conversation.channel_id

        async def upload() -> Response:
            return await self._call(upload_files(self.client, files, channel=channel, thread_ts=thread_ts,
                                                 initial_comment=safe(caption) if caption else None))

        answer = await self._joining(channel, upload)
        # The file ids (not a message ts) are what identify an upload later, e.g. to delete it.
        ids = ",".join(str(shared.get("id", "")) for shared in answer.get("files") or [] if shared.get("id"))
        return MessageRef(ConversationRef(PLATFORM, channel, conversation.workspace_id, thread_ts), ids)

    async def bot_user(self) -> str:
        """Issue 13 votes: the bot's own user id (its reactions and messages are told apart by it)."""
        return await self._bot_user()

    async def message_at(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Issue 13: the channel's top-level message at ``ts`` (``conversations.history`` bounded to it:
        ``latest`` = ``oldest`` = ``ts``, inclusive), or ``None``."""
        data = await self._call(self.client.conversations_history(channel=channel, latest=ts, oldest=ts,
                                                                  inclusive=True, limit=1))
        for message in data.get("messages") or []:
            if str(message.get("ts")) == ts:
                return dict(message)
        return None

    async def files_at(self, channel: str, ts: str) -> list[str]:
        """Issue 13: the ids of the files shared in the message at ``ts`` (a result's upload, in a thread:
        ``conversations.replies`` answers the thread of any message in it)."""
        data = await self._call(self.client.conversations_replies(channel=channel, ts=ts, limit=FIND_PAGE_SIZE))
        for message in data.get("messages") or []:
            if str(message.get("ts")) == ts:
                return [str(f["id"]) for f in message.get("files") or [] if f.get("id")]
        return []

    async def _bot_user(self) -> str:
        """The bot's own user id (``auth.test``, asked once)."""
        if self._bot_user_id is None:
            data = await self._call(self.client.auth_test())
            self._bot_user_id = str(data.get("user_id") or "")
        return self._bot_user_id

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
            raise SlackNotInChannel(f"cannot join {channel_id}: {exc.code}", http_status=exc.http_status) from exc
        self._member.add(channel_id)


def _status_job(message: Response) -> str | None:
    """The job id a message's metadata names, if it is one of our status messages."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != STATUS_EVENT:
        return None
    job_id = (metadata.get("event_payload") or {}).get("job_id")
    return str(job_id) if job_id else None
