"""A bot restart in the middle of a job: the same status message finishes, nothing runs or uploads twice."""

from __future__ import annotations

from core.jobs import JobState
from tests.discord.conftest import KEY, job_id_of, status_id


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
    assert set(fake.messages) - messages_before == {fake.uploads[0].message_id}, "no second status message"
    assert env.sandbox.stats.tasks_created(KEY) == 1
    assert fake.gateway_log.count("identify") == 2
