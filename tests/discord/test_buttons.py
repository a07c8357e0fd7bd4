"""The status message's buttons through real clicks: who may do what, and what each one does."""

from __future__ import annotations

from core.jobs import JobState
from tests.discord.conftest import button_ids, ephemeral_reply, job_id_of, status_id
from tests.fakes.discord_server import MANAGE_MESSAGES, MEMBER_PERMISSIONS


async def test_cancel_delete_reroll_and_remix_with_permission_checks(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=1)  # realistic: PENDING lasts seconds, time enough to click Cancel
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a paper boat on a pond", seed=7)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    await fake.wait_for(lambda: "🎬 Waiting for DashScope" in fake.titles(status))

    # Bob may not cancel Alice's job; Alice may.
    refused = await fake.click(fake.bob, status, f"wan:cancel:{job_id}")
    assert "Only the person who asked" in await ephemeral_reply(fake, refused)
    assert (await env.job(bot, job_id)).state is JobState.PENDING
    done = await fake.click(fake.alice, status, f"wan:cancel:{job_id}")
    assert await ephemeral_reply(fake, done) == f"Cancelled job {job_id}. Nothing was billed."
    await fake.wait_for(lambda: "🎬 Cancelled" in fake.titles(status))
    assert button_ids(fake, status) == [f"wan:{a}:{job_id}" for a in ("reroll", "remix", "delete")]

    # Re-roll: a new public status message for a new job, same prompt, new seed.
    reroll = await fake.click(fake.alice, status, f"wan:reroll:{job_id}")
    callback = await fake.wait_for(lambda: fake.response_to(reroll))
    assert callback.type == 4 and not callback.data.get("flags", 0) & 64
    new_job = await env.job(bot, job_id_of(fake, status_id(fake, reroll)))
    assert new_job.id != job_id and new_job.request.prompt == "a paper boat on a pond"
    assert new_job.request.seed != 7

    # Remix: a modal pre-filled with the prompt; submitting queues the edited prompt.
    remix = await fake.click(fake.alice, status, f"wan:remix:{job_id}")
    modal = await fake.wait_for(lambda: fake.response_to(remix))
    assert modal.type == 9
    assert modal.data["components"][0]["component"]["value"] == "a paper boat on a pond"
    submitted = await fake.submit_modal(fake.alice, remix, ["a paper boat in the rain"])
    await fake.wait_for(lambda: fake.response_to(submitted))
    remixed = await env.job(bot, job_id_of(fake, status_id(fake, submitted)))
    assert remixed.request.prompt == "a paper boat in the rain"

    # Delete: not Bob, but a member with Manage Messages may.
    no = await fake.click(fake.bob, status, f"wan:delete:{job_id}")
    assert "Only the person who asked" in await ephemeral_reply(fake, no)
    assert not fake.messages[status].deleted
    yes = await fake.click(fake.mod, status, f"wan:delete:{job_id}", permissions=MEMBER_PERMISSIONS | MANAGE_MESSAGES)
    assert await ephemeral_reply(fake, yes) == "Deleted."
    await fake.wait_for(lambda: fake.messages[status].deleted)
    # Every click was answered within Discord's deadline.
    assert all(c.elapsed < 3.0 for c in fake.callbacks)
