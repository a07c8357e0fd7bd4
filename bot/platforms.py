"""Each chat adapter's plain config object, read from ``Settings`` (adapters never import ``bot``)."""

from __future__ import annotations

from adapters.discord.config import DiscordConfig
from adapters.slack.config import SlackConfig
from bot.settings import Settings
from core.errors import ConfigError


def discord_config(settings: Settings) -> DiscordConfig:
    if settings.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set", code="DiscordNotConfigured")
    return DiscordConfig(token=settings.discord_token.get_secret_value(), api_base=settings.discord_api_base,
                         gateway_url=settings.discord_gateway_url, guild_id=settings.discord_guild_id,
                         locale=settings.locale)


def slack_config(settings: Settings) -> SlackConfig:
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set", code="SlackNotConfigured")
    secret = settings.slack_signing_secret
    app_token = settings.slack_app_token
    return SlackConfig(bot_token=settings.slack_bot_token.get_secret_value(),
                       app_token=app_token.get_secret_value() if app_token else None,
                       signing_secret=secret.get_secret_value() if secret else None,
                       api_url=settings.slack_api_url, locale=settings.locale)


__all__ = ["discord_config", "slack_config"]
