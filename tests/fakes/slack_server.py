"""A local fake of Slack's Web API, honest to what slack_sdk sends (for the Slack adapter's tests).

It serves ``/api/<method>`` on 127.0.0.1 with Slack's shapes: arguments from the query string, a
form-encoded or a JSON body; ``Authorization: Bearer xoxb-…`` checked; answers ``{"ok": true, …}`` or
``{"ok": false, "error": "…"}``. Implemented: ``auth.test``, ``chat.postMessage`` / ``update`` /
``postEphemeral`` / ``delete`` (message ``metadata`` kept), ``conversations.join`` / ``info`` / ``history`` /
``replies`` (``history`` honours ``latest`` / ``oldest`` / ``inclusive``), ``users.info`` (role flags;
``profile.display_name`` from ``display_names``; with ``include_locale`` the person's ``locales``, else
"en-US"), ``chat.getPermalink`` (a message's, or an upload's thread message's), ``files.getUploadURLExternal``
(which hands out an absolute upload URL on this server), the upload itself, ``files.completeUploadExternal``,
``files.delete``, ``files.info``, ``views.open``, and ``response_url`` posts. ``reaction_event(user, message,
reaction)`` builds the Events API callback of a person's reaction (issue 13).

Files people posted (``post_user_message(channel, text, files=[…])`` with files made by
``files.add(name, data, mimetype)``) live in ``tests.fakes.slack_files``: their ``url_private_download``
is on this server and serves the bytes only with the bot token (else a 302 to a sign-in page, as
Slack does); ``message_action(…)`` builds the payload a message shortcut on such a message sends.

The upload URL reads its body as a stream, with no size cap (real Slack takes up to 1 GB a file; the
``/api`` routes keep aiohttp's 1 MB one), and keeps only what a test asks about — the size, the first
bytes and a SHA-256 — so a 50 MB upload costs this fake no memory. A body whose size is not the
``length`` declared in step one is refused (HTTP 400) and leaves the file incomplete.

Channels: ``C_PUBLIC`` (public, bot not a member until it joins), ``C_MEMBER`` (public, bot a member),
``G_PRIVATE`` (private, bot not a member; Slack hides it: ``channel_not_found``). Users: ``U_ADMIN``
(workspace admin), ``U_OWNER`` (owner); anyone else is a plain member. Failures are queued per
method with ``fail(method, ...)``: a 429 ``ratelimited`` with ``Retry-After``, a 5xx, or any error (e.g.
``fail("files.delete", "cant_delete_file")``). ``delay(method, seconds)`` lets a call take effect at once
but answer late — the window in which a bot can be killed after Slack did something and before it
heard so.
Everything the bot did is kept in ``calls`` and in the typed records below for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_files import SlackFiles

TOKEN = "xoxb-test-token"
TEAM = "T0TEST"
BOT_USER = "U0WANBOT"


@dataclass
class Channel:
    id: str
    private: bool = False
    member: bool = False


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    deleted: bool = False
    #: The text as posted, then after each ``chat.update``.
    history: list[str] = field(default_factory=list)
    #: ``chat.postMessage``'s ``metadata`` (``event_type`` + ``event_payload``), shown by ``conversations.*``
    #: with ``include_all_metadata``.
    metadata: dict[str, Any] | None = None
    user: str = BOT_USER
    #: Files a person posted with the message (Slack's file objects), for message shortcuts.
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    #: Bytes received by an upload of the declared length (``None``: nothing arrived whole yet).
    received: int | None = None
    head: bytes = b""
    #: SHA-256 (hex) of what arrived, when the fake keeps digests.
    sha256: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False
    deleted: bool = False
    #: Files completed in one ``files.completeUploadExternal`` call share one message (its first file's id),
    #: posted at ``ts`` (what a reaction on it names).
    message_of: str | None = None
    ts: str | None = None


@dataclass
class Failure:
    status: int
    error: str
    retry_after: int | None = None


@dataclass
class Call:
    method: str
    http: str
    args: dict[str, Any]


@dataclass
class FakeSlack:
    channels: dict[str, Channel] = field(default_factory=lambda: {
        "C_PUBLIC": Channel("C_PUBLIC"),
        "C_MEMBER": Channel("C_MEMBER", member=True),
        "G_PRIVATE": Channel("G_PRIVATE", private=True),
    })
    #: user id → the role flags ``users.info`` reports (absent ids are plain members).
    roles: dict[str, dict[str, bool]] = field(default_factory=lambda: {
        "U_ADMIN": {"is_admin": True},
        "U_OWNER": {"is_admin": True, "is_owner": True},
    })
    #: Issue 14: user id → the profile's ``display_name`` ``users.info`` reports (absent: empty, as Slack's is).
    display_names: dict[str, str] = field(default_factory=dict)
    #: user id → the language ``users.info`` reports with ``include_locale`` (absent ids: "en-US", as Slack).
    locales: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    #: Reactions people made (``reaction_event``): ("add" | "remove", user, message ts, short name).
    reactions: list[tuple[str, str, str, str]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    #: method → seconds to wait before answering (after the effect), for the next calls (see ``delay``).
    delays: dict[str, list[float]] = field(default_factory=dict)
    #: Socket Mode: open websockets, and every frame the app sent back (envelope acks).
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_frames: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""
    #: Seconds the upload URL waits before reading the bytes (to catch a bot mid-upload); uploads begun.
    upload_delay: float = 0.0
    uploads_started: int = 0
    #: Hash every upload (off in the delivery benchmark, where hashing 1 GB would cost the fake's CPU).
    keep_digests: bool = True
    #: Keep every whole upload's bytes in ``bodies`` by file id (the chaos tests read the sandbox's mark).
    keep_bodies: bool = False
    bodies: dict[str, bytes] = field(default_factory=dict)
    #: Files people posted, and the private file host that serves them (``tests.fakes.slack_files``).
    files: SlackFiles = field(default_factory=lambda: SlackFiles(TOKEN, TEAM))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        self.files.mount(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.origin = f"http://{host}:{port}"
        self.files.origin = self.origin
        return self.api_url

    async def close(self) -> None:
        self._closing.set()
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.origin}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.origin}/respond/{key}"

    # -- scripting and assertions ------------------------------------------------------------------------

    def fail(self, method: str, error: str = "ratelimited", *, status: int = 200, retry_after: int | None = None,
             times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail (``ratelimited`` defaults to HTTP 429)."""
        if error == "ratelimited" and status == 200:
            status = 429
        self.failures.setdefault(method, []).extend(Failure(status, error, retry_after) for _ in range(times))

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` take effect at once and answer ``seconds`` later."""
        self.delays.setdefault(method, []).extend(seconds for _ in range(times))

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def updates_of(self, ts: str) -> list[dict[str, Any]]:
        return [u for u in self.updates if u["ts"] == ts]

    def posts(self) -> list[Message]:
        return [m for m in self.messages.values() if m.thread_ts is None and m.user == BOT_USER]

    def post_user_message(self, channel: str, text: str, *, files: Sequence[Any] = (),
                          user: str = "U1", thread_ts: str | None = None) -> Message:
        """A message a person posted (with ``files.add``'s files): what a message shortcut acts on."""
        ts = self._new_ts()
        shown = [f.shown() if hasattr(f, "shown") else dict(f) for f in files]
        self.messages[ts] = Message(channel, ts, text, [], thread_ts, history=[text], user=user, files=shown)
        return self.messages[ts]

    def reaction_event(self, user: str, message: Message, reaction: str = "+1", *, added: bool = True,
                       team: str = TEAM) -> dict[str, Any]:
        """The Events API callback Slack sends when ``user`` adds (or removes) ``reaction`` (a short name:
        ``+1``, ``white_check_mark``, ``+1::skin-tone-2``) on ``message``: ``item`` names the channel and the
        ``ts``, ``item_user`` who posted it. Recorded in ``reactions``; the test posts it to the app."""
        self.reactions.append(("add" if added else "remove", user, message.ts, reaction))
        n = next(self._ids)
        return {
            "token": "legacy-verification-token", "team_id": team, "api_app_id": "A0WANBOT",
            "event": {"type": "reaction_added" if added else "reaction_removed", "user": user, "reaction": reaction,
                      "item_user": message.user, "item": {"type": "message", "channel": message.channel,
                                                          "ts": message.ts},
                      "event_ts": self._new_ts()},
            "type": "event_callback", "event_id": f"Ev{n:08d}", "event_time": 1_700_000_000 + n,
            "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}],
        }

    def shared_message(self, file_id: str) -> Message:
        """The message an upload was shared in (its channel, thread and ``ts``), to react on."""
        upload = self.uploads[file_id]
        assert upload.completed and upload.ts is not None and upload.channel_id is not None
        return Message(upload.channel_id, upload.ts, upload.initial_comment or "", [], upload.thread_ts)

    def message_action(self, message: Message, callback_id: str, *, user: str = "U1", team: str = TEAM,
                       trigger_id: str | None = None) -> dict[str, Any]:
        """The interactivity payload Slack sends when ``user`` picks a message shortcut on ``message``."""
        shown: dict[str, Any] = {"type": "message", "user": message.user, "ts": message.ts, "text": message.text}
        if message.files:
            shown["files"] = message.files
            shown["upload"] = False
        if message.thread_ts is not None:
            shown["thread_ts"] = message.thread_ts
        n = next(self._ids)
        return {
            "type": "message_action", "token": "legacy", "action_ts": f"{1_700_000_000 + n}.{n:06d}",
            "team": {"id": team, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "channel": {"id": message.channel, "name": message.channel.lower()},
            "is_enterprise_install": False, "enterprise": None, "callback_id": callback_id,
            "trigger_id": trigger_id or f"trigger-msg-{n}", "response_url": self.response_url(f"msg-{user}"),
            "message_ts": message.ts, "message": shown,
        }

    # -- the Web API ---------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        self.calls.append(Call(method, request.method, args))
        auth = request.headers.get("Authorization", "")
        # Socket Mode's connection call takes the app-level token; everything else the bot token.
        valid = auth.startswith("Bearer xapp-") if method == "apps.connections.open" else auth == f"Bearer {TOKEN}"
        if not valid:
            return _fail("invalid_auth")
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            if failure.status >= 500:
                return web.Response(status=failure.status, text="<html>upstream error</html>",
                                    content_type="text/html", headers=headers)
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return _fail("unknown_method")
        answer: dict[str, Any] | str = handler(args)
        pending = self.delays.get(method)
        if pending:
            # Cut short by ``close()``: a killed bot never reads this answer, and the test must not wait for it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), pending.pop(0))
        if isinstance(answer, str):
            return _fail(answer)
        return web.json_response({"ok": True, **answer})

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://fake.slack.com/", "team": "Fake", "user": "wanbot", "team_id": TEAM,
                "user_id": BOT_USER, "bot_id": "B0WANBOT", "is_enterprise_install": False}

    def _channel_for_post(self, channel_id: str) -> Channel | str:
        channel = self.channels.get(channel_id)
        if channel is None or (channel.private and not channel.member):
            return "channel_not_found"
        if not channel.member:
            return "not_in_channel"
        return channel

    def _new_ts(self) -> str:
        n = next(self._ids)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self._channel_for_post(str(args.get("channel")))
        if isinstance(channel, str):
            return channel
        ts = self._new_ts()
        blocks = _json_arg(args.get("blocks")) or []
        text = str(args.get("text", ""))
        metadata = _json_arg(args.get("metadata"))
        self.messages[ts] = Message(channel.id, ts, text, blocks, args.get("thread_ts"), history=[text],
                                    metadata=metadata if isinstance(metadata, dict) else None)
        return {"channel": channel.id, "ts": ts, "message": {"text": args.get("text"), "ts": ts}}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any] | str:
        message = self.messages.get(str(args.get("ts")))
        if message is None or message.channel != args.get("channel") or message.deleted:
            return "message_not_found"
        message.text = str(args.get("text", ""))
        message.blocks = _json_arg(args.get("blocks")) or []
        message.history.append(message.text)
        self.updates.append({"channel": message.channel, "ts": message.ts, "text": message.text,
                             "blocks": message.blocks})
        return {"channel": message.channel, "ts": message.ts}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self._channel_for_post(str(args.get("channel")))
        if isinstance(channel, str):
            return channel
        self.ephemerals.append({"channel": channel.id, "user": args.get("user"), "text": args.get("text"),
                                "blocks": _json_arg(args.get("blocks")) or [], "thread_ts": args.get("thread_ts")})
        return {"message_ts": self._new_ts()}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any] | str:
        message = self.messages.get(str(args.get("ts")))
        if message is None or message.deleted:
            return "message_not_found"
        message.deleted = True
        return {"channel": message.channel, "ts": message.ts}

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any] | str:
        """Issue 13 (history links): ``{"channel", "permalink"}`` as Slack answers, the ts without its dot."""
        message = self.messages.get(str(args.get("message_ts")))
        if message is None:
            return self._upload_permalink(str(args.get("channel")), str(args.get("message_ts")))
        if message.deleted or message.channel != str(args.get("channel")):
            return "message_not_found"
        return {"channel": message.channel,
                "permalink": f"https://fake.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"}

    def _upload_permalink(self, channel: str, ts: str) -> dict[str, Any] | str:
        """Issue 14: the permalink of the thread message an upload shared its files in (``replies`` lists it
        at the ts it was shared at, else as ``<thread_ts>.<first file id>``), with ``thread_ts`` as Slack's
        reply permalinks carry it."""
        for upload in self.uploads.values():
            if (upload.completed and not upload.deleted and upload.channel_id == channel and upload.thread_ts
                    and ts in (upload.ts, f"{upload.thread_ts}.{upload.message_of or upload.file_id}")):
                return {"channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/"
                        f"p{ts.replace('.', '')}?thread_ts={upload.thread_ts}"}
        return "message_not_found"

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None or (channel.private and not channel.member):
            return "channel_not_found"
        return {"channel": {"id": channel.id, "is_channel": not channel.private, "is_group": channel.private,
                            "is_private": channel.private, "is_im": False, "is_member": channel.member}}

    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None:
            return "channel_not_found"
        if channel.private:
            return "method_not_supported_for_channel_type"
        channel.member = True
        return {"channel": {"id": channel.id, "is_member": True}}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        user_id = str(args.get("user", ""))
        if not user_id.startswith("U"):
            return "user_not_found"
        flags = {"is_admin": False, "is_owner": False, "is_primary_owner": False, **self.roles.get(user_id, {})}
        profile = {"display_name": self.display_names.get(user_id, ""), "real_name": ""}
        user = {"id": user_id, "team_id": TEAM, "name": user_id.lower(), "deleted": False, "is_bot": False,
                "profile": profile, **flags}
        if str(args.get("include_locale", "")).lower() in ("true", "1"):
            user["locale"] = self.locales.get(user_id, "en-US")
        return {"user": user}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any] | str:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return "invalid_arguments"
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = Upload(file_id, str(args["filename"]), int(args["length"]))
        return {"upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any] | str:
        files = _json_arg(args.get("files")) or []
        channel_id = args.get("channel_id")
        if channel_id is not None:
            channel = self._channel_for_post(str(channel_id))
            if isinstance(channel, str):
                return channel
        out = []
        message_of = str(files[0].get("id")) if files else None
        shared_at = self._new_ts() if channel_id is not None else None
        for item in files:
            upload = self.uploads.get(str(item.get("id")))
            if upload is None or upload.received is None:
                return "file_not_found"
            upload.completed = True
            upload.message_of = message_of
            upload.ts = shared_at
            upload.channel_id = channel_id
            upload.thread_ts = args.get("thread_ts")
            upload.initial_comment = args.get("initial_comment")
            out.append({"id": upload.file_id, "name": upload.filename, "title": item.get("title"),
                        "size": upload.received})
        return {"files": out}

    def _shown(self, message: Message, args: dict[str, Any]) -> dict[str, Any]:
        """A message as ``conversations.history``/``replies`` show it."""
        shown: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks,
                                 "user": message.user}
        if message.user == BOT_USER:
            shown["bot_id"] = "B0WANBOT"
        if message.thread_ts is not None:
            shown["thread_ts"] = message.thread_ts
        if message.files:
            shown["files"] = message.files
        if message.metadata is not None and str(args.get("include_all_metadata", "")).lower() in ("1", "true"):
            shown["metadata"] = message.metadata
        return shown

    def _readable(self, channel_id: str) -> Channel | str:
        channel = self.channels.get(channel_id)
        if channel is None or (channel.private and not channel.member):
            return "channel_not_found"  # Slack hides private channels from non-members
        return channel

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any] | str:
        """Top-level messages, newest first, ``limit`` a page, paged with an opaque ``cursor``."""
        channel = self._readable(str(args.get("channel", "")))
        if isinstance(channel, str):
            return channel
        listed = sorted((m for m in self.messages.values()
                         if m.channel == channel.id and m.thread_ts is None and not m.deleted),
                        key=lambda m: float(m.ts), reverse=True)
        # ``latest`` / ``oldest`` bound the window (exclusive unless ``inclusive``), as Slack's do.
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        if args.get("latest"):
            latest = float(str(args["latest"]))
            listed = [m for m in listed if float(m.ts) < latest or (inclusive and float(m.ts) == latest)]
        if args.get("oldest"):
            oldest = float(str(args["oldest"]))
            listed = [m for m in listed if float(m.ts) > oldest or (inclusive and float(m.ts) == oldest)]
        start = int(str(args.get("cursor") or "0"))
        limit = max(1, min(int(str(args.get("limit") or "100")), 999))
        page = listed[start:start + limit]
        more = start + limit < len(listed)
        return {"messages": [self._shown(m, args) for m in page], "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any] | str:
        """The thread under ``ts``: the parent, then its replies and a message per upload call completed into
        it (holding every file of that call)."""
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        # ``ts`` may name a message in the thread (a reply, a shared file): its thread is answered.
        reply = self.messages.get(ts)
        if reply is not None and reply.thread_ts is not None:
            ts = reply.thread_ts
        at = next((u for u in self.uploads.values() if u.ts == ts and u.thread_ts and u.completed), None)
        if at is not None and at.thread_ts is not None:
            ts = at.thread_ts
        parent = self.messages.get(ts)
        if parent is None or parent.channel != channel:
            return "thread_not_found"
        replies: list[dict[str, Any]] = [self._shown(parent, args)]
        replies += [self._shown(m, args) for m in sorted(self.messages.values(), key=lambda m: float(m.ts))
                    if m.channel == channel and m.thread_ts == ts and not m.deleted]
        shared: dict[str, list[Upload]] = {}
        for upload in self.uploads.values():
            if upload.completed and not upload.deleted and upload.channel_id == channel and upload.thread_ts == ts:
                shared.setdefault(upload.message_of or upload.file_id, []).append(upload)
        for first, uploads in shared.items():
            replies.append({"ts": uploads[0].ts or f"{ts}.{first}", "thread_ts": ts, "user": BOT_USER,
                            "files": [{"id": u.file_id, "name": u.filename} for u in uploads]})
        return {"messages": replies, "has_more": False}

    def _files_delete(self, args: dict[str, Any]) -> dict[str, Any] | str:
        upload = self.uploads.get(str(args.get("file")))
        if upload is None or upload.deleted:
            return "file_not_found"
        upload.deleted = True
        return {}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        return self.files.info(args)

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any] | str:
        if not args.get("trigger_id"):
            return "invalid_trigger_id"
        view = _json_arg(args.get("view")) or {}
        self.views.append({"trigger_id": args["trigger_id"], "view": view})
        return {"view": {"id": f"V{next(self._ids)}", **view}}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.origin.replace("http://", "ws://") + "/socket"}

    # -- outside /api ------------------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found")
        queued = self.failures.get("upload")
        if queued:
            failure = queued.pop(0)
            return web.Response(status=failure.status, text=failure.error)
        self.uploads_started += 1
        if self.upload_delay:
            await asyncio.sleep(self.upload_delay)
        size, head, kept = 0, b"", bytearray()
        digest = hashlib.sha256() if self.keep_digests else None
        async for chunk in request.content.iter_any():
            if len(head) < 12:
                head += chunk[:12 - len(head)]
            if digest is not None:
                digest.update(chunk)
            if self.keep_bodies:
                kept += chunk
            size += len(chunk)
        if size != upload.length:
            return web.Response(status=400, text=f"length mismatch: declared {upload.length}, got {size}")
        upload.received, upload.head = size, head
        upload.sha256 = digest.hexdigest() if digest is not None else None
        if self.keep_bodies:
            self.bodies[upload.file_id] = bytes(kept)
        return web.Response(text=f"OK - {size}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0WANBOT"}})
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                self.socket_frames.append(json.loads(frame.data))
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push a Socket Mode envelope (``slash_commands``, ``interactive``) to the connected app."""
        envelope_id = f"env-{next(self._ids)}"
        await self.sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                          "accepts_response_payload": kind != "events_api"})
        return envelope_id

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append({"key": request.match_info["key"], **(await request.json())})
        return web.Response(text="ok")


def _fail(error: str, status: int = 200) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _json_arg(value: Any) -> Any:
    """Arguments like ``blocks``/``files``/``view`` come as JSON text in forms and as objects in JSON."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value
