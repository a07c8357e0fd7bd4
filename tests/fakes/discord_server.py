"""A local fake Discord for end-to-end tests: the REST API and gateway the real discord.py client uses.

::

    async with FakeDiscord() as fake:                     # listens on 127.0.0.1, an ephemeral port
        settings = Settings(discord_token=fake.token, discord_api_base=fake.api_base, ...)
        ...                                               # run wanbot's Discord client against it
        inter = await fake.slash(fake.alice, "video", prompt="a fox")
        await fake.wait_for(lambda: fake.response_to(inter) is not None)

State a test asserts on: ``callbacks`` (every interaction callback with its delay), ``messages`` (by id,
with their current embeds, components and attachments), ``edits`` (every edit, by which route),
``uploads`` (real byte sizes), ``requests`` (method, path, status of every REST call), ``gateway_log``.
``mentions`` records the ``allowed_mentions`` of every request that creates or edits a message (by any
route), so a test can check that nothing was ever allowed to ping.
Knobs: ``interaction_deadline`` (3 s), ``token_ttl`` (15 min; ``expire_tokens()`` ends them now), a
guild's ``premium_tier`` and ``enforced_upload_limit`` (413 / 40005 above it); ``hold_callbacks`` (an
event: an interaction response makes its message, then waits for it before answering — a process can
die in between) and ``lose_callback_answers`` (that many responses make their message, then the
connection drops without an answer); ``message_rate`` (``(limit, seconds)``: channel message posts
carry Discord's ``X-RateLimit-*`` headers for that per-channel window and get a 429 past it; without it
there are none, and discord.py then sends one request at a time per channel and route); ``hold_uploads``
(an event: a channel post with files, its body read, waits for it before answering; ``uploads_held``
counts those waiting). Places: ``add_guild()`` (another server; before the bot connects),
``add_thread(parent)`` and ``dm_channel()``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.discord_fake.gateway import Gateway
from tests.fakes.discord_fake.payloads import Attachment, Guild, Message, User, member_json, snowflake
from tests.fakes.discord_fake.rest import API, Rest, error

#: Permission bits the tests use.
MANAGE_MESSAGES = 1 << 13
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)  # view, send, …


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    user: User
    channel_id: int
    guild_id: int | None
    created_at: float = field(default_factory=time.monotonic)
    responded: bool = False
    #: The message the response created (type 4/5 callbacks).
    message_id: int | None = None
    #: The message whose button was clicked.
    source_message_id: int | None = None
    #: The modal sent in response (type 9), as Discord received it.
    modal: dict[str, Any] | None = None
    token_expired: bool = False


class FakeDiscord:
    @dataclass
    class Callback:
        interaction_id: int
        type: int
        data: dict[str, Any]
        #: Seconds from the dispatch of the interaction to the callback's arrival.
        elapsed: float

    @dataclass
    class Edit:
        message_id: int
        route: str
        payload: dict[str, Any]

    @dataclass
    class Upload:
        message_id: int
        channel_id: int
        filename: str
        size: int
        reply_to: int | None

    def __init__(self, *, interaction_deadline: float = 3.0, token_ttl: float = 15 * 60,
                 premium_tier: int = 0, message_rate: tuple[int, float] | None = None) -> None:
        self.token = "fake-bot-token." + secrets.token_hex(8)
        self.application_id = snowflake()
        self.bot = User(self.application_id, "wanbot", bot=True)
        self.owner = User(snowflake(), "owner")
        self.alice = User(snowflake(), "alice")
        self.bob = User(snowflake(), "bob")
        self.mod = User(snowflake(), "mod")
        gid, cid = snowflake(), snowflake()
        self.guild = Guild(gid, "Test Guild", self.owner.id, [cid, snowflake()],
                           roles={gid: "@everyone", snowflake(): "video-makers"}, premium_tier=premium_tier)
        self.guilds: dict[int, Guild] = {gid: self.guild}
        self.channel_id = cid
        self.channel_guild: dict[int, int] = {c: gid for c in self.guild.channel_ids}
        self.interaction_deadline = interaction_deadline
        self.token_ttl = token_ttl

        self.interactions: dict[int, Interaction] = {}
        self.messages: dict[int, Message] = {}
        self.callbacks: list[FakeDiscord.Callback] = []
        self.edits: list[FakeDiscord.Edit] = []
        self.uploads: list[FakeDiscord.Upload] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, int]] = []
        self.unknown_routes: list[str] = []
        self.gateway_log: list[str] = []
        #: Sizes of uploads refused with 413.
        self.rejected_uploads: list[int] = []
        #: (route, ``allowed_mentions`` or ``None`` when absent) of every message post or edit.
        self.mentions: list[tuple[str, dict[str, Any] | None]] = []
        self.hold_callbacks: asyncio.Event | None = None
        self.lose_callback_answers = 0
        self.dm_channels: set[int] = set()
        self.message_rate = message_rate
        #: Per channel: when its rate-limit window began (monotonic) and how many posts it has taken.
        self.rate_windows: dict[int, tuple[float, int]] = {}
        #: Channel posts refused with 429 by ``message_rate``.
        self.rate_limited = 0
        self.hold_uploads: asyncio.Event | None = None
        self.uploads_held = 0

        self._gateway = Gateway(self)
        app = web.Application(middlewares=[self._log_request])
        app.router.add_get("/gateway", self._gateway.handle)
        Rest(self).add_to(app)
        self._runner = web.AppRunner(app)
        self._origin = ""

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._origin = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        await self._gateway.close()
        await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        return f"{self._origin}{API}"

    @property
    def gateway_url(self) -> str:
        return f"{self._origin.replace('http://', 'ws://')}/gateway"

    @web.middleware
    async def _log_request(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        self.requests.append((request.method, request.path.removeprefix(API), response.status))
        return response

    # -- waiting -----------------------------------------------------------------------------------------

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Until ``condition()`` is truthy (polled every 10 ms); returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (value := condition()):
            if loop.time() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(0.01)
        return value

    async def connected(self, identifies: int = 1, timeout: float = 10.0) -> None:
        """Until the client has identified ``identifies`` times in total (READY and guilds sent)."""
        await self.wait_for(lambda: self.gateway_log.count("identify") >= identifies, timeout)

    # -- state changes (used by the routes) --------------------------------------------------------------

    def add_guild(self, name: str = "Other Guild") -> Guild:
        """Another server the bot is in, with one text channel (add it before the bot connects)."""
        gid, cid = snowflake(), snowflake()
        guild = Guild(gid, name, self.owner.id, [cid], roles={gid: "@everyone"})
        self.guilds[gid] = guild
        self.channel_guild[cid] = gid
        return guild

    def add_thread(self, parent_id: int | None = None) -> int:
        """A public thread under ``parent_id`` (default: the main channel); returns the thread's id."""
        parent = parent_id or self.channel_id
        guild = self.guilds[self.channel_guild[parent]]
        thread = snowflake()
        guild.threads[thread] = parent
        self.channel_guild[thread] = guild.id
        return thread

    def dm_channel(self) -> int:
        """A direct-message channel with the bot (interactions there carry no guild)."""
        cid = snowflake()
        self.dm_channels.add(cid)
        return cid

    def record_mentions(self, route: str, payload: dict[str, Any]) -> None:
        self.mentions.append((route, payload.get("allowed_mentions")))

    def check_upload(self, channel_id: int, files: list[Attachment]) -> web.Response | None:
        guild = self.guilds.get(self.channel_guild.get(channel_id, 0))
        limit = guild.upload_limit if guild else 10 * 1024**2
        if any(f.size > limit for f in files):
            self.rejected_uploads.append(max(f.size for f in files))
            return error(413, 40005, "Request entity too large")
        return None

    def take_message_slot(self, channel_id: int) -> tuple[bool, dict[str, str]]:
        """One channel post against ``message_rate``: (allowed, the ``X-RateLimit-*`` headers to send)."""
        if self.message_rate is None:
            return True, {}
        limit, per = self.message_rate
        now = time.monotonic()
        began, used = self.rate_windows.get(channel_id, (now, 0))
        if now - began >= per:
            began, used = now, 0
        allowed = used < limit
        if allowed:
            used += 1
        self.rate_windows[channel_id] = (began, used)
        reset_after = max(0.0, began + per - now)
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - used),
                   "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                   "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                   "X-RateLimit-Bucket": f"channel-messages-{channel_id}"}
        if not allowed:
            self.rate_limited += 1
            headers["X-RateLimit-Scope"] = "user"
        return allowed, headers

    def new_message(self, channel_id: int, payload: dict[str, Any], files: list[Attachment], *, via: str,
                    flags: int = 0, reference: int | None = None, interaction_id: int | None = None) -> Message:
        msg = Message(snowflake(), channel_id, self.channel_guild.get(channel_id), self.bot,
                      content=payload.get("content") or "", embeds=payload.get("embeds") or [],
                      components=payload.get("components") or [], attachments=files, reference=reference,
                      flags=flags, via=via, interaction_id=interaction_id)
        self.messages[msg.id] = msg
        for file in files:
            self.uploads.append(self.Upload(msg.id, channel_id, file.filename, file.size, reference))
        return msg

    def edit_message(self, message_id: int, payload: dict[str, Any], files: list[Attachment], *, route: str) -> None:
        msg = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in payload:
                setattr(msg, key, payload[key] if payload[key] is not None else ([] if key != "content" else ""))
        if files:
            msg.attachments = files
            for file in files:
                self.uploads.append(self.Upload(msg.id, msg.channel_id, file.filename, file.size, None))
        msg.edited_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        self.edits.append(self.Edit(message_id, route, payload))

    def delete_message(self, message_id: int) -> None:
        self.messages[message_id].deleted = True

    def expire_tokens(self) -> None:
        """Every interaction token issued so far dies now (what 15 minutes do)."""
        for inter in self.interactions.values():
            inter.token_expired = True

    # -- injecting interactions --------------------------------------------------------------------------

    def _base(self, kind: int, user: User, *, channel_id: int | None, permissions: int,
              roles: list[int] | None) -> tuple[Interaction, dict[str, Any]]:
        cid = channel_id or self.channel_id
        gid = self.channel_guild.get(cid)
        inter = Interaction(snowflake(), "itok-" + secrets.token_urlsafe(24), kind, user, cid, gid)
        self.interactions[inter.id] = inter
        data: dict[str, Any] = {
            "id": str(inter.id), "application_id": str(self.application_id), "type": kind, "token": inter.token,
            "version": 1, "locale": "en-US", "entitlements": [], "app_permissions": str(MEMBER_PERMISSIONS),
            "attachment_size_limit": self.guild.upload_limit if gid else 10 * 1024**2, "context": 0,
            "authorizing_integration_owners": {"0": str(gid)} if gid else {},
            "channel_id": str(cid),
        }
        if gid is not None:
            guild = self.guilds[gid]
            channel = guild.thread_json(cid, user.id) if cid in guild.threads else guild.channel_json(cid)
            data.update(guild_id=str(gid), guild_locale="en-US", channel=channel,
                        guild={"id": str(gid), "locale": "en-US", "features": []},
                        member=member_json(user, roles or [], permissions=permissions))
        else:
            data.update(user=user.json(), channel={"id": str(cid), "type": 1})
        return inter, data

    async def slash(self, user: User, sub: str, *, channel_id: int | None = None,
                    permissions: int = MEMBER_PERMISSIONS, roles: list[int] | None = None,
                    **options: Any) -> Interaction:
        """``/wan <sub> option:value …`` typed by ``user`` (options typed as Discord would: str/int/bool)."""
        inter, data = self._base(2, user, channel_id=channel_id, permissions=permissions, roles=roles)
        scope = next(iter(self.commands)) if self.commands else None
        command = next((c for c in self.commands.get(scope, []) if c["name"] == "wan"), None)
        kinds = {bool: 5, int: 4, str: 3}
        opts = [{"name": k, "type": kinds[type(v)], "value": v} for k, v in options.items() if v is not None]
        data["data"] = {"id": command["id"] if command else str(snowflake()), "name": "wan", "type": 1,
                        "options": [{"name": sub, "type": 1, "options": opts}]}
        if scope is not None:
            data["data"]["guild_id"] = str(scope)
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    async def click(self, user: User, message_id: int, custom_id: str, *,
                    permissions: int = MEMBER_PERMISSIONS, roles: list[int] | None = None,
                    channel_id: int | None = None) -> Interaction:
        """``user`` clicks the button ``custom_id`` on message ``message_id``.

        ``channel_id`` forges the click as coming from another channel (a hand-made payload).
        """
        msg = self.messages[message_id]
        inter, data = self._base(3, user, channel_id=channel_id or msg.channel_id, permissions=permissions,
                                 roles=roles)
        inter.source_message_id = msg.id
        data["message"] = msg.json()
        data["data"] = {"custom_id": custom_id, "component_type": 2}
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    async def submit_modal(self, user: User, opened_by: Interaction, values: list[str], *,
                           permissions: int = MEMBER_PERMISSIONS, channel_id: int | None = None) -> Interaction:
        """Fill the modal ``opened_by``'s response showed, text inputs in order, and submit it
        (``channel_id``: forged as submitted from another channel)."""
        assert opened_by.modal is not None, "that interaction was not answered with a modal"
        inter, data = self._base(5, user, channel_id=channel_id or opened_by.channel_id, permissions=permissions,
                                 roles=None)
        rows = []
        inputs = iter(values)
        for row in opened_by.modal["components"]:
            inner = row.get("component") or row["components"][0]
            answered = {"type": inner["type"], "custom_id": inner["custom_id"], "value": next(inputs, "")}
            rows.append({"type": 18, "component": answered} if row["type"] == 18
                        else {"type": 1, "components": [answered]})
        data["data"] = {"custom_id": opened_by.modal["custom_id"], "components": rows}
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    # -- reading the record ------------------------------------------------------------------------------

    def response_to(self, inter: Interaction) -> FakeDiscord.Callback | None:
        return next((c for c in self.callbacks if c.interaction_id == inter.id), None)

    def message_of(self, inter: Interaction) -> Message | None:
        return self.messages.get(inter.message_id) if inter.message_id is not None else None

    def edits_of(self, message_id: int) -> list[FakeDiscord.Edit]:
        return [e for e in self.edits if e.message_id == message_id]

    def titles(self, message_id: int) -> list[str]:
        """The embed title after each edit of a message, in order."""
        return [e.payload["embeds"][0]["title"] for e in self.edits_of(message_id) if e.payload.get("embeds")]
