"""Per-channel settings (``store.settings`` and ``core.channel_settings``) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.channel_settings import SETTINGS, parse_setting, resolve
from core.errors import InvalidRequest
from core.store import JobStore


async def test_settings_merge_remove_and_stay_per_channel(store: JobStore) -> None:
    assert await store.settings.get("slack", "T1", "C1") == {}
    assert await store.settings.update("slack", "T1", "C1", {"threads": False}, by="U1") == {"threads": False}
    await store.settings.update("slack", "T1", "C1", {"other": 3}, by="U1")
    assert await store.settings.get("slack", "T1", "C1") == {"threads": False, "other": 3}
    assert await store.settings.get("slack", "T1", "C2") == {}
    assert await store.settings.get("slack", None, "C1") == {}
    await store.settings.update("slack", "T1", "C1", {"threads": None}, by="U2")
    assert await store.settings.get("slack", "T1", "C1") == {"other": 3}


async def test_settings_survive_a_reopen(db_url: str) -> None:
    async with await JobStore.open(db_url) as first:
        await first.settings.update("discord", "G1", "42", {"threads": False}, by="7")
    async with await JobStore.open(db_url) as second:
        assert resolve(await second.settings.get("discord", "G1", "42"))["threads"] is False


def test_typed_values_parse_or_get_one_sentence() -> None:
    assert parse_setting("Threads", "off") == ("threads", False)
    assert parse_setting("threads", "ON") == ("threads", True)
    with pytest.raises(InvalidRequest, match="threads takes on or off, not 'maybe'"):
        parse_setting("threads", "maybe")
    with pytest.raises(InvalidRequest, match="'colour' is not a channel setting"):
        parse_setting("colour", "red")


def test_resolve_fills_defaults_and_drops_unknown_keys() -> None:
    assert resolve({"bogus": 1}) == {name: s.default for name, s in SETTINGS.items()}
