"""The bolt ``AsyncApp`` and how it listens: Socket Mode or HTTP.

``build(config)`` is what ``wanbot run`` calls (``config``: ``adapters.slack.config.SlackConfig``); it
returns the ``SlackPort`` (the engine needs it before it starts) and the runner, which takes the
``adapters.host.AdapterHost`` — the use cases, the catalogue, the bot's HTTP server — registers the
listeners and serves until cancelled, then closes cleanly.

* **Socket Mode** when ``SLACK_APP_TOKEN`` (``xapp-…``) is set: bolt's ``AsyncSocketModeHandler`` opens
  the websocket from ``apps.connections.open``; no public URL, no signing secret needed.
* **HTTP mode** otherwise: ``POST /slack/events``. ``adapters.slack.gate`` checks every request against
  ``SLACK_SIGNING_SECRET`` (HMAC v0 over the raw bytes, 5-minute timestamp window) before anything is
  parsed, turns away replays, and only then hands the body to bolt (which checks it again). The route is
  mounted on the bot's one HTTP server (``AdapterHost.http``: the same port as ``/healthz`` and
  ``/metrics``); HTTP mode without one is a ``ConfigError``. The request's arrival (``clock`` read
  before anything else) goes to the listeners in bolt's context (``commands.ARRIVED``), so the
  "working on it" fallback counts Slack's 3 s from when the request came in.

  A ``/wan`` slash command in HTTP mode is answered the moment its listener calls ``ack()``: the handler
  runs the same listener with bolt's own ``AsyncAck`` / ``AsyncRespond`` and waits on the ack itself.
  Through bolt's dispatcher every request's HTTP response waits in a loop that sleeps 10 ms at a time and
  looks whether ``ack()`` was called yet (``slack_bolt/listener/asyncio_runner.py``) — 200 such pollers
  in a burst, ~20,000 wake-ups a second on the loop that must also store the jobs — after bolt's
  middleware has checked again the signature the gate already checked. Buttons, modals and Socket Mode
  still go through bolt.

The Web API client keeps one ``aiohttp.ClientSession`` from ``start`` to ``stop``: without one slack_sdk
opens a new session — a new connection, a new TLS handshake against real Slack — for every call, and a
burst's 200 status posts racing its acks each paid that on the bot's one loop.

``SLACK_API_URL`` points slack_sdk's Web API client (and so bolt, Socket Mode and uploads) elsewhere,
e.g. at the test suite's fake Slack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.host import AdapterHost
from adapters.slack.actions import Buttons
from adapters.slack.blocks import ACTION_PREFIX, ACTIONS
from adapters.slack.commands import ARRIVED, Clock, SlashCommand, Sleep
from adapters.slack.config import SlackConfig
from adapters.slack.files import FileHost
from adapters.slack.gate import SlackGate, Verdict
from adapters.slack.locales import UserLocales
from adapters.slack.mentions import Mentions
from adapters.slack.modals import REMIX_CALLBACK, STORYBOARD_CALLBACK, Modals, seal_key_for
from adapters.slack.port import SlackPort
from adapters.slack.shortcuts import ANIMATE_MODAL, ANIMATE_SHORTCUT, EDIT_MODAL, EDIT_SHORTCUT, Shortcuts
from adapters.slack.spend import SPEND_ACTIONS
from adapters.slack.votes import REACTION_EVENTS
from adapters.slack.votes import on_reaction as on_vote_reaction
from core.errors import ConfigError
from core.locale import speaking
from core.messages import Messages

log = logging.getLogger("wanbot.slack")

EVENTS_PATH = "/slack/events"
COMMAND = "/wan"
#: Seconds ``stop()`` waits for acknowledged commands to finish their work.
STOP_GRACE = 10.0
#: Seconds after a request's arrival when a command not acknowledged is answered 404 (bolt's 3 s).
ACK_TIMEOUT = 3.0
FORM = "application/x-www-form-urlencoded"

Listener = Callable[..., Awaitable[None]]


def _slack_url(url: str) -> str:
    # Without the trailing slash slack_sdk joins "https://host/api" + "chat.postMessage" into ".../chat.postMessage".
    return url if url.endswith("/") else url + "/"


class SlackService:
    """One Slack app: the Web API client, the port, the bolt app and its listener (socket or HTTP)."""

    def __init__(self, config: SlackConfig, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.config = config
        #: Stamps each HTTP request's arrival; the slash command's ack deadline counts on it (``sleep``).
        self.clock = clock
        self.sleep = sleep
        self.app_token = config.app_token
        secret = config.signing_secret
        if self.app_token is None and secret is None:
            raise ConfigError("Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)",
                              code="SlackNotConfigured")
        self.client = AsyncWebClient(
            token=config.bot_token,
            base_url=_slack_url(config.api_url),
            # 429s carry Retry-After and mean "not done": waiting and sending again is safe. 5xx are not
            # retried here (a post might have happened); the engine decides what to do about those.
            retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        self.port = SlackPort(self.client, messages=Messages(config.locale))
        #: Each person's Slack language, looked up once (``adapters.slack.locales``).
        self.locales = UserLocales(self.port, default=config.locale)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret or "",
            # Socket Mode requests arrive over an authenticated websocket and carry no signature.
            request_verification_enabled=self.socket_mode is False,
            logger=logging.getLogger("wanbot.slack.bolt"),
            name="wanbot",
        )
        #: HTTP mode's door: signature first, then replays and shape (``adapters.slack.gate``).
        self._gate = SlackGate(secret) if secret else None
        self._socket: AsyncSocketModeHandler | None = None
        self._unmount: Callable[[], None] | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        #: ``/wan``'s listener, answered without bolt's dispatcher in HTTP mode (``_command``).
        self._on_command: Listener | None = None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    # -- listeners ---------------------------------------------------------------------------------------

    def register(self, host: AdapterHost) -> None:
        """Attach the ``/wan`` command, the buttons, the message shortcuts and the modals to ``host``'s use cases."""
        seal_key = seal_key_for(self.config.bot_token)
        modals = Modals(host.actions, self.port, host.messages, seal_key=seal_key)
        command = SlashCommand(host.actions, self.port, host.messages, modals, clock=self.clock, sleep=self.sleep)
        shortcuts = Shortcuts(host.actions, self.port, host.messages, seal_key=seal_key,
                              file_host=FileHost.for_api(self.config.api_url), bot_token=self.config.bot_token,
                              clock=self.clock, sleep=self.sleep)
        buttons = Buttons(host.actions, self.port, host.messages, modals, shortcuts)
        mentions = Mentions(command, self.port, host.messages)

        # Bolt injects arguments by parameter name, so listeners are plain functions, not bound methods.
        async def on_command(ack: Any, body: dict[str, Any], respond: Any, context: dict[str, Any]) -> None:
            await self._tracked(body, command(ack, body, respond, context))

        async def on_button(ack: Any, body: dict[str, Any], respond: Any) -> None:
            await self._tracked(body, buttons.on_action(ack, body, respond))

        async def on_remix(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await self._tracked(body, modals.on_remix_submit(ack, body, view))

        async def on_storyboard(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await self._tracked(body, modals.on_storyboard_submit(ack, body, view))

        async def on_shortcut(ack: Any, body: dict[str, Any], respond: Any) -> None:
            await self._tracked(body, shortcuts.on_message_action(ack, body, respond))

        async def on_edit(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
            await self._tracked(body, shortcuts.on_edit_submit(ack, body, view, context))

        async def on_animate(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
            await self._tracked(body, shortcuts.on_animate_submit(ack, body, view, context))

        async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
            await self._tracked(body, mentions.on_mention(body, event))

        async def on_reaction(body: dict[str, Any], event: dict[str, Any]) -> None:  # issue 13: votes, ✅
            await self._tracked(body, on_vote_reaction(host.actions, self.port, event, body))

        self.app.command(COMMAND)(on_command)
        self.app.event("app_mention")(on_mention)
        self._on_command = on_command
        for kind in REACTION_EVENTS:
            self.app.event(kind)(on_reaction)
        for action in (*ACTIONS, *SPEND_ACTIONS):  # SPEND_ACTIONS: issue 13's Confirm / Approve …
            self.app.action(f"{ACTION_PREFIX}{action}")(on_button)
        self.app.view(REMIX_CALLBACK)(on_remix)
        self.app.view(STORYBOARD_CALLBACK)(on_storyboard)
        self.app.message_shortcut(EDIT_SHORTCUT)(on_shortcut)
        self.app.message_shortcut(ANIMATE_SHORTCUT)(on_shortcut)
        self.app.view(EDIT_MODAL)(on_edit)
        self.app.view(ANIMATE_MODAL)(on_animate)

    async def _tracked(self, body: dict[str, Any] | None, work: Awaitable[None]) -> None:
        """Run a listener's work in the sender's language, remembered so ``stop()`` lets it finish before the
        engine closes.

        Bolt runs listeners in tasks of its own and answers Slack at ``ack()``; nothing else would wait
        for the rest of a command (e.g. a job being stored) when the process shuts down."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            with speaking(await self.locales.of(_sender(body)) if body is not None else None):
                await work
        finally:
            if task is not None:
                self._inflight.discard(task)

    # -- HTTP mode ---------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: the gate (signature on the raw bytes, replays, shape), then bolt.

        401 for anything not signed with our secret, 400 for a signed body Slack would never send, 200
        without acting for a replay; each turned-away request is one INFO line, never a traceback."""
        assert self._gate is not None  # HTTP mode always has a signing secret
        arrived = self.clock()  # first: under a burst everything below may already be late
        raw = await request.read()
        checked = self._gate.check(request.headers, raw)
        if checked.verdict is not Verdict.ACT:
            log.info("Slack endpoint: %s from %s (%s)", checked.verdict.value, request.remote, checked.reason)
            status = {Verdict.UNSIGNED: 401, Verdict.MALFORMED: 400, Verdict.REPLAY: 200}[checked.verdict]
            return web.Response(status=status, text="" if status == 200 else checked.verdict.value)
        if self._on_command is not None and request.content_type == FORM:
            body = parse_body(checked.text, FORM)
            if body.get("command") == COMMAND and "payload" not in body:
                return await self._command(body, arrived)
        bolt_request = AsyncBoltRequest(body=checked.text, query=request.query_string,
                                        headers=dict(request.headers), context={ARRIVED: arrived})
        bolt_response = await self.app.async_dispatch(bolt_request)
        if bolt_response.status >= 500:
            self._gate.forget(checked)
        response: web.Response = await to_aiohttp_response(bolt_response)
        return response

    async def _command(self, body: dict[str, Any], arrived: float) -> web.Response:
        """Run ``/wan``'s listener as bolt would (its ``ack``, ``respond``, the body, the context, in a
        task of its own) and answer as soon as it acknowledges — woken by the ack, not by polling."""
        assert self._on_command is not None
        ack = AsyncAck()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
        acked = asyncio.Event()

        async def ack_now(*args: Any, **kwargs: Any) -> Any:
            try:
                return await ack(*args, **kwargs)
            finally:
                acked.set()

        respond = AsyncRespond(response_url=body.get("response_url"), proxy=self.client.proxy, ssl=self.client.ssl)
        # (no language here: ``on_command`` itself looks the sender's up)
        work = asyncio.ensure_future(self._tracked(None, self._on_command(ack_now, body, respond, {ARRIVED: arrived})))
        work.add_done_callback(self._log_failure)
        waiter = asyncio.ensure_future(acked.wait())
        try:
            left = max(0.0, ACK_TIMEOUT - (self.clock() - arrived))
            await asyncio.wait({work, waiter}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if ack.response is None:  # what bolt answers when ack() was never called
            log.warning("slash command from %s: not acknowledged within %.0f s", body.get("user_id"), ACK_TIMEOUT)
            failed = work.done() and not work.cancelled() and work.exception() is not None
            return web.Response(status=500 if failed else 404, text="")
        response: web.Response = await to_aiohttp_response(ack.response)
        return response

    @staticmethod
    def _log_failure(work: asyncio.Future[None]) -> None:
        if not work.cancelled() and (exc := work.exception()) is not None:
            log.error("slash command listener failed", exc_info=exc)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self, host: AdapterHost) -> None:
        if self.app_token is None and host.http is None:
            raise ConfigError("Slack's HTTP mode needs the bot's HTTP server to mount /slack/events on, and "
                              "none was given; set SLACK_APP_TOKEN for Socket Mode or run it with `wanbot run`",
                              code="SlackNotConfigured")
        self.register(host)
        if self.client.session is None or self.client.session.closed:
            # One pool of kept-alive connections for every Web API call (see the module docstring).
            self.client.session = aiohttp.ClientSession()
        if self.app_token is not None:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
            log.info("Slack: connected in Socket Mode")
            return
        # Mounted before the first await: ``wanbot run`` opens the shared port right after runners attach.
        assert host.http is not None
        self._unmount = host.http.mount("POST", EVENTS_PATH, self.handle)
        log.info("Slack: HTTP mode, requests at %s", EVENTS_PATH)

    async def stop(self) -> None:
        """Stop listening, give commands already acknowledged a moment to finish, close the Web API session."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._unmount is not None:
            self._unmount()
            self._unmount = None
        if self._inflight:
            _, late = await asyncio.wait(set(self._inflight), timeout=STOP_GRACE)
            for task in late:
                task.cancel()
        session, self.client.session = self.client.session, None
        if session is not None:
            await session.close()

    async def run(self, host: AdapterHost) -> None:
        """Serve until cancelled (``wanbot run``'s runner contract)."""
        await self.start(host)
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()


def _sender(body: dict[str, Any]) -> str | None:
    """Who sent a slash command (``user_id``), an interaction (``user.id``) or an event (``event.user``:
    a mention, a reaction)."""
    user = body.get("user")
    event = body.get("event")
    found = (body.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
             or (event.get("user") if isinstance(event, dict) else None))
    return str(found) if found else None


def build(config: SlackConfig) -> tuple[SlackPort, Callable[[AdapterHost], Coroutine[Any, Any, None]]]:
    """``wanbot run``'s entry point: the port for the engine and the runner coroutine function."""
    service = SlackService(config)
    return service.port, service.run
