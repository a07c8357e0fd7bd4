"""Settings read the variables users know, keep secrets secret, and match .env.example."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


#: A variable in .env.example: commented out, with its default (``# WANBOT_LOG_LEVEL=INFO``).
_LISTED = re.compile(r"^# ([A-Z][A-Z0-9_]*)=")


def _env_example_names() -> set[str]:
    return {m.group(1) for line in (ROOT / ".env.example").read_text().splitlines() if (m := _LISTED.match(line))}


def test_env_example_sets_nothing_when_copied() -> None:
    """Docker's --env-file and python-dotenv both skip lines starting with ``#``: nothing may be left."""
    live = [line for line in (ROOT / ".env.example").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    assert live == []


def _settings_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices), alias
        name = alias.choices[0]
        assert isinstance(name, str), name  # the environment variable's name, not an AliasPath
        names.add(name)
    return names


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    assert _env_example_names() == _settings_names()


def test_no_key_means_sandbox_and_secrets_do_not_print(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _settings_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    assert Settings().uses_sandbox
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-very-secret")
    settings = Settings()
    assert not settings.uses_sandbox
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.model_dump())


def test_official_sdk_base_url_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", "http://127.0.0.1:9/api/v1")
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    settings = Settings()
    assert settings.dashscope_base_url == "http://127.0.0.1:9/api/v1" and not settings.uses_sandbox


def test_price_overrides_and_engine_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_PRICES", "wan2.7-t2v:720P=0.5, wan2.7-image=0.25")
    monkeypatch.setenv("WANBOT_MAX_IN_FLIGHT", "2")
    config = Settings().engine_config()
    assert config.max_in_flight == 2
    assert config.price_overrides == {"wan2.7-t2v:720P": Decimal("0.5"), "wan2.7-image": Decimal("0.25")}


def test_blank_tokens_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    assert Settings().discord_token is None


def test_a_copied_env_example_runs_on_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cp .env.example .env` leaves many variables empty: empty means "use the default", not ""."""
    for name in _settings_names():
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.uses_sandbox and settings.discord_guild_id is None and settings.discord_token is None
    assert settings.engine_config().max_in_flight == 5


def test_a_copied_env_example_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: the copied file used to turn WANBOT_LOG_LEVEL=INFO on (set, not default: the console's
    quiet mode checks that) and its SQLite/workdir paths overrode the Docker image's /data ones."""
    for name in _settings_names():
        monkeypatch.delenv(name, raising=False)
    bare, copied = tmp_path / "bare", tmp_path / "copied"
    bare.mkdir()
    copied.mkdir()
    (copied / ".env").write_text((ROOT / ".env.example").read_text())
    monkeypatch.chdir(bare)
    without = Settings()
    monkeypatch.chdir(copied)
    with_copy = Settings()
    assert with_copy.model_fields_set == without.model_fields_set == set()
    assert with_copy.model_dump() == without.model_dump()


def test_replica_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_REPLICA_ID", "bot-2")
    monkeypatch.setenv("WANBOT_LEASE_SECONDS", "12")
    config = Settings().engine_config()
    assert (config.replica_id, config.lease_seconds) == ("bot-2", 12.0)


# -- the media host's settings (bot.media_host) ------------------------------------------------------------


@pytest.mark.parametrize("value", ["wanbot.example.com", "ftp://wanbot.example.com", "https://", "https://x.io/?a=1",
                                   "https://x.io/#top", "https://user:pw@x.io", "javascript:alert(1)"])
def test_a_bad_public_url_stops_start_up_with_one_sentence(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WANBOT_PUBLIC_URL", value)
    with pytest.raises(ValidationError, match="WANBOT_PUBLIC_URL must be the http"):
        Settings()
    assert main(["doctor"]) == 2
    out = " ".join(capsys.readouterr().err.split())
    assert "Configuration problem" in out and "WANBOT_PUBLIC_URL must be the http(s) address" in out


def test_a_public_url_is_kept_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_PUBLIC_URL", "https://wanbot.example.com/bot/")
    assert Settings().public_url == "https://wanbot.example.com/bot"
    monkeypatch.setenv("WANBOT_PUBLIC_URL", "http://10.0.0.5:3000")
    assert Settings().public_url == "http://10.0.0.5:3000"
    monkeypatch.setenv("WANBOT_PUBLIC_URL", " ")
    assert Settings().public_url is None


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "thirty", "3651"])
def test_a_bad_retention_stops_start_up_with_one_sentence(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_MEDIA_RETENTION_DAYS", value)
    with pytest.raises(ValidationError, match="WANBOT_MEDIA_RETENTION_DAYS must be a whole number of days"):
        Settings()


def test_media_defaults_and_the_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _settings_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.media_retention_days == 30 and settings.public_url is None and settings.media_secret is None
    assert settings.media_root() == Path("wanbot-media")  # beside ./wanbot.db
    assert Settings(database_url="sqlite:////data/db/wanbot.db").media_root() == Path("/data/db/wanbot-media")
    assert Settings(database_url="postgresql://u:p@db/wanbot").media_root() == Path("wanbot-media")
    monkeypatch.setenv("WANBOT_MEDIA_DIR", str(tmp_path / "kept"))
    assert Settings().media_root() == tmp_path / "kept"
    monkeypatch.setenv("WANBOT_MEDIA_SECRET", "short")
    with pytest.raises(ValidationError, match="WANBOT_MEDIA_SECRET must be at least 16 characters"):
        Settings()
    monkeypatch.setenv("WANBOT_MEDIA_SECRET", "a-long-enough-media-secret")
    settings = Settings()
    assert "a-long-enough-media-secret" not in repr(settings)
