"""Every action on a job is scoped: its own guild (or DM) and channel, and the owner or a moderator there.

Payloads are forged the way an attacker would: a real job's button ``custom_id`` or Remix modal, sent
from another channel, another guild or a DM. Each is "not found" and creates nothing.
"""

from __future__ import annotations

from core.jobs import JobState
from tests.discord.conftest import button_ids, ephemeral_reply, job_id_of, status_id, status_messages
from tests.fakes.discord_server import MANAGE_MESSAGES, MEMBER_PERMISSIONS


async def test_forged_payloads_from_elsewhere_find_nothing(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    other_guild = fake.add_guild()
    places = {"another channel": fake.guild.channel_ids[1], "another guild": other_guild.channel_ids[0],
              "a DM": fake.dm_channel()}
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a private prompt", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    job = await bot.rt.engine.wait(job_id, timeout=20)
    assert job.state is JobState.DELIVERED
    await fake.wait_for(lambda: "upscale" in " ".join(button_ids(fake, status)))
    # Remix opened legitimately, to replay its modal elsewhere.
    remix = await fake.click(fake.alice, status, f"wan:remix:{job_id}")
    await fake.wait_for(lambda: fake.response_to(remix))
    jobs_before, messages_before = await env.stored_job_ids(), status_messages(fake)

    not_found = f"I can't find job {job_id}."
    for where, channel in places.items():
        for action in ("reroll", "upscale", "remix", "delete"):  # the buttons a delivered job's message has
            click = await fake.click(fake.alice, status, f"wan:{action}:{job_id}", channel_id=channel)
            assert await ephemeral_reply(fake, click) == not_found, (where, action)
        replayed = await fake.submit_modal(fake.alice, remix, ["now public"], channel_id=channel)
        assert await ephemeral_reply(fake, replayed) == not_found, where
        cancel = await fake.slash(fake.alice, "cancel", job=job_id, channel_id=channel)
        assert await ephemeral_reply(fake, cancel) == not_found, where
        peek = await fake.slash(fake.bob, "status", job=job_id, channel_id=channel)
        assert await ephemeral_reply(fake, peek) == not_found, where
    # Its owner may still ask for its status from elsewhere in the same guild, and nowhere else.
    own = await fake.slash(fake.alice, "status", job=job_id, channel_id=places["another channel"])
    await fake.wait_for(lambda: fake.response_to(own))
    assert fake.response_to(own).data["embeds"][0]["title"] == "🎬 Done"

    assert await env.stored_job_ids() == jobs_before, "a forged payload created a job"
    assert status_messages(fake) == messages_before
    assert not fake.messages[status].deleted and len(fake.uploads) == 1
    assert all(m.channel_id == fake.channel_id for m in fake.messages.values() if not m.ephemeral)


async def test_owner_only_actions_and_moderators(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=1)  # PENDING lasts seconds: time to click Cancel
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a paper boat", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    await fake.wait_for(lambda: "🎬 Waiting for DashScope" in fake.titles(status))
    moderator = MEMBER_PERMISSIONS | MANAGE_MESSAGES

    # A moderator of this channel may cancel someone else's job.
    cancel = await fake.click(fake.mod, status, f"wan:cancel:{job_id}", permissions=moderator)
    assert await ephemeral_reply(fake, cancel) == f"Cancelled job {job_id}. Nothing was billed."
    assert (await env.job(bot, job_id)).state is JobState.CANCELED
    await fake.wait_for(lambda: "reroll" in " ".join(button_ids(fake, status)))
    jobs_before = await env.stored_job_ids()

    # A re-roll or Remix bills a new job: the owner's call, not Bob's nor a moderator's.
    for user, permissions in ((fake.bob, MEMBER_PERMISSIONS), (fake.mod, moderator)):
        for action in ("reroll", "remix"):
            click = await fake.click(user, status, f"wan:{action}:{job_id}", permissions=permissions)
            assert "Only the person who asked" in await ephemeral_reply(fake, click), (user.username, action)
    # Bob's submit of the Remix modal Alice opened is refused too (it is checked again on submit).
    remix = await fake.click(fake.alice, status, f"wan:remix:{job_id}")
    await fake.wait_for(lambda: fake.response_to(remix))
    hijack = await fake.submit_modal(fake.bob, remix, ["bob's prompt on alice's bill"])
    assert "Only the person who asked" in await ephemeral_reply(fake, hijack)
    assert await env.stored_job_ids() == jobs_before

    # ...and a moderator may delete it.
    delete = await fake.click(fake.mod, status, f"wan:delete:{job_id}", permissions=moderator)
    assert await ephemeral_reply(fake, delete) == "Deleted."
    await fake.wait_for(lambda: fake.messages[status].deleted)


async def test_a_thread_counts_as_its_channel(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    thread = fake.add_thread()
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="made in a thread", duration=2, channel_id=thread)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    # Stored under the parent channel, posted in the thread.
    assert (job.conversation.channel_id, job.conversation.thread_id) == (str(fake.channel_id), str(thread))
    assert fake.messages[status].channel_id == thread
    assert fake.uploads[0].channel_id == thread and fake.uploads[0].reply_to == status, "a reply in the thread"
    await fake.wait_for(lambda: "reroll" in " ".join(button_ids(fake, status)))
    reroll = await fake.click(fake.alice, status, f"wan:reroll:{job.id}")
    again = await fake.wait_for(lambda: fake.message_of(reroll))
    assert again.channel_id == thread and again.embeds, "the re-roll's status message, in the thread"
