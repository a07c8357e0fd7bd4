"""``WANBOT_LOCALE`` (issue 14, item 6): the tags people write for the two languages wanbot speaks, and one
sentence for anything else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config_errors import sentences
from bot.settings import Settings


@pytest.mark.parametrize(("given", "kept"), [
    ("en", "en"), ("en-US", "en"), ("zh-CN", "zh-CN"), ("zh", "zh-CN"), ("zh_CN", "zh-CN"), ("zh-Hans", "zh-CN"),
    ("zh-TW", "zh-CN"),
])
def test_spoken_locales_are_normalised(given: str, kept: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_LOCALE", given)
    assert Settings(_env_file=None).locale == kept


def test_the_default_is_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANBOT_LOCALE", raising=False)
    assert Settings(_env_file=None).locale == "en"


def test_a_language_wanbot_does_not_speak_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_LOCALE", "fr")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert sentences(caught.value) == [
        "WANBOT_LOCALE must be en or zh-CN (zh, zh_CN and zh-Hans mean zh-CN), not 'fr'"]
