"""``WANBOT_DELIVERY_WORKERS``: how many finished videos are downloaded and uploaded at once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from core.config import EngineConfig


def test_the_default_reaches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANBOT_DELIVERY_WORKERS", raising=False)
    settings = Settings(_env_file=None)
    assert settings.engine_config().delivery_workers == EngineConfig().delivery_workers == 4


def test_the_setting_reaches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_DELIVERY_WORKERS", "12")
    assert Settings(_env_file=None).engine_config().delivery_workers == 12


@pytest.mark.parametrize("bad", ["0", "33", "-1", "four", "2.5"])
def test_a_bad_value_is_refused_in_one_sentence(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("WANBOT_DELIVERY_WORKERS", bad)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    [error] = refused.value.errors()
    assert error["msg"] == (f"Value error, WANBOT_DELIVERY_WORKERS must be a whole number from 1 to 32 "
                            f"(uploads at once), not {bad!r}")
