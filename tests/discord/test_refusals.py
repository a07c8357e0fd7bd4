"""Refusals and errors: ephemeral, one friendly sentence, nothing queued, never a traceback."""

from __future__ import annotations

from tests.discord.conftest import ephemeral_reply, job_id_of, status_id


async def test_access_validation_and_cooldown_are_ephemeral(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150, cooldown=60)
    fake = env.fake
    role = next(r for r, name in fake.guild.roles.items() if name == "video-makers")
    env.overrides["discord_allowed_roles"] = str(role)
    bot = await env.start()

    # No allowed role: refused before anything is validated or stored.
    denied = await fake.slash(fake.bob, "video", prompt="a fox")
    assert "isn't enabled for you here" in await ephemeral_reply(fake, denied)

    # A combination the model does not take: one sentence naming the option.
    wrong = await fake.slash(fake.alice, "video", prompt="a fox", model="wan2.2-t2v-plus", duration=10, roles=[role])
    assert await ephemeral_reply(fake, wrong) == (
        "That request doesn't work: duration must be a whole number of seconds 5 for wan2.2-t2v-plus."
    )
    assert await bot.rt.store.active() == []

    # The cooldown says when to try again.
    first = await fake.slash(fake.alice, "video", prompt="a fox", duration=2, roles=[role])
    await fake.wait_for(lambda: fake.response_to(first))
    again = await fake.slash(fake.alice, "video", prompt="a second fox", duration=2, roles=[role])
    assert "you can try again in 60 s" in await ephemeral_reply(fake, again)
    assert len(await bot.rt.store.active()) <= 1

    # Unknown job ids and other people's /wan cancel: polite, ephemeral.
    missing = await fake.slash(fake.alice, "status", job="zzzz9999", roles=[role])
    assert await ephemeral_reply(fake, missing) == "I can't find job zzzz9999."
    job_id = job_id_of(fake, status_id(fake, first))
    theirs = await fake.slash(fake.bob, "cancel", job=job_id, roles=[role])
    assert await ephemeral_reply(fake, theirs) == (
        "Only the person who asked for this video (or a moderator) can do that."
    )
    for callback in fake.callbacks:
        assert "Traceback" not in str(callback.data)


async def test_dashscope_errors_become_friendly_status_and_replies(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()

    # Input flagged at create: the status message explains, without a stack trace.
    inter = await fake.slash(fake.alice, "video", prompt="[[sandbox:reject-input]] a fox", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    await fake.wait_for(lambda: "🎬 Failed" in fake.titles(status))
    assert "The content filter flagged the prompt" in fake.messages[status].embeds[0]["description"]


async def test_an_image_refused_by_dashscope_says_why_in_its_status_message(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    # Images are jobs now: the refusal is the job's outcome, shown in its status message like a video's.
    image = await fake.slash(fake.alice, "image", prompt="[[sandbox:reject-input]] a cat")
    await fake.wait_for(lambda: fake.response_to(image))
    status = status_id(fake, image)
    await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    await fake.wait_for(lambda: "🖼️ Failed" in fake.titles(status))
    assert "content filter" in fake.messages[status].embeds[0]["description"]
