"""``WANBOT_VOTE_EMOJI`` (issue 13 votes): read as an emoji key, ``👍`` unset, one sentence when it is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config_errors import sentences
from bot.settings import Settings


def test_the_vote_emoji_is_read_as_a_key_and_a_wrong_one_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANBOT_VOTE_EMOJI", raising=False)
    assert Settings().vote_emoji == "👍"
    monkeypatch.setenv("WANBOT_VOTE_EMOJI", ":fire:")
    assert Settings().vote_emoji == "🔥"
    monkeypatch.setenv("WANBOT_VOTE_EMOJI", "thumbs up")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert sentences(info.value) == [
        "WANBOT_VOTE_EMOJI must be one emoji (like 👍 or :fire:) or off, not 'thumbs up'"]
