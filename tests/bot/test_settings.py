"""Settings read the variables users know, keep secrets secret, and match .env.example."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import AliasChoices

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _env_example_names() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0])
    return names


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


def test_replica_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_REPLICA_ID", "bot-2")
    monkeypatch.setenv("WANBOT_LEASE_SECONDS", "12")
    config = Settings().engine_config()
    assert (config.replica_id, config.lease_seconds) == ("bot-2", 12.0)
