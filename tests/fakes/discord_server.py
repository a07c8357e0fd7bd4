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
counts those waiting); ``refuse_threads`` (starting a thread on a message answers 403 Missing Permissions;
``threads_started`` records those started). Places: ``add_guild()`` (another server; before the bot connects),
``add_thread(parent)`` and ``dm_channel()``.

People (``tests.fakes.discord_fake.inject``): ``slash``, ``autocomplete`` (typing into an option registered
with autocomplete: the bot's answer is ``suggestions(inter)``), ``click``, ``submit_modal``, ``message_command`` (a
message context-menu command), ``attachment()`` (a file for a slash command's attachment option) and
``user_message()`` (a person's post, with files), ``react`` / ``unreact`` (MESSAGE_REACTION_ADD / _REMOVE, sent
only to a client that identified with the reactions intent). Files live on the fake's CDN (``cdn``: signed loopback
links that ``cdn.expire_all()`` kills; images the bot uploads are served there too).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.discord_fake.cdn import Cdn
from tests.fakes.discord_fake.gateway import Gateway
from tests.fakes.discord_fake.inject import MANAGE_MESSAGES, MEMBER_PERMISSIONS, Injecting, Interaction
from tests.fakes.discord_fake.payloads import Attachment, Guild, Message, User, snowflake
from tests.fakes.discord_fake.rest import API, Rest, error


class FakeDiscord(Injecting):
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
        self.reactions: list[tuple[str, int, int, str]] = []
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
        #: Threads started on messages: (parent channel, message = thread id, name); ``refuse_threads``
        #: answers 403 Missing Permissions instead, as Discord does without Create Public Threads.
        self.threads_started: list[tuple[int, int, str]] = []
        self.refuse_threads = False
        self.uploads_held = 0
        #: Attachment bytes at signed loopback links (``cdn.ttl``, ``cdn.expire_all()``, ``cdn.gets``).
        self.cdn = Cdn()

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
        self.cdn.origin = self._origin
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
            self._serve(file, channel_id)
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
                self._serve(file, msg.channel_id)
                self.uploads.append(self.Upload(msg.id, msg.channel_id, file.filename, file.size, None))
        msg.edited_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        self.edits.append(self.Edit(message_id, route, payload))

    def _serve(self, file: Attachment, channel_id: int) -> None:
        if file.data is not None:  # an image the bot uploaded: a person may run a command on it later
            self.cdn.publish(file, owner=channel_id)

    def delete_message(self, message_id: int) -> None:
        self.messages[message_id].deleted = True

    def expire_tokens(self) -> None:
        """Every interaction token issued so far dies now (what 15 minutes do)."""
        for inter in self.interactions.values():
            inter.token_expired = True

    # -- reading the record ------------------------------------------------------------------------------

    def response_to(self, inter: Interaction) -> FakeDiscord.Callback | None:
        return next((c for c in self.callbacks if c.interaction_id == inter.id), None)

    def suggestions(self, inter: Interaction) -> list[Any] | None:
        """The values the bot offered in answer to an autocomplete interaction (type 8), or ``None`` yet."""
        callback = self.response_to(inter)
        if callback is None or callback.type != 8:
            return None
        return [choice["value"] for choice in callback.data.get("choices", [])]

    def message_of(self, inter: Interaction) -> Message | None:
        return self.messages.get(inter.message_id) if inter.message_id is not None else None

    def edits_of(self, message_id: int) -> list[FakeDiscord.Edit]:
        return [e for e in self.edits if e.message_id == message_id]

    def titles(self, message_id: int) -> list[str]:
        """The embed title after each edit of a message, in order."""
        return [e.payload["embeds"][0]["title"] for e in self.edits_of(message_id) if e.payload.get("embeds")]


__all__ = ["MANAGE_MESSAGES", "MEMBER_PERMISSIONS", "FakeDiscord", "Interaction"]
