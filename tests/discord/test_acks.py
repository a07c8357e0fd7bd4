"""A job-making interaction is always answered in time: with its status message once the job is stored, or —
when storing it takes too long — with a defer, that the status message then fills (still one message)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import adapters.discord.handlers as handlers_module
from core.jobs import JobState
from tests.discord.conftest import Bot, ephemeral_reply, job_id_of, status_messages


def _hold_inserts(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Inserts wait until the returned event is set (a slow or busy database)."""
    store = bot.rt.engine.store
    original = store.insert
    release = asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> None:
        await release.wait()
        await original(*args, **kwargs)

    monkeypatch.setattr(store, "insert", held)
    return release


async def test_a_job_stored_late_is_deferred_and_the_defer_becomes_its_status_message(
    make_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers_module, "DEFER_AFTER", 0.0)  # "too long" = at once, so nothing waits
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    release = _hold_inserts(bot, monkeypatch)

    inter = await fake.slash(fake.alice, "video", prompt="a lighthouse at dusk", duration=2)
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.type == 5 and not callback.data.get("flags", 0) & 64, "a public defer"
    assert await env.stored_job_ids() == set()  # answered while the job was not stored yet
    release.set()

    message_id = inter.message_id
    assert message_id is not None
    await fake.wait_for(lambda: fake.messages[message_id].embeds)
    assert fake.titles(message_id)[0] == "🎬 Queued"  # the "thinking…" response became the status
    job_id = job_id_of(fake, message_id)
    job = await bot.rt.engine.wait(job_id, timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    assert job.status_ref is not None and job.status_ref.message_id == str(message_id)
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(message_id))
    # The one status message: filled once through the token, then edited by channel and id as always.
    assert [e.route for e in fake.edits_of(message_id)][0] == "webhook"
    assert {e.route for e in fake.edits_of(message_id)[1:]} == {"channel"}
    assert status_messages(fake) == [message_id]
    assert [c.type for c in fake.callbacks if c.interaction_id == inter.id] == [5]


async def test_a_job_refused_after_a_defer_leaves_only_the_refusal(make_env: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers_module, "DEFER_AFTER", 0.0)
    env = await make_env(speed=150, per_user_cap=1)
    fake = env.fake
    bot = await env.start()
    first = await fake.slash(fake.alice, "video", prompt="one", duration=2)
    await fake.wait_for(lambda: fake.message_of(first) is not None and fake.message_of(first).embeds)
    release = _hold_inserts(bot, monkeypatch)

    second = await fake.slash(fake.alice, "video", prompt="two", duration=2)
    callback = await fake.wait_for(lambda: fake.response_to(second))
    assert callback.type == 5
    thinking = second.message_id
    assert thinking is not None
    release.set()
    assert "in progress" in (await ephemeral_reply(fake, second)).lower() or "limit" in (
        await ephemeral_reply(fake, second)).lower()
    await fake.wait_for(lambda: fake.messages[thinking].deleted)
    assert len(await env.stored_job_ids()) == 1


async def test_a_job_stored_in_time_is_answered_with_its_status_message_and_no_defer(make_env: Any) -> None:
    env = await make_env(speed=150)
    fake = env.fake
    await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a lighthouse at dusk", duration=2)
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.type == 4 and callback.data["embeds"][0]["title"] == "🎬 Queued"
    assert [c.type for c in fake.callbacks if c.interaction_id == inter.id] == [4]
