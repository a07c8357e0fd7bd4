"""The composition root: builds a running wanbot from ``Settings`` and the platform ports.

``runtime(settings, ports)`` is the one place that opens the HTTP session, the store, the embedded
sandbox (when no DashScope key is set), the DashScope client and the engine, wires them together with
keyword arguments, and closes them in reverse order. Every command of the CLI goes through it, so what
``wanbot try`` exercises is exactly what ``wanbot run`` runs. On the sandbox the engine is told so, and
every status message says so; URLs it logs are redacted (``bot.redact``).

Every runtime keeps Prometheus metrics (``core.metrics``, the engine's observer and delivery's upload
hook). With ``with_http=True`` (``wanbot run``) it also builds the bot's HTTP server (``bot.http``:
``/healthz``, ``/metrics``, adapters' mounts) as ``rt.http``. The caller starts it once the platforms
have mounted their routes (so the port never answers 404 to a platform that is still attaching); it
closes only after the engine stopped, so ``/healthz`` tells the truth to the end.

Attachments people hand wanbot are kept in a ``core.media_stash.MediaStash`` under
``settings.media_root()``; ``media_mode`` picks who serves them to DashScope (``bot.media_host``): the
public URL when set; else, on a sandbox here or on this network, the bot's own loopback address (a
runtime without the bot's HTTP server — the console, ``wanbot try`` — opens a loopback port for the media
route alone); else nobody (images then go inline, audio as its original link). A retention sweep runs in a
thread while the runtime lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum

import aiohttp
from sqlalchemy import text

from adapters.host import AdapterHost
from bot.archive_setup import build_archive
from bot.http import Health, HttpServer
from bot.media_host import SignedMediaHost, load_secret, sweep_forever
from bot.redact import redact_url
from bot.settings import Settings
from core.actions import AllowList, ChatActions
from core.actions.history import HistoryDesk
from core.actions.spend_desk import SpendDesk
from core.actions.votes import VoteDesk
from core.admin_route import AdminRoutes
from core.archive import Archiver
from core.budget_alerts import BudgetAlerts
from core.dashscope import DASHSCOPE, DashScopeClient, resolve_base_url
from core.delivery import MAX_DOWNLOAD_BYTES, Delivery
from core.engine import Engine
from core.errors import ConfigError
from core.image_check import ImageCheck
from core.media_check import AudioCheck, on_private_network
from core.media_stash import MediaStash
from core.messages import Messages
from core.metrics import CONTENT_TYPE, Metrics
from core.port import ChatPort, ConversationRef
from core.spend import SpendGate
from core.store import JobStore
from core.transcode import fit_to_size
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox

log = logging.getLogger("wanbot")

#: The key wanbot uses against its own embedded sandbox (which accepts any key in that mode).
SANDBOX_KEY = "sk-wanbot-sandbox"
SANDBOX_DATABASE_URL = "sqlite:///./wanbot-sandbox.db"
#: A health check must answer quickly even when the database hangs: past this the store is "unreachable".
STORE_PROBE_TIMEOUT = 2.0
#: Addresses a server listens on for every interface: its links use the loopback address instead.
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::", "[::]"})


class MediaMode(StrEnum):
    """Who serves the media stash's files to DashScope (``media_mode``)."""

    PUBLIC = "public"  # links under WANBOT_PUBLIC_URL
    LOOPBACK = "loopback"  # links to the bot's own loopback address (a sandbox here or on this network)


def media_mode(settings: Settings, base_url: str, *, on_sandbox: bool) -> MediaMode | None:
    """Public URL set → PUBLIC; else a sandbox that can reach this machine → LOOPBACK; else None (no host)."""
    if settings.public_url is not None:
        return MediaMode.PUBLIC
    if on_sandbox or on_private_network(base_url):
        return MediaMode.LOOPBACK
    return None


def loopback_base(server: HttpServer) -> str | None:
    """``http://127.0.0.1:<port>`` of a server: its real port once listening; before that its configured
    port (``wanbot run`` starts the engine, which may resume a create, a moment before the port opens);
    None for a port the OS has not picked yet."""
    if server.url is not None:
        host, _, port = server.url.removeprefix("http://").rpartition(":")
    elif server.port:
        host, port = server.host, str(server.port)
    else:
        return None
    return f"http://{'127.0.0.1' if host in _ANY_ADDRESS else host}:{port}"


class EnginePhase(StrEnum):
    """Where the engine is in its life: what ``/healthz`` reports (healthy only while RUNNING)."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


def allow_lists(settings: Settings) -> dict[str, AllowList]:
    """The operator's restrictions of where wanbot answers, per platform (empty sets: anywhere)."""

    def ids(raw: str) -> frozenset[str]:
        return frozenset(str(i) for i in Settings.id_list(raw))

    return {"discord": AllowList(workspaces=ids(settings.discord_allowed_guilds),
                                 channels=ids(settings.discord_allowed_channels),
                                 roles=ids(settings.discord_allowed_roles))}


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    #: The use cases every adapter calls (``core.actions``).
    actions: ChatActions
    client: DashScopeClient
    store: JobStore
    session: aiohttp.ClientSession
    messages: Messages
    sandbox: Sandbox | None
    metrics: Metrics = field(default_factory=Metrics)
    #: The bot's HTTP server (``with_http=True``); adapters mount on it, the caller starts it.
    http: HttpServer | None = None
    #: Where attachments are kept; ``media_host`` serves them (None: DashScope gets data URIs / the link).
    media: MediaStash | None = None
    media_host: SignedMediaHost | None = None
    #: Issue 13: the archive of delivered results (``core.archive``).
    archive: Archiver | None = None
    phase: EnginePhase = EnginePhase.STARTING
    started_at: float = field(default_factory=time.monotonic)

    def host(self) -> AdapterHost:
        """What an adapter's runner is handed: the use cases, the catalogue, the HTTP server."""
        return AdapterHost(actions=self.actions, messages=self.messages, http=self.http)

    @property
    def on_sandbox(self) -> bool:
        return self.sandbox is not None

    def begin_shutdown(self) -> None:
        """Stop taking requests on the HTTP server (health turns 503); the caller then stops the rest."""
        if self.http is not None:
            self.http.begin_drain()

    async def health(self) -> Health:
        """What ``/healthz`` reports: healthy while the engine runs and the store answers a trivial query."""
        try:
            async with asyncio.timeout(STORE_PROBE_TIMEOUT), self.store.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            store = "ok"
        except Exception as exc:  # any failure at all means "not reachable" to a health check
            log.warning("health: the store did not answer: %r", exc)
            store = "unreachable"
        fields = {
            "uptime_seconds": round(time.monotonic() - self.started_at, 1),
            "engine": self.phase.value,
            "store": store,
            "jobs_in_flight": self.engine.in_flight(),
            "queue_depth": len(self.engine.queue),
            "platforms": sorted(self.engine.book.ports),
            "sandbox": self.on_sandbox,
        }
        return Health(ok=store == "ok" and self.phase is EnginePhase.RUNNING, fields=fields)

    async def start_engine(self) -> None:
        """Start (resume) the engine, keeping ``phase`` — what ``/healthz`` reports — in step."""
        await self.engine.start()
        self.phase = EnginePhase.RUNNING

    async def stop_engine(self) -> None:
        """Stop the engine; its jobs stay in the store, where the next start resumes them."""
        self.phase = EnginePhase.STOPPING
        try:
            await self.engine.stop()
        finally:
            self.phase = EnginePhase.STOPPED


@asynccontextmanager
async def runtime(
    settings: Settings,
    ports: Mapping[str, ChatPort],
    *,
    force_sandbox: bool = False,
    sandbox_config: SandboxConfig | None = None,
    start_engine: bool = True,
    with_http: bool = False,
    confirm_every: Collection[str] = (),
) -> AsyncIterator[Runtime]:
    """Everything wanbot needs, opened in order and closed in reverse; ``sandbox_config`` (tests, demos)
    replaces the embedded sandbox's defaults; ``with_http`` builds the bot's HTTP server for
    ``WANBOT_HTTP_HOST:WANBOT_HTTP_PORT`` (``await rt.http.start()`` opens the port). ``confirm_every``: the
    platforms where every paid command is confirmed first (``core.spend``; never on the sandbox: it is free)."""
    async with AsyncExitStack() as stack:
        sandbox: Sandbox | None = None
        database_url = settings.database_url
        api_key: str | None
        if force_sandbox or sandbox_config is not None or settings.uses_sandbox:
            sandbox = Sandbox(sandbox_config or SandboxConfig(speed=settings.sandbox_speed))
            await sandbox.start("127.0.0.1", settings.sandbox_port)
            stack.push_async_callback(sandbox.close)
            base_url, api_key = sandbox.base_url, SANDBOX_KEY
            # Sandbox tasks vanish with the process: keep their jobs apart from real, billed ones.
            if "database_url" not in settings.model_fields_set:
                database_url = SANDBOX_DATABASE_URL
            log.info("using the embedded DashScope sandbox at %s (speed ×%g)", base_url, sandbox.config.speed)
        else:
            base_url = resolve_base_url(
                region=settings.dashscope_region,
                workspace_id=settings.dashscope_workspace_id,
                base_url=settings.dashscope_base_url,
            )  # settings already read DASHSCOPE_HTTP_BASE_URL, so no env_base_url here
            key = settings.dashscope_api_key
            api_key = key.get_secret_value() if key else None
            log.info("using DashScope at %s", redact_url(base_url))

        session = await stack.enter_async_context(aiohttp.ClientSession())
        media_servers: list[HttpServer] = []  # the server the media route is mounted on, once there is one
        media_host, media = await _media_stash(settings, base_url, sandbox is not None, media_servers)
        sweeper = asyncio.create_task(sweep_forever(settings.media_root(), settings.media_retention_days * 86400.0))
        stack.push_async_callback(_cancel, sweeper)
        # The embedded sandbox is DashScope itself; the configured dialect (a gateway's) is for the real base.
        dialect = settings.dialect() if sandbox is None else DASHSCOPE
        client = DashScopeClient(session, base_url=base_url, api_key=api_key, clock=time.time, dialect=dialect)
        store = await JobStore.open(database_url)
        stack.push_async_callback(store.close)
        log.info("store: %s, %s", redact_url(database_url), store.schema.describe())
        messages = Messages(settings.locale)
        metrics = Metrics()
        # The engine resumes these without reporting them as changed: count them in their states now.
        metrics.seed(job for job in await store.active() if job.conversation.platform in ports)
        delivery = Delivery(client, workdir=settings.workdir, messages=messages, fit=fit_to_size,
                            on_uploaded=metrics.on_uploaded)
        # Issue 13: every delivered result copied to the archive (local directory or S3).
        archiver, archive_host = build_archive(
            settings, store, store.get, clock=time.time,
            download=lambda url, path: client.download_to(url, path, max_bytes=MAX_DOWNLOAD_BYTES))
        engine_config = settings.engine_config()
        if sandbox is not None:  # its tasks run ``speed`` times faster than DashScope's: so do the priors
            # (and it is DashScope itself, with a task list, whatever gateway the settings name)
            engine_config = replace(engine_config, duration_scale=1 / sandbox.config.speed, list_sweeps=True)
        engine = Engine(
            store=store,
            client=client,
            ports=ports,
            delivery=delivery,
            clock=time.time,
            config=engine_config,
            messages=messages,
            observer=metrics,
            sandbox=sandbox is not None,  # every status message then says the video is a placeholder
            stash=media,
            archive=archiver,
        )
        # Real DashScope fetches from the internet: a private address is refused (and never fetched). A
        # sandbox (embedded or at a local base) runs on this network and can reach its links.
        public_only = sandbox is None and not on_private_network(base_url)
        audio = AudioCheck(session, messages, workdir=settings.workdir, public_only=public_only)
        images = ImageCheck(session, messages, public_only=public_only)
        # Issue 13 votes: reactions on results, /wan top, and history's vote counts (core.actions.votes).
        votes = VoteDesk(store.votes, store.settings, messages, port=engine.port, now=engine.now,
                         default_emoji=settings.vote_emoji)
        history = HistoryDesk(store.archive, messages, port=engine.port, archive=archiver, counts=store.votes.counts)
        # Issue 13: the spend gate in front of every start, and /wan settings (core.spend).
        # Operator-only problems go to the admin channels (core.admin_route); budget alerts at 80 %.
        admins = AdminRoutes(ports, admin_channels(settings), store.spend, messages, now=engine.now)
        engine.refusal_hooks.append(admins.operator_error)
        alerts = BudgetAlerts(engine_config.budgets, timezone=engine_config.timezone, notes=store.spend,
                              admins=admins, port=engine.port, messages=messages, now=engine.now)
        spend = SpendDesk(engine, messages, SpendGate(store.spend, store.settings, messages, now=engine.now,
                                                      price_overrides=engine_config.price_overrides,
                                                      confirm_every=confirm_every if sandbox is None else ()),
                          alerts=alerts)
        actions = ChatActions(engine, messages, allow=allow_lists(settings), audio=audio, stash=media,
                              images=images, history=history, archive=archiver, spend=spend, votes=votes,
                              prefs=store.user_prefs)
        rt = Runtime(settings, engine, actions, client, store, session, messages, sandbox, metrics,
                     media=media, media_host=media_host, archive=archiver)
        if with_http:
            token = settings.http_token.get_secret_value() if settings.http_token else None
            rt.http = HttpServer(settings.http_host, settings.http_port, probe=rt.health, metrics=metrics.render,
                                 metrics_content_type=CONTENT_TYPE, token=token)
            # Registered before the engine's stop, so it runs after it: health answers 503 while it stops.
            stack.push_async_callback(rt.http.close)
            if media_host is not None:
                media_host.mount(rt.http)
                media_servers.append(rt.http)
            if archive_host is not None:
                archive_host.mount(rt.http)
        elif media_host is not None:
            # No bot HTTP server here (the console, `wanbot try`): one for the media route alone.
            server = await _media_only_server(settings, media_host)
            if server is not None:
                stack.push_async_callback(server.close)
                media_servers.append(server)
        if start_engine:
            await rt.start_engine()
            stack.push_async_callback(rt.stop_engine)
            # The archive's sweep: now (what a crash left spooled) and periodically; stopped before the engine.
            archive_sweeper = asyncio.create_task(archiver.run_forever(), name="wanbot-archive")
            stack.push_async_callback(_cancel, archive_sweeper)
        yield rt


def admin_channels(settings: Settings) -> dict[str, ConversationRef]:
    """Issue 13: ``DISCORD_ADMIN_CHANNEL`` / ``SLACK_ADMIN_CHANNEL`` as conversations (the unset ones left out)."""
    channels = {}
    if settings.discord_admin_channel:
        guild = str(settings.discord_guild_id) if settings.discord_guild_id else None
        channels["discord"] = ConversationRef("discord", settings.discord_admin_channel, workspace_id=guild)
    if settings.slack_admin_channel:
        channels["slack"] = ConversationRef("slack", settings.slack_admin_channel)
    return channels


async def _media_stash(settings: Settings, base_url: str, on_sandbox: bool,
                       servers: list[HttpServer]) -> tuple[SignedMediaHost | None, MediaStash]:
    """The stash for ``settings.media_root()`` and its host (``media_mode``); the host's links point at
    the public URL, or at the first of ``servers`` (filled in once the route is mounted somewhere)."""
    root = settings.media_root()
    mode = media_mode(settings, base_url, on_sandbox=on_sandbox)
    configured = settings.media_secret.get_secret_value() if settings.media_secret else None
    try:
        # Found at start-up rather than at the first attachment: a directory wanbot cannot write.
        await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
        secret = await asyncio.to_thread(load_secret, configured, root) if mode is not None else b""
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"the media directory {root} cannot be used ({reason}): set WANBOT_MEDIA_DIR to a "
                          "writable directory", code="MediaDirUnusable") from exc
    if mode is None:
        log.info("media: no WANBOT_PUBLIC_URL: images go to DashScope inline, audio as its original link")
        return None, MediaStash(root)
    public = settings.public_url

    def base() -> str | None:
        if mode is MediaMode.PUBLIC:
            return public
        return loopback_base(servers[0]) if servers else None

    host = SignedMediaHost(None, secret, base)
    stash = MediaStash(root, host=host)
    host.files = stash
    log.info("media: attachments kept in %s, served to DashScope at %s/media/", root,
             redact_url(public) if public else "this bot's loopback address")
    return host, stash


async def _media_only_server(settings: Settings, host: SignedMediaHost) -> HttpServer | None:
    """Serve the media route without the bot's HTTP server: on an ephemeral loopback port for a sandbox;
    with a public URL, on the bot's configured port (where that URL leads). A port already taken there is
    most likely ``wanbot run`` serving the same media directory: say so and go on without."""
    public = settings.public_url is not None
    server = HttpServer(settings.http_host, settings.http_port) if public else HttpServer("127.0.0.1", 0)
    host.mount(server)
    try:
        await server.start()
    except OSError as exc:
        log.warning("media: cannot serve /media/ on %s:%s (%s); DashScope fetches attachments from %s only "
                    "if something there serves this media directory", server.host, server.port, exc,
                    redact_url(settings.public_url or ""))
        return None
    return server


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
