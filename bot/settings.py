"""Settings: every knob wanbot reads, from the environment and ``.env``.

Vendor variables keep the names their users already know (``DASHSCOPE_API_KEY``,
``DASHSCOPE_HTTP_BASE_URL`` like the official SDK; ``DISCORD_TOKEN``; ``SLACK_BOT_TOKEN`` …); wanbot's
own knobs start with ``WANBOT_``. Every variable is listed in ``.env.example``; a test keeps the two in
step. Secrets are ``SecretStr`` so they never print; URLs (which may carry a password) print redacted
(``bot.redact``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.redact import redact_url
from core.budget import parse_budgets
from core.dashscope.dialect import Dialect, parse_dialect
from core.engine import EngineConfig
from core.errors import ConfigError
from core.locale import SUPPORTED, normalise
from core.votes import DEFAULT_VOTE_EMOJI, parse_emoji

#: More uploads at once than this only split the same uplink thinner (and each may run an ffmpeg).
MAX_DELIVERY_WORKERS = 32
#: Days a kept attachment survives unused (a re-roll within them still finds it).
MEDIA_RETENTION_DAYS = 30
MAX_MEDIA_RETENTION_DAYS = 3650
#: What WANBOT_LOG_LEVEL may say (any case).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: A configured media secret shorter than this would be guessable (``bot.media_host``).
MIN_MEDIA_SECRET_LENGTH = 16


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True,
                                      populate_by_name=True)

    # -- DashScope ---------------------------------------------------------------------------------------
    dashscope_api_key: SecretStr | None = Field(None, validation_alias=_env("DASHSCOPE_API_KEY"))
    #: Full base including ``/api/v1`` (the official SDK's variable); wins over the region preset.
    dashscope_base_url: str | None = Field(None, validation_alias=_env("DASHSCOPE_HTTP_BASE_URL"))
    dashscope_region: Literal["beijing", "singapore", "intl"] = Field(
        "beijing", validation_alias=_env("DASHSCOPE_REGION")
    )
    dashscope_workspace_id: str | None = Field(None, validation_alias=_env("DASHSCOPE_WORKSPACE_ID"))
    #: The API dialect behind the base URL: ``dashscope`` (default) or a gateway preset such as ``v1-tasks``,
    #: optionally followed by route/shape overrides (``core.dashscope.dialect``).
    dashscope_gateway: str = Field("", validation_alias=_env("WANBOT_DASHSCOPE_GATEWAY"))

    # -- engine ------------------------------------------------------------------------------------------
    database_url: str = Field("sqlite:///./wanbot.db", validation_alias=_env("WANBOT_DATABASE_URL"))
    workdir: Path = Field(Path("./wanbot-work"), validation_alias=_env("WANBOT_WORKDIR"))
    max_in_flight: int = Field(5, ge=1, validation_alias=_env("WANBOT_MAX_IN_FLIGHT"))
    per_user_cap: int = Field(3, ge=1, validation_alias=_env("WANBOT_PER_USER_CAP"))
    cooldown: float = Field(0.0, ge=0, validation_alias=_env("WANBOT_COOLDOWN"))
    #: e.g. ``user:day=120s, user:month=¥300, workspace:month=¥2000`` (see core/budget.py).
    budgets: str = Field("", validation_alias=_env("WANBOT_BUDGETS"))
    #: Issue 13: where operator-only problems and budget alerts go (a channel id); unset → logged at ERROR.
    discord_admin_channel: str | None = Field(None, validation_alias=_env("DISCORD_ADMIN_CHANNEL"))
    slack_admin_channel: str | None = Field(None, validation_alias=_env("SLACK_ADMIN_CHANNEL"))
    #: This process's name among replicas sharing one database (default: the host name).
    replica_id: str | None = Field(None, validation_alias=_env("WANBOT_REPLICA_ID"))
    lease_seconds: float = Field(30.0, ge=2, validation_alias=_env("WANBOT_LEASE_SECONDS"))
    #: Where budget days and months begin (an IANA zone name).
    timezone: str = Field("UTC", validation_alias=_env("WANBOT_TIMEZONE"))
    queries_per_second: float = Field(10.0, gt=0, le=20, validation_alias=_env("WANBOT_QUERIES_PER_SECOND"))
    poll_interval: float = Field(1.0, gt=0, validation_alias=_env("WANBOT_POLL_INTERVAL"))
    #: Time each look at a task from how long its kind took here (off: every ``poll_interval``).
    predictive_polling: bool = Field(True, validation_alias=_env("WANBOT_PREDICTIVE_POLLING"))
    task_timeout: float = Field(4 * 3600.0, gt=0, validation_alias=_env("WANBOT_TASK_TIMEOUT"))
    #: Finished videos downloaded and uploaded at once (see ``EngineConfig.delivery_workers``).
    delivery_workers: int = Field(EngineConfig.delivery_workers, validation_alias=_env("WANBOT_DELIVERY_WORKERS"))
    #: A thread per idea in channels that have not chosen (``/wan settings threads on|off`` wins).
    threads_default: bool = Field(True, validation_alias=_env("WANBOT_THREADS"))
    #: Issue 13 votes: the reaction that counts as a vote where a channel has not chosen (``vote_emoji``).
    vote_emoji: str = Field(DEFAULT_VOTE_EMOJI, validation_alias=_env("WANBOT_VOTE_EMOJI"))
    #: ``model:resolution=price`` pairs (CNY per second), e.g. ``wan2.7-t2v:720P=0.6,wan2.7-image=0.2``.
    prices: str = Field("", validation_alias=_env("WANBOT_PRICES"))
    locale: str = Field("en", validation_alias=_env("WANBOT_LOCALE"))
    log_level: str = Field("INFO", validation_alias=_env("WANBOT_LOG_LEVEL"))
    #: ``text`` (a line a person reads) or ``json`` (one object per line, for a log pipeline).
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("WANBOT_LOG_FORMAT"))

    # -- sandbox (used when no DASHSCOPE_API_KEY is set, or with --sandbox) ------------------------------
    #: Generate on the embedded sandbox even with a key, like ``--sandbox``; without a key it is what lets
    #: ``wanbot run`` start Discord/Slack on placeholder videos.
    sandbox: bool = Field(False, validation_alias=_env("WANBOT_SANDBOX"))
    sandbox_speed: float = Field(12.0, gt=0, validation_alias=_env("WANBOT_SANDBOX_SPEED"))
    sandbox_port: int = Field(0, ge=0, validation_alias=_env("WANBOT_SANDBOX_PORT"))

    # -- the bot's own HTTP server (/healthz, /metrics, Slack HTTP mode) and shutdown -------------------
    http_host: str = Field("127.0.0.1", validation_alias=_env("WANBOT_HTTP_HOST"))
    http_port: int = Field(3000, ge=0, validation_alias=_env("WANBOT_HTTP_PORT"))
    #: When set, ``/healthz`` and ``/metrics`` need ``Authorization: Bearer <token>``.
    http_token: SecretStr | None = Field(None, validation_alias=_env("WANBOT_HTTP_TOKEN"))
    #: Seconds ``wanbot run`` may take to stop after SIGTERM/SIGINT before it stops waiting.
    shutdown_timeout: float = Field(10.0, gt=0, validation_alias=_env("WANBOT_SHUTDOWN_TIMEOUT"))

    # -- attachments kept for DashScope (``bot.media_host``) ---------------------------------------------
    #: The http(s) base at which DashScope reaches this bot's HTTP server (``/media/…`` under it).
    public_url: str | None = Field(None, validation_alias=_env("WANBOT_PUBLIC_URL"))
    #: Where copies of attachments are kept (default: ``media_root()``).
    media_dir: Path | None = Field(None, validation_alias=_env("WANBOT_MEDIA_DIR"))
    media_retention_days: int = Field(MEDIA_RETENTION_DAYS, validation_alias=_env("WANBOT_MEDIA_RETENTION_DAYS"))
    #: Signs the media links; unset → generated once and kept in the media directory.
    media_secret: SecretStr | None = Field(None, validation_alias=_env("WANBOT_MEDIA_SECRET"))

    # -- the archive of delivered results (issue 13, ``core.archive``) -----------------------------------
    #: Where delivered results are archived (default: ``archive_root()``); also the S3 backend's spool.
    archive_dir: Path | None = Field(None, validation_alias=_env("WANBOT_ARCHIVE_DIR"))
    #: Archive copies older than this many days are deleted; unset (or 0) keeps them forever.
    archive_retention_days: int | None = Field(None, ge=0, validation_alias=_env("WANBOT_ARCHIVE_RETENTION_DAYS"))
    #: Set → archive to this S3-compatible bucket instead of the local directory (needs the ``s3`` extra).
    archive_s3_bucket: str | None = Field(None, validation_alias=_env("WANBOT_ARCHIVE_S3_BUCKET"))
    archive_s3_endpoint: str | None = Field(None, validation_alias=_env("WANBOT_ARCHIVE_S3_ENDPOINT"))
    archive_s3_region: str | None = Field(None, validation_alias=_env("WANBOT_ARCHIVE_S3_REGION"))
    archive_s3_access_key_id: str | None = Field(None, validation_alias=_env("WANBOT_ARCHIVE_S3_ACCESS_KEY_ID"))
    archive_s3_secret_access_key: SecretStr | None = Field(
        None, validation_alias=_env("WANBOT_ARCHIVE_S3_SECRET_ACCESS_KEY"))
    archive_s3_prefix: str = Field("", validation_alias=_env("WANBOT_ARCHIVE_S3_PREFIX"))

    # -- Discord -----------------------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    discord_api_base: str = Field("https://discord.com/api/v10", validation_alias=_env("DISCORD_API_BASE"))
    #: Explicit gateway URL; by default taken from ``GET {DISCORD_API_BASE}/gateway/bot`` when the base
    #: is not Discord's own.
    discord_gateway_url: str | None = Field(None, validation_alias=_env("DISCORD_GATEWAY_URL"))
    #: Sync commands to this guild only (instant; for development). Unset → global sync.
    discord_guild_id: int | None = Field(None, validation_alias=_env("DISCORD_GUILD_ID"))
    #: Comma-separated id lists; empty = no restriction.
    discord_allowed_guilds: str = Field("", validation_alias=_env("DISCORD_ALLOWED_GUILDS"))
    discord_allowed_channels: str = Field("", validation_alias=_env("DISCORD_ALLOWED_CHANNELS"))
    discord_allowed_roles: str = Field("", validation_alias=_env("DISCORD_ALLOWED_ROLES"))

    # -- Slack -------------------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    @field_validator("dashscope_api_key", "discord_token", "slack_bot_token", "slack_app_token",
                     "slack_signing_secret", "media_secret", "public_url", "http_token", "archive_s3_bucket",
                     "archive_s3_endpoint", "archive_s3_region", "archive_s3_access_key_id",
                     "archive_s3_secret_access_key", "archive_retention_days", "archive_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
                or "?" in text or "#" in text or parts.username or parts.password:
            raise ValueError(f"WANBOT_PUBLIC_URL must be the http(s) address where DashScope reaches this bot, "
                             f"like https://wanbot.example.com, with no query, fragment or password, not {text!r}")
        return text.rstrip("/")

    @field_validator("media_retention_days", mode="before")
    @classmethod
    def _retention_in_range(cls, value: object) -> int:
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_MEDIA_RETENTION_DAYS:
            raise ValueError(f"WANBOT_MEDIA_RETENTION_DAYS must be a whole number of days from 1 to "
                             f"{MAX_MEDIA_RETENTION_DAYS}, not {text!r}")
        return int(text)

    @field_validator("media_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_MEDIA_SECRET_LENGTH:
            raise ValueError(f"WANBOT_MEDIA_SECRET must be at least {MIN_MEDIA_SECRET_LENGTH} characters "
                             "(or unset, to have one generated)")
        return value

    def media_root(self) -> Path:
        """Where attachments are kept: ``WANBOT_MEDIA_DIR``, else ``wanbot-media`` beside the SQLite file,
        else (another database) ``./wanbot-media``."""
        if self.media_dir is not None:
            return self.media_dir
        try:
            url = make_url(self.database_url)
        except (ArgumentError, ValueError):
            return Path("wanbot-media")
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).parent / "wanbot-media"
        return Path("wanbot-media")

    def archive_root(self) -> Path:
        """Where delivered results are archived: ``WANBOT_ARCHIVE_DIR``, else ``wanbot-archive`` beside the
        SQLite file, else (another database) ``./wanbot-archive``."""
        if self.archive_dir is not None:
            return self.archive_dir
        return self.media_root().parent / "wanbot-archive" if self.media_dir is None else Path("wanbot-archive")

    @field_validator("delivery_workers", mode="before")
    @classmethod
    def _workers_in_range(cls, value: object) -> int:
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_DELIVERY_WORKERS:
            raise ValueError(f"WANBOT_DELIVERY_WORKERS must be a whole number from 1 to {MAX_DELIVERY_WORKERS} "
                             f"(uploads at once), not {text!r}")
        return int(text)

    @field_validator("dashscope_gateway")
    @classmethod
    def _gateway_parses(cls, value: str) -> str:
        try:
            parse_dialect(value)  # fail at start-up with one sentence, not at the first poll
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value

    def dialect(self) -> Dialect:
        """The routes and answer shape of the configured DashScope (or gateway)."""
        return parse_dialect(self.dashscope_gateway)

    @field_validator("budgets")
    @classmethod
    def _budgets_parse(cls, value: str) -> str:
        try:
            parse_budgets(value)  # fail at start-up with one sentence, not at the first request
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("vote_emoji", mode="before")
    @classmethod
    def _vote_emoji_parses(cls, value: object) -> str:
        try:
            return parse_emoji(str(value)) if str(value).strip() else DEFAULT_VOTE_EMOJI
        except ValueError:
            raise ValueError(f"WANBOT_VOTE_EMOJI must be one emoji (like 👍 or :fire:) or off, not {str(value)!r}") \
                from None

    @field_validator("locale", mode="before")
    @classmethod
    def _spoken_locale(cls, value: object) -> str:
        found = normalise(value)
        if found is None:
            raise ValueError(f"WANBOT_LOCALE must be {' or '.join(SUPPORTED)} (zh, zh_CN and zh-Hans mean zh-CN), "
                             f"not {str(value)!r}")
        return found

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"WANBOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {str(value)!r}")
        return level

    @field_validator("discord_allowed_guilds", "discord_allowed_channels", "discord_allowed_roles")
    @classmethod
    def _ids(cls, value: str, info: ValidationInfo) -> str:
        name = {"discord_allowed_guilds": "DISCORD_ALLOWED_GUILDS", "discord_allowed_channels":
                "DISCORD_ALLOWED_CHANNELS", "discord_allowed_roles": "DISCORD_ALLOWED_ROLES"}[str(info.field_name)]
        bad = [part for part in (p.strip() for p in value.split(",")) if part and not part.isdigit()]
        if bad:
            raise ValueError(f"{name} must be Discord ids (numbers) separated by commas, not {bad[0]!r} (turn on "
                             "Developer Mode in Discord, then right-click → Copy ID)")
        return value

    @field_validator("prices")
    @classmethod
    def _prices_parse(cls, value: str) -> str:
        for item in filter(None, (p.strip() for p in value.split(","))):
            key, sep, price = item.partition("=")
            try:
                ok = bool(sep and key.strip()) and Decimal(price.strip()) >= 0
            except ArithmeticError:
                ok = False
            if not ok:
                raise ValueError(f"WANBOT_PRICES: cannot read {item!r}; write model:resolution=yuan-per-second "
                                 "or model=yuan-per-image, e.g. wan2.7-t2v:720P=0.6, wan2.7-image=0.2")
        return value

    @classmethod
    def secret_variables(cls) -> frozenset[str]:
        """The environment variables whose values are secrets (never repeated in an error)."""
        names = set()
        for field in cls.model_fields.values():
            alias = field.validation_alias
            secret = field.annotation is not None and "SecretStr" in str(field.annotation)
            if secret and isinstance(alias, AliasChoices):
                names.add(str(alias.choices[0]))
        return frozenset(names)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from None
        return value

    @staticmethod
    def id_list(raw: str) -> frozenset[int]:
        """``"1, 2"`` → ``{1, 2}``: the allow-lists' format."""
        return frozenset(int(part) for part in (p.strip() for p in raw.split(",")) if part)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # repr() and str() show URLs without their passwords (SecretStr fields mask themselves).
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) and "://" in value else value

    @property
    def no_key(self) -> bool:
        """No key and no explicit base URL: nothing but the embedded sandbox to generate on."""
        return self.dashscope_api_key is None and self.dashscope_base_url is None

    @property
    def uses_sandbox(self) -> bool:
        """Run against the embedded sandbox: asked for (``WANBOT_SANDBOX``), or nothing else configured."""
        return self.sandbox or self.no_key

    def price_overrides(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for item in filter(None, (p.strip() for p in self.prices.split(","))):
            key, _, value = item.partition("=")
            out[key.strip()] = Decimal(value.strip())
        return out

    def engine_config(self) -> EngineConfig:
        config = EngineConfig(
            max_in_flight=self.max_in_flight,
            per_user_cap=self.per_user_cap,
            cooldown=self.cooldown,
            budgets=parse_budgets(self.budgets),
            lease_seconds=self.lease_seconds,
            timezone=self.timezone,
            queries_per_second=self.queries_per_second,
            poll_interval=self.poll_interval,
            predictive_polling=self.predictive_polling,
            task_timeout=self.task_timeout,
            delivery_workers=self.delivery_workers,
            threads_by_default=self.threads_default,
            price_overrides=self.price_overrides(),
            # A gateway without ``GET /tasks`` has nothing to sweep with.
            list_sweeps=self.dialect().can_list,
        )
        return replace(config, replica_id=self.replica_id) if self.replica_id else config
