"""The REST routes discord.py calls, over the fake's state (``tests.fakes.discord_server``).

Faithful where discord.py cares: JSON answers carry ``Content-Type: application/json`` exactly, errors
are ``{"message", "code"}`` with Discord's codes (10008 unknown message, 10062 unknown interaction,
40005 entity too large, 40060 already acknowledged, 50027 invalid webhook token), multipart uploads
are read part by part (``payload_json`` + ``files[n]``) and measured, and a 429 would carry ``Via``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from tests.fakes.discord_fake.cdn import guess_type
from tests.fakes.discord_fake.payloads import Attachment, iso_now, snowflake

if TYPE_CHECKING:
    from tests.fakes.discord_server import FakeDiscord

API = "/api/v10"
#: Bytes per read of an uploaded file. aiohttp's default part read is 8 KiB, and each read scans for the
#: boundary: a 50 MB upload took the fake ~70 ms more than the bytes themselves (bench/deliveries.md,
#: "After (session 3)") — time real Discord spends on its own machines, not the bot's.
UPLOAD_READ = 1024 * 1024


def answer(data: Any, status: int = 200) -> web.Response:
    if status == 204:
        return web.Response(status=204)
    # Exactly "application/json": discord.py parses nothing else (aiohttp's json_response adds a charset).
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", "Via": "1.1 google"})


def error(status: int, code: int, message: str) -> web.Response:
    return answer({"message": message, "code": code}, status)


class Body:
    """A request body: the JSON payload and any uploaded files (name, size, type)."""

    def __init__(self, payload: dict[str, Any], files: list[Attachment]) -> None:
        self.payload = payload
        self.files = files

    @classmethod
    async def read(cls, request: web.Request) -> Body:
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files: list[Attachment] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):  # nested multipart: not used by discord.py
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None:
                    # discord.py labels every file application/octet-stream; Discord detects the type.
                    sent = part.headers.get("Content-Type")
                    kind = guess_type(part.filename) if sent in (None, "application/octet-stream") else sent
                    keep = bool(kind and kind.startswith("image/"))  # images may be fetched back from the CDN
                    size, chunks = 0, []
                    while chunk := await part.read_chunk(UPLOAD_READ):
                        size += len(chunk)
                        if keep:
                            chunks.append(chunk)
                    files.append(Attachment(snowflake(), part.filename, size, kind or sent,
                                            data=b"".join(chunks) if keep else None))
            return cls(payload, files)
        if request.can_read_body:
            return cls(await request.json(), [])
        return cls({}, [])


class Rest:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{API}/users/@me", self.me)
        r.add_get(f"{API}/oauth2/applications/@me", self.application)
        r.add_get(f"{API}/gateway/bot", self.gateway_bot)
        r.add_get(f"{API}/gateway", self.gateway_bot)
        r.add_put(f"{API}/applications/{{app}}/commands", self.sync_commands)
        r.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self.sync_commands)
        r.add_post(f"{API}/interactions/{{iid}}/{{token}}/callback", self.callback)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self.followup)
        r.add_route("*", f"{API}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self.webhook_message)
        r.add_post(f"{API}/channels/{{cid}}/messages", self.create_message)
        r.add_get(f"{API}/channels/{{cid}}/messages", self.channel_history)
        r.add_route("*", f"{API}/channels/{{cid}}/messages/{{mid}}", self.channel_message)
        r.add_post(f"{API}/channels/{{cid}}/messages/{{mid}}/threads", self.start_thread)
        self.fake.cdn.add_to(app)
        r.add_route("*", "/{tail:.*}", self.unknown)

    # -- identity and commands ---------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.fake.token}"

    async def me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        return answer(self.fake.bot.json())

    async def application(self, request: web.Request) -> web.Response:
        f = self.fake
        return answer({"id": str(f.application_id), "name": "wanbot", "icon": None, "description": "",
                       "bot_public": True, "bot_require_code_grant": False, "owner": f.owner.json(),
                       "verify_key": "00" * 32, "flags": 0, "team": None, "summary": "",
                       "interactions_endpoint_url": None, "bot": f.bot.json()})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        return answer({"url": self.fake.gateway_url, "shards": 1,
                       "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                               "max_concurrency": 1}})

    async def sync_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        commands = await request.json()
        guild = request.match_info.get("guild")
        clash = _choices_and_autocomplete(commands)
        if clash:  # Discord refuses the whole list, as it does
            return error(400, 50035, f"Invalid Form Body: {clash} has both choices and autocomplete")
        out = []
        for command in commands:
            # Discord answers every command with a description: "" for the context-menu ones (types 2, 3).
            saved = {"description": "", **command, "id": str(snowflake()),
                     "application_id": str(self.fake.application_id), "version": str(snowflake()),
                     "default_member_permissions": None, "dm_permission": True}
            if guild:
                saved["guild_id"] = guild
            out.append(saved)
        self.fake.commands[int(guild) if guild else None] = out
        return answer(out)

    # -- interactions ------------------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        f = self.fake
        inter = f.interactions.get(int(request.match_info["iid"]))
        if inter is None or inter.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        body = await Body.read(request)
        elapsed = time.monotonic() - inter.created_at
        kind = int(body.payload.get("type", 0))
        f.callbacks.append(f.Callback(inter.id, kind, body.payload.get("data") or {}, elapsed))
        if elapsed > f.interaction_deadline:
            return error(404, 10062, "Unknown interaction")
        if inter.responded:
            return error(400, 40060, "Interaction has already been acknowledged.")
        too_big = f.check_upload(inter.channel_id, body.files)
        if too_big is not None:
            return too_big
        data = body.payload.get("data") or {}
        if (kind == 8) != (inter.type == 4):  # autocomplete answers only, and only, an autocomplete interaction
            return error(400, 50035, "Invalid Form Body: type (not valid for this interaction)")
        if kind == 8 and not _valid_choices(data.get("choices")):
            return error(400, 50035, "Invalid Form Body: choices")
        inter.responded = True
        if kind in (4, 7):
            f.record_mentions("callback", data)
        result: dict[str, Any] = {"interaction": {"id": str(inter.id), "type": inter.type}}
        if kind in (4, 5):  # a message (5: "thinking…" until edited through the token)
            flags = int(data.get("flags") or 0) | (128 if kind == 5 else 0)
            msg = f.new_message(inter.channel_id, data, body.files, via="callback", flags=flags,
                                interaction_id=inter.id)
            inter.message_id = msg.id
            result["interaction"].update(response_message_id=str(msg.id), response_message_loading=kind == 5,
                                         response_message_ephemeral=msg.ephemeral)
            result["resource"] = {"type": kind, "message": msg.json()}
            if f.hold_callbacks is not None:
                await f.hold_callbacks.wait()  # the message exists; its answer is not sent yet
            if f.lose_callback_answers > 0:
                f.lose_callback_answers -= 1
                assert request.transport is not None
                request.transport.abort()  # the message exists; the answer never arrives
                return answer(result)
        elif kind == 7 and inter.source_message_id is not None:
            f.edit_message(inter.source_message_id, data, body.files, route="callback")
        elif kind == 9:
            inter.modal = data
        return answer(result)

    def _token_interaction(self, request: web.Request) -> Any:
        f = self.fake
        token = request.match_info["token"]
        inter = next((i for i in f.interactions.values() if i.token == token), None)
        if inter is None or time.monotonic() - inter.created_at > f.token_ttl or inter.token_expired:
            return None
        return inter

    async def followup(self, request: web.Request) -> web.Response:
        inter = self._token_interaction(request)
        f = self.fake
        if inter is None:
            return error(401, 50027, "Invalid Webhook Token")
        body = await Body.read(request)
        too_big = f.check_upload(inter.channel_id, body.files)
        if too_big is not None:
            return too_big
        f.record_mentions("followup", body.payload)
        msg = f.new_message(inter.channel_id, body.payload, body.files, via="webhook",
                            flags=int(body.payload.get("flags") or 0), interaction_id=inter.id)
        return answer(msg.json())

    async def webhook_message(self, request: web.Request) -> web.Response:
        f = self.fake
        inter = self._token_interaction(request)
        if inter is None:
            return error(401, 50027, "Invalid Webhook Token")
        raw = request.match_info["mid"]
        mid = inter.message_id if raw == "@original" else int(raw)
        msg = f.messages.get(mid) if mid is not None else None
        if msg is None or msg.deleted:
            return error(404, 10008, "Unknown Message")
        if request.method == "DELETE":
            f.delete_message(msg.id)
            return answer(None, 204)
        if request.method == "PATCH":
            body = await Body.read(request)
            too_big = f.check_upload(msg.channel_id, body.files)
            if too_big is not None:
                return too_big
            f.record_mentions("webhook edit", body.payload)
            msg.flags &= ~128  # no longer "thinking"
            f.edit_message(msg.id, body.payload, body.files, route="webhook")
        return answer(msg.json())

    # -- channel messages (the bot token) ----------------------------------------------------------------

    async def create_message(self, request: web.Request) -> web.Response:
        f = self.fake
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        cid = int(request.match_info["cid"])
        if cid not in f.channel_guild and cid not in f.dm_channels:
            return error(404, 10003, "Unknown Channel")
        body = await Body.read(request)
        if body.files and f.hold_uploads is not None:
            f.uploads_held += 1
            try:
                await f.hold_uploads.wait()
            finally:
                f.uploads_held -= 1
        allowed, limits = f.take_message_slot(cid)
        if not allowed:
            retry = float(limits["X-RateLimit-Reset-After"])
            refused = answer({"message": "You are being rate limited.", "retry_after": retry, "global": False}, 429)
            refused.headers.update(limits)
            return refused
        f.record_mentions("channel", body.payload)
        too_big = f.check_upload(cid, body.files)
        if too_big is not None:
            return too_big
        reference = body.payload.get("message_reference") or {}
        ref = int(reference["message_id"]) if reference.get("message_id") else None
        if ref is not None:
            # A reply must name a live message of this channel; otherwise Discord refuses, or with
            # fail_if_not_exists=false sends it as a plain message.
            target = f.messages.get(ref)
            in_channel = int(reference.get("channel_id") or cid) == cid
            if target is None or target.deleted or target.channel_id != cid or not in_channel:
                if reference.get("fail_if_not_exists", True):
                    return error(400, 50035, "Invalid Form Body: Unknown message")
                ref = None
        msg = f.new_message(cid, body.payload, body.files, via="channel", reference=ref)
        created = answer(msg.json())
        created.headers.update(limits)
        return created

    async def channel_history(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages?before=|after=&limit=``: newest first, as Discord answers."""
        f = self.fake
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        cid = int(request.match_info["cid"])
        after = int(request.query.get("after", 0))
        before = int(request.query.get("before", 0)) or None
        limit = min(100, int(request.query.get("limit", 50)))
        found = [m for m in f.messages.values()
                 if m.channel_id == cid and m.id > after and (before is None or m.id < before)
                 and not m.deleted and not m.ephemeral]
        found.sort(key=lambda m: m.id, reverse=True)
        return answer([m.json() for m in found[:limit]])

    async def channel_message(self, request: web.Request) -> web.Response:
        f = self.fake
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        msg = f.messages.get(int(request.match_info["mid"]))
        # Ephemeral messages exist only for their viewer: the bot cannot reach them by channel and id.
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != int(request.match_info["cid"]):
            return error(404, 10008, "Unknown Message")
        if request.method == "DELETE":
            f.delete_message(msg.id)
            return answer(None, 204)
        if request.method == "PATCH":
            body = await Body.read(request)
            f.record_mentions("channel edit", body.payload)
            f.edit_message(msg.id, body.payload, body.files, route="channel")
        return answer(msg.json())

    async def start_thread(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages/{id}/threads``: a public thread started on a message, as Discord does
        it: the thread has the message's id, the channel as its parent, and the message gains the
        HAS_THREAD flag. Refused as Discord refuses: 403 / 50013 without the permission (``refuse_threads``),
        50003 in a DM, 50024 in a thread, 160004 a second time, 10008 for a message not in that channel."""
        f = self.fake
        if not self._authorized(request):
            return error(401, 0, "401: Unauthorized")
        cid, mid = int(request.match_info["cid"]), int(request.match_info["mid"])
        payload = await request.json()
        if cid in f.dm_channels:
            return error(400, 50003, "Cannot execute action on a DM channel")
        if cid not in f.channel_guild:
            return error(404, 10003, "Unknown Channel")
        guild = f.guilds[f.channel_guild[cid]]
        if cid in guild.threads:
            return error(400, 50024, "Cannot execute action on this channel type")
        if f.refuse_threads:
            return error(403, 50013, "Missing Permissions")
        msg = f.messages.get(mid)
        if msg is None or msg.deleted or msg.channel_id != cid:
            return error(404, 10008, "Unknown Message")
        name = str(payload.get("name") or "")
        if not 1 <= len(name) <= 100:
            return error(400, 50035, "Invalid Form Body: name must be between 1 and 100 in length.")
        if mid in guild.threads:
            return error(400, 160004, "A thread has already been created for this message")
        guild.threads[mid] = cid
        guild.thread_names[mid] = name
        f.channel_guild[mid] = guild.id
        msg.flags |= 32  # HAS_THREAD
        f.threads_started.append((cid, mid, name))
        return answer({**guild.thread_json(mid, f.bot.id), "message_count": 0,
                       "member": {"id": str(mid), "user_id": str(f.bot.id), "join_timestamp": iso_now(),
                                  "flags": 0}}, 201)

    async def unknown(self, request: web.Request) -> web.Response:
        self.fake.unknown_routes.append(f"{request.method} {request.path}")
        return error(404, 0, "404: Not Found")



def _choices_and_autocomplete(commands: list[dict[str, Any]]) -> str | None:
    """The first option (as ``command sub option``) registered with both ``choices`` and ``autocomplete``."""

    def walk(options: list[dict[str, Any]], path: str) -> str | None:
        for option in options:
            here = f"{path} {option['name']}".strip()
            if option.get("autocomplete") and option.get("choices"):
                return here
            found = walk(option.get("options") or [], here)
            if found:
                return found
        return None

    for command in commands:
        found = walk(command.get("options") or [], command["name"])
        if found:
            return found
    return None


def _valid_choices(choices: Any) -> bool:
    """An autocomplete answer as Discord takes it: at most 25 choices, names of 1 to 100 characters."""
    return isinstance(choices, list) and len(choices) <= 25 and all(
        isinstance(c, dict) and 1 <= len(str(c.get("name", ""))) <= 100 and "value" in c for c in choices)
