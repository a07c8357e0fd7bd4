"""Issue 13 on Discord: operator-only problems go to the admin channel; budget alerts at 80 %, once a period.

Through the real discord.py client against the fake Discord; the sandbox answers ``Arrearage`` when a
prompt carries ``[[sandbox:arrearage]]`` (``sandbox.config``).
"""

from __future__ import annotations

from typing import Any

from tests.discord.conftest import job_id_of, status_id


async def _video(env: Any, bot: Any, prompt: str, **options: Any) -> Any:
    fake = env.fake
    inter = await fake.slash(fake.alice, "video", prompt=prompt, **options)
    await fake.wait_for(lambda: fake.message_of(inter) is not None)
    return await bot.rt.engine.wait(job_id_of(fake, status_id(fake, inter)), timeout=60)


def _in(fake: Any, channel_id: int) -> list[str]:
    return [m.content for m in fake.messages.values() if m.channel_id == channel_id and m.content]


async def test_arrearage_goes_to_the_admins_once_and_the_requester_reads_no_billing_detail(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    admin_channel = fake.guild.channel_ids[1]
    env.overrides["discord_admin_channel"] = str(admin_channel)
    bot = await env.start()

    first = await _video(env, bot, "a kite [[sandbox:arrearage]]", duration=2)
    second = await _video(env, bot, "a boat [[sandbox:arrearage]]", duration=2)
    assert (first.state.value, first.error_code, second.error_code) == ("FAILED", "Arrearage", "Arrearage")
    neutral = "wanbot can't start videos right now; the admins have been told."
    assert first.error_message == second.error_message == neutral
    status = fake.messages[status_id(fake, fake.interactions[max(fake.interactions)])]
    # The job is FAILED in the store before its status edit lands (an edit may be retried under load).
    await fake.wait_for(lambda: neutral in str(status.embeds))
    shown = str(status.embeds)
    assert neutral in shown and "credit" not in shown and "Arrearage" not in shown

    # One incident, one notice, with what the operator needs: job, code, request id.
    notices = await fake.wait_for(lambda: _in(fake, admin_channel) or None)
    assert len(notices) == 1
    assert notices[0].startswith(f"wanbot can't start videos: DashScope answered Arrearage for job {first.id} "
                                 "(request_id ")
    assert "request_id -" not in notices[0]
    assert all("Arrearage" not in text for text in _in(fake, fake.channel_id))


async def test_a_budget_at_80_percent_is_told_once_a_period_even_across_a_restart(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150, budgets="user:day=¥20")
    fake = env.fake
    admin_channel = fake.guild.channel_ids[1]
    env.overrides["discord_admin_channel"] = str(admin_channel)
    bot = await env.start()

    def alerts() -> list[str]:
        return [t for t in _in(fake, fake.channel_id) if "budget" in t]

    await _video(env, bot, "a fox", duration=15)  # 720P: ¥9.00, 45 %
    assert alerts() == [] and _in(fake, admin_channel) == []
    await _video(env, bot, "a hare", duration=12)  # ¥16.20: 81 %
    told = await fake.wait_for(lambda: alerts() or None)
    assert told == [f"<@{fake.alice.id}> your daily budget is at 81%: ¥16.20 of ¥20.00 used."]
    admins = await fake.wait_for(lambda: _in(fake, admin_channel) or None)
    assert len(admins) == 1
    assert admins[0].startswith("Budget alert: alice's daily budget at 81% (¥16.20 of ¥20.00) after job ")

    await bot.stop()  # stored: a restart does not say it again in the same day
    bot = await env.start()
    await _video(env, bot, "an owl", duration=2)  # ¥17.40: 87 %
    assert alerts() == told and len(_in(fake, admin_channel)) == 1
