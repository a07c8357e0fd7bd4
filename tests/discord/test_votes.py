"""Votes and winners on Discord (issue 13), through the real discord.py client against the fake Discord:
👍 reactions (raw gateway events, sent only because the client asks for the reactions intent) on a
result's messages are votes — one per person, not the maker's own, not another emoji —, un-reacting takes
the vote back, ``/wan history`` shows the counts, ``/wan top`` lists the winners (ties: the earlier first)
with **Promote**, which renders the winner again at 1080P with the same seed in its idea's thread, billed to
whoever promoted it; the votes survive a restart. An approver's ✅ on a pending approval approves it;
anyone else's ✅ does nothing."""

from __future__ import annotations

from typing import Any

from core.ideas import thread_of
from core.jobs import JobState
from tests.discord.conftest import BotEnv, button_ids, ephemeral_reply, job_id_of, status_id
from tests.fakes.discord_server import MEMBER_PERMISSIONS, FakeDiscord
from tests.fakes.until import until

MANAGER = MEMBER_PERMISSIONS | (1 << 4)  # Manage Channels


async def _made(env: BotEnv, bot: Any, user: Any, prompt: str) -> Any:
    fake = env.fake
    inter = await fake.slash(user, "video", prompt=prompt, duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    job = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, inter)), timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    return job


async def _top(fake: FakeDiscord, caller: Any, **options: Any) -> tuple[int, str]:
    inter = await fake.slash(caller, "top", **options)
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.type == 4 and callback.data.get("flags", 0) & 64, "top answers privately"
    msg = fake.message_of(inter)
    assert msg is not None
    embed = callback.data["embeds"][0]
    return msg.id, f"{embed['title']}\n{embed.get('description') or ''}"


async def _counts(bot: Any, *job_ids: str) -> dict[str, int]:
    counts: dict[str, int] = await bot.rt.store.votes.counts(list(job_ids))
    return counts


async def test_votes_top_and_promote_survive_a_restart(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300, threads_default=True)
    fake = env.fake
    bot = await env.start()
    first = await _made(env, bot, fake.alice, "a lighthouse at dusk")
    second = await _made(env, bot, fake.bob, "a red fox in the snow")
    _, empty = await _top(fake, fake.alice)
    assert "No votes on this week's results here yet. React 👍" in empty

    up, status = int(first.delivered_ref.message_id), int(first.status_ref.message_id)
    assert fake.messages[up].channel_id != fake.channel_id  # the video is in the idea's thread
    assert await fake.react(fake.bob, up) == 1  # the client identified with the reactions intent
    await fake.react(fake.mod, status, "👍🏽")  # on the status message in the channel, another skin tone
    await fake.react(fake.bob, status)  # Bob again: still one vote
    await fake.react(fake.alice, up)  # the maker's own: not a vote
    await fake.react(fake.alice, int(second.delivered_ref.message_id), "🔥")  # not the vote emoji
    await fake.react(fake.alice, int(second.delivered_ref.message_id))
    await until(lambda: _wait_counts(bot, {first.id: 2, second.id: 1}), "two and one votes", timeout=30)

    history = await fake.slash(fake.alice, "history")
    await fake.wait_for(lambda: fake.response_to(history))
    assert "👍 2" in fake.response_to(history).data["embeds"][0]["description"]

    message_id, text = await _top(fake, fake.mod)
    assert text.index(first.id) < text.index(second.id)
    # (as plain text: the rank's "1." escaped, so Discord shows it rather than making a list)
    assert f"1\\. {first.id} · 2 vote(s) · by alice" in text and f"2\\. {second.id} · 1 vote(s) · by bob" in text
    assert "<@" not in text and f"seed {first.request.seed}" in text and "720P" in text
    assert f"https://discord.com/channels/{fake.guild.id}/" in text  # a link to each
    assert button_ids(fake, message_id) == [f"wan:promote:{first.id}", f"wan:promote:{second.id}"]

    await fake.unreact(fake.bob, status)  # not where Bob's vote was made: it stays
    await fake.unreact(fake.mod, status, "👍🏽")
    await until(lambda: _wait_counts(bot, {first.id: 1, second.id: 1}), "Mod's vote taken back", timeout=30)
    _, tied = await _top(fake, fake.alice, window="all")
    assert tied.index(first.id) < tied.index(second.id)  # a tie: the earlier result first

    await bot.stop()
    bot = await env.start()  # a new process: the votes are in the database
    message_id, text = await _top(fake, fake.bob, window="today")
    assert first.id in text and second.id in text
    promoted = await fake.click(fake.bob, message_id, f"wan:promote:{first.id}")
    said = await ephemeral_reply(fake, promoted)
    assert "1080P" in said and "in the idea's thread" in said

    async def made() -> Any:
        jobs = await bot.rt.engine.recent_jobs("discord", str(fake.guild.id), str(fake.bob.id), limit=5)
        return next((j for j in jobs if getattr(j.request, "resolution", None) == "1080P"), None)

    job = await until(made, "the promoted job", timeout=30)
    assert job.request.seed == first.request.seed and job.request.prompt == first.request.prompt
    assert job.requester.user_id == str(fake.bob.id)  # Bob's, billed to Bob, though Alice made the winner
    idea_thread = thread_of(first)
    assert idea_thread is not None and job.conversation.thread_id == idea_thread.thread_id  # in the idea's thread


async def _wait_counts(bot: Any, expected: dict[str, int]) -> bool:
    return await _counts(bot, *expected) == expected


async def test_an_approvers_check_mark_approves_and_nobody_elses_does(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    approvers = next(rid for rid, name in fake.guild.roles.items() if name == "video-makers")
    for name, value in (("approve_over", "5"), ("approver_role", f"<@&{approvers}>")):
        saved = await fake.slash(fake.mod, "settings", name=name, value=value, permissions=MANAGER)
        await ephemeral_reply(fake, saved)
    inter = await fake.slash(fake.alice, "video", prompt="a lighthouse", duration=10)  # ¥6: over 5
    await ephemeral_reply(fake, inter)
    public = await fake.wait_for(lambda: next((m for m in fake.messages.values() if m.interaction_id == inter.id
                                               and m.via == "webhook" and not m.ephemeral), None))
    ask_id = button_ids(fake, public.id)[0].removeprefix("wan:approve:")

    async def state() -> str:
        ask = await bot.rt.store.spend.get(ask_id)
        return str(ask.state)

    await fake.react(fake.alice, public.id, "✅")  # the requester is no approver
    await fake.react(fake.bob, public.id, "✅")  # nor is Bob without the role
    await fake.react(fake.bob, public.id, "👍", roles=[approvers])  # an approver, but not ✅
    def reads() -> int:  # only a ✅ reads the message (which approval it is)
        return len([r for r in fake.requests if r[0] == "GET" and r[1].endswith(f"/messages/{public.id}")])

    await until(lambda: reads() >= 2, "both ✅ read the message", timeout=30)
    assert await state() == "pending" and env.creates == []

    await fake.react(fake.bob, public.id, "✅", roles=[approvers])
    async def started() -> Any:
        ask = await bot.rt.store.spend.get(ask_id)
        return ask if ask is not None and ask.state == "started" and ask.job_ids else None

    ask = await until(started, "approved by the ✅ and started", timeout=30)
    assert ask.decided_by == str(fake.bob.id)
    job = await bot.rt.engine.get(ask.job_ids[0])
    assert job is not None and job.requester.user_id == str(fake.alice.id)  # Alice's job, approved by Bob
