"""A bot restart in the middle of a job: the same status message finishes, nothing runs or uploads twice.

Also the first status post itself: stored before the interaction is answered, and a response that dies
(the process killed mid-post, the answer lost, the response refused) leaves exactly one status message.
"""

from __future__ import annotations

import asyncio

from core.jobs import JobState
from tests.discord.conftest import KEY, button_ids, job_id_of, status_id, status_messages
from tests.fakes.discord_server import FakeDiscord


async def test_restart_mid_job_resumes_the_same_message(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=40)  # generation takes a few seconds: time to stop while RUNNING
    fake = env.fake
    first = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a clock tower at noon", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    await fake.wait_for(lambda: "🎬 Generating" in fake.titles(status))
    # ...and the engine has recorded that it was shown (else a restart rightly shows it again).
    await fake.wait_for(lambda: getattr(first.rt.engine.peek(job_id), "shown_state", None) == "RUNNING")
    await first.stop()
    left = first.rt.engine.peek(job_id)
    assert left is not None and left.state is JobState.RUNNING, "the restart must happen mid-generation"
    edits_before = len(fake.edits_of(status))
    messages_before = set(fake.messages)

    second = await env.start()  # a new process: new runtime, new client, same database and services
    job = await second.rt.engine.wait(job_id, timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))
    assert fake.titles(status)[edits_before:] == ["🎬 Uploading", "🎬 Done"]
    assert job.status_ref is not None and job.status_ref.message_id == str(status)
    assert len(fake.uploads) == 1 and fake.uploads[0].reply_to == status
    # New since the restart: the upload, and (issue 14) at most the requester's one ping — no second status.
    new = set(fake.messages) - messages_before - {fake.uploads[0].message_id}
    assert [m for m in new if fake.messages[m].embeds] == [], "no second status message"
    assert len(new) <= 1 and all(f"<@{fake.alice.id}>" in fake.messages[m].content for m in new), new
    assert env.sandbox.stats.tasks_created(KEY) == 1
    assert fake.gateway_log.count("identify") == 2


async def test_a_kill_between_posting_and_storing_leaves_no_orphan(make_env) -> None:  # type: ignore[no-untyped-def]
    """The interaction response made the status message; the process died before storing its id."""
    env = await make_env(speed=150)
    fake = env.fake
    first = await env.start()
    fake.hold_callbacks = asyncio.Event()
    inter = await fake.slash(fake.alice, "video", prompt="posted, then killed", duration=2)
    orphan = await fake.wait_for(lambda: fake.message_of(inter))
    job_id = job_id_of(fake, orphan.id)
    # Stored before Discord heard anything: the row is in the file while the response is in flight.
    assert job_id in await env.stored_job_ids()
    await first.kill()
    fake.hold_callbacks.set()
    fake.hold_callbacks = None
    assert button_ids(fake, orphan.id) == [f"wan:cancel:{job_id}"], "a live Queued message is left behind"

    second = await env.start()
    job = await second.rt.engine.wait(job_id, timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    assert job.status_ref is not None and job.status_ref.message_id == str(orphan.id), "the message is adopted"
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(orphan.id))
    assert status_messages(fake) == [orphan.id], "no second status message"
    assert "wan:cancel:" not in " ".join(button_ids(fake, orphan.id))
    assert len(fake.uploads) == 1 and fake.uploads[0].reply_to == orphan.id
    assert env.sandbox.stats.tasks_created(KEY) == 1


async def test_a_lost_response_answer_adopts_the_message_it_made(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    fake.lose_callback_answers = 1  # Discord made the message; its answer never arrived
    inter = await fake.slash(fake.alice, "video", prompt="an answer lost on the way", duration=2)
    made = await fake.wait_for(lambda: fake.message_of(inter))
    job = await bot.rt.engine.wait(job_id_of(fake, made.id), timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(made.id))
    assert job.status_ref is not None and job.status_ref.message_id == str(made.id)
    assert status_messages(fake) == [made.id], "one status message, not a second one in the channel"


async def test_a_failed_response_still_gives_the_user_a_word(make_env) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord(interaction_deadline=-1.0)  # every interaction response is too late: 10062
    env = await make_env(speed=150, fake=fake)
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="answered in the channel instead", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    posted = await fake.wait_for(lambda: status_messages(fake))
    assert len(posted) == 1 and fake.messages[posted[0]].via == "channel"
    job = await bot.rt.engine.wait(job_id_of(fake, posted[0]), timeout=20)
    assert job.state is JobState.DELIVERED and job.status_ref is not None
    assert job.status_ref.message_id == str(posted[0])
    assert status_messages(fake) == posted
