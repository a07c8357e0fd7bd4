"""What the Slack adapter needs to know, as plain data (built by ``bot.platforms`` from the settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    #: ``xapp-…``: set → Socket Mode.
    app_token: str | None = None
    #: Required in HTTP mode.
    signing_secret: str | None = None
    #: Web API base (``SLACK_API_URL``): the test suite points it at its fake Slack.
    api_url: str = "https://slack.com/api/"
    locale: str = "en"

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def __repr__(self) -> str:  # no token or secret ever reaches a log line
        return f"SlackConfig(api_url={self.api_url!r}, socket_mode={self.socket_mode}, tokens=***)"
