"""What the Discord adapter needs to know, as plain data (built by ``bot.platforms`` from the settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiscordConfig:
    token: str
    #: REST base (``DISCORD_API_BASE``): a proxy, or the test suite's fake Discord.
    api_base: str = "https://discord.com/api/v10"
    #: An explicit gateway (``DISCORD_GATEWAY_URL``); by default asked of ``api_base``.
    gateway_url: str | None = None
    #: Sync ``/wan`` to this one server only (``DISCORD_GUILD_ID``).
    guild_id: int | None = None
    locale: str = "en"

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"DiscordConfig(api_base={self.api_base!r}, guild_id={self.guild_id!r}, token=***)"
