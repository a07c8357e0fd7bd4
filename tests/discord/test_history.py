"""``/wan history`` on Discord (issue 13), through the real discord.py client against the fake Discord: the
channel's delivered results newest first, filtered by a USER option and by text (case-insensitively), only
this channel's; each entry links its archive copy or, without a public address, its Discord message (the
jump URL ``message_link`` builds); **Use these settings** opens the remix form pre-filled from another
person's job and starts a job of the clicker's with those settings; after a restart it all still works."""

from __future__ import annotations

from typing import Any

from core.jobs import JobState
from tests.discord.conftest import BotEnv, button_ids, job_id_of, status_id
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.until import until


async def _made(env: BotEnv, bot: Any, user: Any, prompt: str, **options: Any) -> str:
    fake = env.fake
    inter = await fake.slash(user, "video", prompt=prompt, duration=2, **options)
    await fake.wait_for(lambda: fake.response_to(inter))
    job_id = job_id_of(fake, status_id(fake, inter))
    job = await bot.rt.engine.wait(job_id, timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    await until(lambda: bot.rt.store.archive.for_jobs([job_id]), f"job {job_id} archived", timeout=30)
    return job_id


async def _history(fake: FakeDiscord, caller: Any, **options: Any) -> tuple[int, dict[str, Any]]:
    inter = await fake.slash(caller, "history", **options)
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.type == 4 and callback.data.get("flags", 0) & 64, "history answers privately"
    assert callback.data["allowed_mentions"] == {"parse": []}
    msg = fake.message_of(inter)
    assert msg is not None
    return msg.id, callback.data["embeds"][0]


async def test_history_filters_links_and_reuses_settings_after_a_restart(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    lighthouse = await _made(env, bot, fake.alice, "A Lighthouse at dusk", ratio="9:16", resolution="720P")
    fox = await _made(env, bot, fake.bob, "a red fox in the snow @everyone")
    elsewhere = await _made(env, bot, fake.alice, "a lighthouse in the other channel",
                            channel_id=fake.guild.channel_ids[1])

    message_id, embed = await _history(fake, fake.alice)
    text = embed["description"]
    assert text.index(fox) < text.index(lighthouse) and elsewhere not in text  # newest first, this channel
    assert "wan2.7-t2v · 720P · 9:16 · 2 s" in text and "👍 0" in text and "seed " in text
    fox_job = await env.job(bot, fox)
    assert fox_job.delivered_ref is not None
    jump = (f"https://discord.com/channels/{fake.guild.id}/{fox_job.conversation.channel_id}/"
            f"{fox_job.delivered_ref.message_id}")
    assert jump in text  # no public address: the Discord message is the link
    assert fake.messages[int(fox_job.delivered_ref.message_id)].attachments  # ...the upload itself
    assert button_ids(fake, message_id) == [f"wan:reuse:{fox}", f"wan:reuse:{lighthouse}"]

    _, by_bob = await _history(fake, fake.alice, user=fake.bob)
    assert fox in by_bob["description"] and lighthouse not in by_bob["description"]
    assert "by" in by_bob["title"]
    _, matching = await _history(fake, fake.alice, text="LIGHTHOUSE")
    assert lighthouse in matching["description"] and fox not in matching["description"]
    _, nothing = await _history(fake, fake.bob, text="submarine")
    assert "Nothing delivered" in nothing["title"]

    await bot.stop()
    bot = await env.start()  # a new process: the history is in the database
    message_id, embed = await _history(fake, fake.bob)
    assert lighthouse in embed["description"] and fox in embed["description"]
    # Bob starts from Alice's result: the remix form, pre-filled with her prompt.
    reuse = await fake.click(fake.bob, message_id, f"wan:reuse:{lighthouse}")
    modal = await fake.wait_for(lambda: fake.response_to(reuse))
    assert modal.type == 9
    assert reuse.modal is not None
    prompt_input = reuse.modal["components"][0]
    shown = (prompt_input.get("component") or prompt_input["components"][0])["value"]
    assert shown == "A Lighthouse at dusk"
    submitted = await fake.submit_modal(fake.bob, reuse, ["a lighthouse at dawn"])
    await fake.wait_for(lambda: fake.response_to(submitted))
    made = await env.job(bot, job_id_of(fake, status_id(fake, submitted)))
    original = await env.job(bot, lighthouse)
    assert made.requester.user_id == str(fake.bob.id)  # Bob's job, billed to Bob
    assert made.request.prompt == "a lighthouse at dawn"
    assert (made.request.model, made.request.resolution, made.request.ratio, made.request.duration) == (
        original.request.model, original.request.resolution, original.request.ratio, original.request.duration)
    assert made.request.seed != original.request.seed
    # The plain Remix stays the owner's: Bob cannot remix Alice's job from its own button.
    remix = await fake.click(fake.bob, status_id_of(original), f"wan:remix:{lighthouse}")
    callback = await fake.wait_for(lambda: fake.response_to(remix))
    assert callback.type == 4 and "Only the person who asked" in str(callback.data.get("content"))


def status_id_of(job: Any) -> int:
    assert job.status_ref is not None
    return int(job.status_ref.message_id)
