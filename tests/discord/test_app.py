"""``wanbot run`` builds Discord from its plain config and hands its runner the ``AdapterHost``."""

from __future__ import annotations

from adapters.discord.port import DiscordPort
from bot import run
from bot.settings import Settings


def test_wanbot_run_builds_discord_from_discord_config_and_hosts_it() -> None:
    platform = next(p for p in run.PLATFORMS if p.name == "Discord")
    assert platform.build is not None
    settings = Settings(discord_token="MTIz.discord.token", discord_api_base="http://127.0.0.1:9/api/v10",
                        discord_guild_id=42)
    port, runner = platform.build(settings)
    assert isinstance(port, DiscordPort) and callable(runner)
    client = port._client
    config = client.config  # type: ignore[attr-defined]
    assert (config.token, config.api_base, config.guild_id) == ("MTIz.discord.token", "http://127.0.0.1:9/api/v10", 42)
    assert "MTIz" not in repr(config)
