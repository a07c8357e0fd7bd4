"""A thread per idea on Discord (issue 13, item 1), through the real discord.py client and the fake.

A new ``/wan video`` in a channel opens a thread on its status message and its video is posted in the
thread; re-rolls go into the thread naming their parent; ``/wan video`` typed in the thread continues the
idea; the ``threads`` setting off, or a refused thread (403), keeps the old replies in the channel; a
restart between the status and the delivery still delivers into the thread.
"""

from __future__ import annotations

from typing import Any

from core.ideas import THREAD, THREAD_REFUSED
from core.jobs import JobState
from tests.discord.conftest import KEY, ephemeral_reply, job_id_of, status_id
from tests.fakes.discord_server import FakeDiscord


def fields_of(fake: FakeDiscord, message_id: int) -> dict[str, str]:
    return {f["name"]: f["value"] for f in fake.messages[message_id].embeds[0]["fields"]}


def status_in(fake: FakeDiscord, channel_id: int, job_id: str) -> int | None:
    """The status message of ``job_id`` posted in ``channel_id`` (a thread is a channel), if any."""
    for msg in fake.messages.values():
        fields = msg.embeds[0].get("fields", []) if msg.embeds else []
        if msg.channel_id == channel_id and not msg.deleted and any(
                f["name"] == "Job" and f["value"] == job_id for f in fields):
            return msg.id
    return None


async def new_idea(env: Any, bot: Any, prompt: str) -> tuple[int, str]:
    fake = env.fake
    inter = await fake.slash(fake.alice, "video", prompt=prompt, duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    job = await bot.rt.engine.wait(job_id, timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))  # its buttons are there to click
    return status, job_id


async def test_an_idea_gets_a_thread_and_its_video_is_posted_in_it(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    bot = await env.start()
    status, job_id = await new_idea(env, bot, "a lighthouse in a storm, waves breaking")

    # A thread started on the status message, named by the prompt; the thread has the message's id.
    assert fake.threads_started == [(fake.channel_id, status, "a lighthouse in a storm, waves breaking")]
    assert fake.guild.threads[status] == fake.channel_id
    # The video is posted IN the thread; the status message stays in the channel, edited to Done.
    assert [(u.channel_id, u.filename) for u in fake.uploads] == [(status, f"wan-{job_id}.mp4")]
    assert fake.messages[status].channel_id == fake.channel_id
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))
    stored = await bot.rt.store.get(job_id)
    assert stored is not None and stored.extra[THREAD]["thread_id"] == str(status)


async def test_reroll_goes_into_the_thread_and_a_slash_in_the_thread_continues(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    bot = await env.start()
    status, root = await new_idea(env, bot, "a paper crane unfolding")
    thread = status

    # Re-roll clicked on the summary in the channel: the new status is posted in the thread, naming its
    # parent; the click is answered for the clicker alone.
    click = await fake.click(fake.alice, status, f"wan:reroll:{root}")
    said = await ephemeral_reply(fake, click)
    assert "in the idea's thread" in said
    new_id = said.split("as job ")[1].split(".")[0]
    rerolled = await fake.wait_for(lambda: status_in(fake, thread, new_id))
    assert fields_of(fake, rerolled)["From"] == f"Re-roll of #{root}"
    job = await bot.rt.engine.wait(new_id, timeout=30)
    assert job.state is JobState.DELIVERED and job.extra["parent"] == root and job.extra["idea"] == root
    # Its video is a reply to its own status, in the thread.
    upload = next(u for u in fake.uploads if u.filename == f"wan-{new_id}.mp4")
    assert (upload.channel_id, upload.reply_to) == (thread, rerolled)
    assert len(fake.threads_started) == 1, "a re-roll opens no thread of its own"

    # /wan video typed inside the thread continues the idea, in the thread.
    typed = await fake.slash(fake.alice, "video", prompt="the crane takes flight", duration=2, channel_id=thread)
    await fake.wait_for(lambda: fake.response_to(typed))
    more = status_id(fake, typed)
    assert fake.messages[more].channel_id == thread
    assert fields_of(fake, more)["From"] == f"Continues #{root}"
    more_id = job_id_of(fake, more)
    job = await bot.rt.engine.wait(more_id, timeout=30)
    assert job.state is JobState.DELIVERED and job.extra["idea"] == root
    assert next(u for u in fake.uploads if u.filename == f"wan-{more_id}.mp4").channel_id == thread
    assert len(fake.threads_started) == 1


async def test_threads_off_keeps_replies_in_the_channel(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    bot = await env.start()
    await bot.rt.store.settings.update("discord", str(fake.guild.id), str(fake.channel_id), {"threads": False},
                                       by="test")
    status, job_id = await new_idea(env, bot, "no thread please")
    assert fake.threads_started == []
    assert [(u.channel_id, u.reply_to) for u in fake.uploads] == [(fake.channel_id, status)]


async def test_a_refused_thread_falls_back_to_the_channel(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    fake.refuse_threads = True  # the bot lacks Create Public Threads here: 403 Missing Permissions
    bot = await env.start()
    status, job_id = await new_idea(env, bot, "a thread the server will not allow")
    assert ("POST", f"/channels/{fake.channel_id}/messages/{status}/threads", 403) in fake.requests
    assert [(u.channel_id, u.reply_to) for u in fake.uploads] == [(fake.channel_id, status)]
    stored = await bot.rt.store.get(job_id)
    assert stored is not None and stored.extra[THREAD_REFUSED] is True and THREAD not in stored.extra
    # A re-roll of it goes where it is: the channel.
    click = await fake.click(fake.alice, status, f"wan:reroll:{job_id}")
    await fake.wait_for(lambda: fake.response_to(click))
    assert fake.messages[status_id(fake, click)].channel_id == fake.channel_id


async def test_a_restart_between_status_and_delivery_still_delivers_into_the_thread(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=40, threads_default=True)  # generation takes a few seconds: time to stop while RUNNING
    fake = env.fake
    first = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a clock tower at noon", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    await fake.wait_for(lambda: fake.threads_started)
    await fake.wait_for(lambda: "🎬 Generating" in fake.titles(status))
    await first.stop()
    left = first.rt.engine.peek(job_id)
    assert left is not None and left.state is JobState.RUNNING, "the restart must happen mid-generation"
    assert fake.uploads == []

    second = await env.start()  # a new process on the same database
    job = await second.rt.engine.wait(job_id, timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    assert [u.channel_id for u in fake.uploads] == [status], "delivered into the idea's thread"
    assert len(fake.threads_started) == 1
    assert env.sandbox.stats.tasks_created(KEY) == 1
