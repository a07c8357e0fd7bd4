"""A slash command is acknowledged before bolt's 3 s even when its job is not stored yet: "working on it",
then the outcome (the status message, or a refusal) — never a "didn't call ack()" failure for a job that
is stored and will run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import adapters.slack.commands as commands_module
from tests.slack.conftest import SlackBot, until


def _hold_inserts(bot: SlackBot, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Inserts wait until the returned event is set (a slow or busy database)."""
    assert bot.rt is not None
    store = bot.rt.engine.store
    original = store.insert
    release = asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> None:
        await release.wait()
        await original(*args, **kwargs)

    monkeypatch.setattr(store, "insert", held)
    return release


async def test_a_job_stored_late_is_acknowledged_as_working_then_its_status_appears(
    make_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands_module, "ACK_AFTER", 0.0)  # "late" = at once, so nothing waits
    bot = await make_bot()
    release = _hold_inserts(bot, monkeypatch)

    status, text = await bot.command("video a lighthouse at dusk --duration 2")
    assert status == 200  # answered while the job is still not stored: before the fix, bolt's 404
    assert "Working on it" in json.loads(text)["text"]
    assert bot.status_messages() == []
    release.set()
    await until(lambda: len(bot.status_messages()) == 1, what="the status message")
    assert bot.status_messages()[0].channel == "C_MEMBER"
    assert all("Working on it" in t for t in bot.ephemeral_texts())  # no failure, no second answer


async def test_a_refusal_after_working_on_it_reaches_the_user_privately(
    make_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands_module, "ACK_AFTER", 0.0)
    bot = await make_bot(per_user_cap=1)
    first, _ = await bot.command("video one --duration 2")
    assert first == 200
    await until(lambda: len(bot.status_messages()) == 1, what="the first status message")
    release = _hold_inserts(bot, monkeypatch)

    status, text = await bot.command("video two --duration 2")
    assert status == 200 and "Working on it" in json.loads(text)["text"]
    release.set()
    await until(lambda: any("limit" in t.lower() or "in progress" in t.lower() for t in bot.ephemeral_texts()),
                what="the refusal")
    assert len(bot.status_messages()) == 1
