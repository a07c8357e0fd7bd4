"""What the composition root (``bot.runtime``) hands every adapter, so no adapter imports ``bot``.

An adapter's runner gets one ``AdapterHost``: the use cases it calls (``core.actions.ChatActions``, the
one narrow way into the engine), the message catalogue, and — for adapters that receive HTTP (Slack's
HTTP mode) — somewhere to mount a route (``HttpMount``: the bot's one HTTP server, ``bot.http``). The
engine reaches the adapter the other way, through the ``core.port.ChatPort`` the adapter builds.
Settings reach each adapter as its own plain config object (``adapters.discord.config``,
``adapters.slack.config``), built by ``bot`` from the environment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from core.actions import ChatActions
from core.messages import Messages

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpMount(Protocol):
    def mount(self, method: str, path: str, handler: Handler) -> Callable[[], None]:
        """Serve ``method path`` with ``handler``; returns the function that unmounts it."""
        ...


@dataclass(frozen=True)
class AdapterHost:
    actions: ChatActions
    messages: Messages
    #: Where to mount routes; ``None`` when the bot serves no HTTP (then Slack needs Socket Mode).
    http: HttpMount | None = None


__all__ = ["AdapterHost", "Handler", "HttpMount"]
