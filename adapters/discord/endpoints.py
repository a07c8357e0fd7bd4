"""Where discord.py talks to: the REST base and the gateway URL.

discord.py keeps both as class attributes — ``discord.http.Route.BASE`` for every REST call (interaction
callbacks and webhooks included) and ``DiscordWebSocket.DEFAULT_GATEWAY`` for the websocket, which the
plain client connects to without asking ``GET /gateway/bot``. A process therefore talks to one Discord at a
time, and this module is the one place that points both at it:

* ``DISCORD_API_BASE`` becomes ``Route.BASE`` before login;
* ``DISCORD_GATEWAY_URL``, when set, is the gateway; otherwise, when the REST base is not Discord's own
  (a proxy, the test fake), the gateway is whatever that base's ``GET /gateway/bot`` answers; otherwise
  Discord's default gateway is restored (so a process that pointed elsewhere once does not stay there).
"""

from __future__ import annotations

import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from core.errors import ConfigError

log = logging.getLogger("wanbot.discord")

DEFAULT_API_BASE = "https://discord.com/api/v10"
#: discord.py's own default, kept so it can be restored after a test or proxy run changed it.
DISCORD_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


def use_rest_base(base: str) -> None:
    """Point every discord.py REST call (bot and interaction-webhook routes) at ``base``."""
    Route.BASE = base.rstrip("/")


def is_default_base(base: str) -> bool:
    return base.rstrip("/") == DEFAULT_API_BASE


async def resolve_gateway(http: discord.http.HTTPClient, api_base: str, explicit: str | None) -> yarl.URL:
    """The gateway to connect to: explicit setting, else the base's ``/gateway/bot``, else Discord's."""
    if explicit:
        return yarl.URL(explicit)
    if is_default_base(api_base):
        return DISCORD_GATEWAY
    try:
        _, url, _ = await http.get_bot_gateway()
    except discord.GatewayNotFound as exc:
        raise ConfigError(
            f"{api_base} did not answer GET /gateway/bot; set DISCORD_GATEWAY_URL explicitly"
        ) from exc
    return yarl.URL(url)


def use_gateway(url: yarl.URL) -> None:
    """Make discord.py's websocket connect (and re-identify after an invalidated session) to ``url``."""
    DiscordWebSocket.DEFAULT_GATEWAY = url
    log.info("Discord gateway: %s", url)
