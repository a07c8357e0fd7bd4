"""The bot's one HTTP server: ``/healthz``, ``/metrics``, and whatever a chat adapter mounts on it.

``wanbot run`` serves one aiohttp application on ``WANBOT_HTTP_HOST:WANBOT_HTTP_PORT`` whichever
platforms run (also with only Discord or Slack Socket Mode), so a load balancer, Docker or Prometheus
always has the same port to look at:

* ``GET /healthz`` — 200 ``{"status": "ok", ...}`` while the probe says healthy; 503 with the same fields
  when it does not (store unreachable, engine not running) or while the bot drains for shutdown.
* ``GET /metrics`` — the Prometheus text format from the renderer given (run off the event loop, since
  the process collector reads ``/proc``).
* ``mount(method, path, handler)`` — an adapter's endpoint (Slack HTTP mode's ``POST /slack/events``)
  on the same port. aiohttp freezes its router when the server starts, and adapters attach after the
  engine runs, so mounts live in a table of our own behind one catch-all route; ``mount`` returns the
  function that removes the route again. ``mount_prefix`` serves every path under a prefix the same way
  (the media route's ``GET /media/{key}``: ``bot.media_host``).

With a ``token`` (``WANBOT_HTTP_TOKEN``), ``/healthz`` and ``/metrics`` answer 401 unless the request
carries ``Authorization: Bearer <token>``; mounted routes keep their own checks (Slack's signature, the
media links' HMAC), since the platforms calling them cannot send ours.

While draining (``begin_drain``) mounted routes answer 503 too: a platform retries such a request
(Slack does, with ``X-Slack-Retry-Num``), ideally on the instance that replaces this one.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

log = logging.getLogger("wanbot.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
#: How long closing the server waits for requests already being answered (a Slack ack is milliseconds).
SHUTDOWN_TIMEOUT = 2.0


@dataclass(frozen=True)
class Health:
    """A probe's answer: healthy or not, and the fields ``/healthz`` shows either way."""

    ok: bool
    fields: Mapping[str, object] = field(default_factory=dict)


class HttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        probe: Callable[[], Awaitable[Health]] | None = None,
        metrics: Callable[[], bytes] | None = None,
        metrics_content_type: str = "text/plain; version=0.0.4; charset=utf-8",
        token: str | None = None,
    ) -> None:
        self.host = host
        self._token = token
        self.port = port
        self._probe = probe
        self._metrics = metrics
        self._metrics_type = metrics_content_type
        self._mounts: dict[tuple[str, str], Handler] = {}
        self._prefixes: dict[tuple[str, str], Handler] = {}
        self._runner: web.AppRunner | None = None
        self.draining = False
        #: ``http://host:port`` once listening (the real port when ``port`` is 0).
        self.url: str | None = None

    # -- routes ------------------------------------------------------------------------------------------

    def mount(self, method: str, path: str, handler: Handler) -> Callable[[], None]:
        """Serve ``method path`` with ``handler`` (before or after ``start``); returns the unmount."""
        key = (method.upper(), path)
        if key in self._mounts:
            raise ValueError(f"{method} {path} is already mounted")
        self._mounts[key] = handler

        def unmount() -> None:
            if self._mounts.get(key) is handler:
                del self._mounts[key]

        return unmount

    def mount_prefix(self, method: str, prefix: str, handler: Handler) -> Callable[[], None]:
        """Serve ``method`` for every path starting with ``prefix`` (which ends in ``/``); exact mounts win."""
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise ValueError(f"a mount prefix starts and ends with '/', not {prefix!r}")
        key = (method.upper(), prefix)
        if key in self._prefixes:
            raise ValueError(f"{method} {prefix}* is already mounted")
        self._prefixes[key] = handler

        def unmount() -> None:
            if self._prefixes.get(key) is handler:
                del self._prefixes[key]

        return unmount

    def _route(self, method: str, path: str) -> tuple[Handler | None, list[str]]:
        """The handler for ``method path`` (None if none), and the methods the path is mounted for."""
        handler = self._mounts.get((method, path))
        if handler is not None:
            return handler, [method]
        for (m, prefix), candidate in self._prefixes.items():
            if m == method and path.startswith(prefix):
                return candidate, [method]
        allowed = [m for m, p in self._mounts if p == path]
        allowed += [m for m, prefix in self._prefixes if path.startswith(prefix)]
        return None, allowed

    def begin_drain(self) -> None:
        """Shutdown has begun: health turns 503 and mounted routes stop taking requests."""
        self.draining = True

    def _refused(self, request: web.Request) -> web.Response | None:
        """401 unless the operator's token came with the request (or none is configured)."""
        if not self._token:
            return None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token.encode()):
            return None
        return web.json_response({"status": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})

    async def _health(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        health = await self._probe() if self._probe is not None else Health(ok=True)
        status = "draining" if self.draining else "ok" if health.ok else "unhealthy"
        code = 200 if status == "ok" else 503
        return web.json_response({"status": status, **health.fields}, status=code)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        if self._metrics is None:
            raise web.HTTPNotFound()
        if (refused := self._refused(request)) is not None:
            return refused
        body = await asyncio.to_thread(self._metrics)
        return web.Response(body=body, headers={"Content-Type": self._metrics_type})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        handler, allowed = self._route(request.method, request.path)
        if handler is None:
            if allowed:
                raise web.HTTPMethodNotAllowed(request.method, allowed)
            raise web.HTTPNotFound()
        if self.draining:
            return web.json_response({"status": "draining"}, status=503, headers={"Retry-After": "5"})
        return await handler(request)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self._health)
        app.router.add_get(METRICS_PATH, self._metrics_page)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)  # after the fixed routes: matched last
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        paths = [HEALTH_PATH, *([METRICS_PATH] if self._metrics is not None else []),
                 *sorted({prefix + "…" for _, prefix in self._prefixes})]
        log.info("HTTP: listening on %s (%s)", self.url, ", ".join(paths))

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.url = None
