"""``build(settings)`` → (port, runner): how ``wanbot run`` starts Discord (see ``bot.run``).

The port exists before the client connects (the engine needs it to resume jobs); the runner attaches
the running engine to the client, points discord.py's REST base at ``DISCORD_API_BASE`` before login,
runs the client until cancelled, and always closes it (websocket and HTTP session) on the way out.
``client_options`` reach ``discord.Client`` (tests pass a short ``guild_ready_timeout``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from adapters.discord.access import AccessPolicy
from adapters.discord.actions import Actions, Services
from adapters.discord.client import WanClient
from adapters.discord.endpoints import use_rest_base
from adapters.discord.images import Images
from adapters.discord.port import DiscordPort
from bot.runtime import Runtime
from bot.settings import Settings
from core.errors import ConfigError
from core.messages import Messages

Runner = Callable[[Runtime], Coroutine[Any, Any, None]]


def build(settings: Settings, **client_options: Any) -> tuple[DiscordPort, Runner]:
    if settings.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set")
    token = settings.discord_token.get_secret_value()
    client = WanClient(settings, Messages(settings.locale), **client_options)

    async def runner(rt: Runtime) -> None:
        services = Services(engine=rt.engine, messages=rt.messages, access=AccessPolicy.from_settings(settings))
        client.attach(Actions(services, client.port),
                      Images(rt.client, workdir=settings.workdir, messages=rt.messages))
        use_rest_base(settings.discord_api_base)
        try:
            await client.start(token)
        finally:
            await client.close()

    return client.port, runner
