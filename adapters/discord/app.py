"""``build(config)`` → (port, runner): how ``wanbot run`` starts Discord (see ``bot.run``).

The port exists before the client connects (the engine needs it to resume jobs); the runner receives
the ``AdapterHost`` (the use cases and the catalogue), hands it to the handlers, points discord.py's
REST base at ``DiscordConfig.api_base`` before login, runs the client until cancelled, and always
closes it (websocket and HTTP session) on the way out. ``client_options`` reach ``discord.Client``
(tests pass a short ``guild_ready_timeout``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from adapters.discord.client import WanClient
from adapters.discord.config import DiscordConfig
from adapters.discord.endpoints import use_rest_base
from adapters.discord.port import DiscordPort
from adapters.host import AdapterHost
from core.messages import Messages

Runner = Callable[[AdapterHost], Coroutine[Any, Any, None]]


def build(config: DiscordConfig, **client_options: Any) -> tuple[DiscordPort, Runner]:
    client = WanClient(config, Messages(config.locale), **client_options)

    async def runner(host: AdapterHost) -> None:
        client.handlers.attach(host)
        use_rest_base(config.api_base)
        try:
            await client.start(config.token)
        finally:
            await client.close()

    return client.port, runner
