"""Issue 14 on Discord: who is named and who is pinged, through the real discord.py client and the fake.

The status message and the upload name the requester as ``<@id>`` with no mention allowed (no ping); when
the job is done or failed one new message pings the requester alone (``allowed_mentions`` naming that user,
nothing parsed: no roles, no @everyone); ``/wan notify off`` keeps the naming and drops the ping, and the
choice survives a restart.
"""

from __future__ import annotations

from typing import Any

from core.jobs import Job, JobState
from tests.discord.conftest import ephemeral_reply, job_id_of, status_id
from tests.fakes.discord_fake.payloads import Message

NONE: dict[str, list[int]] = {"parse": []}


async def _video(env: Any, bot: Any, prompt: str, user: Any = None) -> tuple[Job, int]:
    fake = env.fake
    inter = await fake.slash(user or fake.alice, "video", prompt=prompt, duration=2)
    await fake.wait_for(lambda: fake.message_of(inter) is not None)
    status = status_id(fake, inter)
    return await bot.rt.engine.wait(job_id_of(fake, status), timeout=30), status


def _pings(fake: Any) -> list[Message]:
    """The bot's channel messages that allowed any mention."""
    return [m for m in fake.messages.values() if m.allowed_mentions not in (None, NONE) and m.via == "channel"]


async def _settled(fake: Any, status: int, title: str) -> None:
    await fake.wait_for(lambda: title in fake.titles(status))


async def test_done_pings_the_requester_alone_once_with_a_link_and_the_status_names_them(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    job, status = await _video(env, bot, "a fox @everyone <@&123> @here")
    assert job.state is JobState.DELIVERED
    await _settled(fake, status, "🎬 Done")
    ping = (await fake.wait_for(lambda: _pings(fake) or None))[0]

    # Named on the status message (a mention in an embed never pings) and in the upload's caption.
    fields = {f["name"]: f["value"] for f in fake.messages[status].embeds[0]["fields"]}
    assert fields["Requested by"] == f"<@{fake.alice.id}>"
    upload = fake.messages[fake.uploads[0].message_id]
    assert upload.content.endswith(f"requested by <@{fake.alice.id}>") and upload.allowed_mentions == NONE
    # Every status post and edit allowed nobody; the one ping allows alice alone, whatever the prompt says.
    assert [allowed for _, allowed in fake.mentions if allowed != NONE] == [ping.allowed_mentions]
    assert ping.allowed_mentions == {"parse": [], "users": [fake.alice.id]}
    jump = f"https://discord.com/channels/{fake.guild.id}/{fake.channel_id}/{upload.id}"
    assert ping.content == f"<@{fake.alice.id}> your video is ready: {jump}"
    assert "everyone" not in ping.content and "&123" not in ping.content
    assert len(_pings(fake)) == 1
    stored = await env.job(bot, job.id)
    assert stored.extra.get("requester_notified") == "sent"


async def test_failed_pings_the_requester_with_the_reason(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    job, status = await _video(env, bot, "a kite [[sandbox:fail]]", user=fake.bob)
    assert job.state is JobState.FAILED
    ping = (await fake.wait_for(lambda: _pings(fake) or None))[0]
    assert ping.allowed_mentions == {"parse": [], "users": [fake.bob.id]}
    assert ping.content.startswith(f"<@{fake.bob.id}> your job {job.id} did not finish: ")
    assert job.error_message and job.error_message[:40] in ping.content
    fields = {f["name"]: f["value"] for f in fake.messages[status].embeds[0]["fields"]}
    assert fields["Requested by"] == f"<@{fake.bob.id}>"


async def test_notify_off_names_without_pinging_and_survives_a_restart(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    off = await fake.slash(fake.alice, "notify", choice="off")
    assert "won't be pinged" in await ephemeral_reply(fake, off)
    job, status = await _video(env, bot, "a quiet fox")
    assert job.state is JobState.DELIVERED
    await _settled(fake, status, "🎬 Done")
    await fake.wait_for(lambda: (env_job := bot.rt.engine.peek(job.id)) is not None
                        and env_job.extra.get("requester_notified") == "opted_out")
    assert _pings(fake) == []
    upload = fake.messages[fake.uploads[0].message_id]
    assert upload.content.endswith(f"requested by <@{fake.alice.id}>")  # still named

    # A restart reads the choice from the database: still no ping; bob, who never opted out, is pinged.
    await bot.stop()
    bot = await env.start()
    shown = await fake.slash(fake.alice, "notify")
    assert "not pinged" in await ephemeral_reply(fake, shown)
    again, _ = await _video(env, bot, "another quiet fox")
    theirs, _ = await _video(env, bot, "bob's fox", user=fake.bob)
    assert (again.state, theirs.state) == (JobState.DELIVERED, JobState.DELIVERED)
    pinged = await fake.wait_for(lambda: _pings(fake) or None)
    await fake.wait_for(lambda: (j := bot.rt.engine.peek(again.id)) is not None
                        and j.extra.get("requester_notified") == "opted_out")
    assert [m.allowed_mentions for m in pinged] == [{"parse": [], "users": [fake.bob.id]}]

    on = await fake.slash(fake.alice, "notify", choice="on")
    assert "You'll be pinged" in await ephemeral_reply(fake, on)
    back, _ = await _video(env, bot, "a loud fox")
    await fake.wait_for(lambda: len(_pings(fake)) == 2)
    assert _pings(fake)[-1].content.startswith(f"<@{fake.alice.id}> your video is ready")
    assert back.state is JobState.DELIVERED
