"""``/wan storyboard`` (a modal composing Wan 2.7's multi-shot prompt), ``/wan image`` (a job), usage, help, 1080P."""

from __future__ import annotations

from core.jobs import JobState
from core.request import ImageRequest
from tests.discord.conftest import button_ids, ephemeral_reply, job_id_of, status_id


async def test_storyboard_modal_composes_a_multi_shot_prompt(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    opened = await fake.slash(fake.alice, "storyboard", duration=6, ratio="9:16")
    modal = await fake.wait_for(lambda: fake.response_to(opened))
    assert modal.type == 9 and len(modal.data["components"]) == 5
    submitted = await fake.submit_modal(fake.alice, opened, ["wide shot: a harbour at dawn", "close-up: a gull", "",
                                                              "", ""])
    await fake.wait_for(lambda: fake.response_to(submitted))
    job = await env.job(bot, job_id_of(fake, status_id(fake, submitted)))
    assert job.request.prompt == ("Shot 1 [0-3 seconds] wide shot: a harbour at dawn "
                                  "Shot 2 [3-6 seconds] close-up: a gull")
    assert (job.request.ratio, job.request.duration) == ("9:16", 6)

    # Options are checked before the modal opens.
    wrong = await fake.slash(fake.alice, "storyboard", duration=10, model="wan2.1-t2v-turbo")
    assert "duration must be" in await ephemeral_reply(fake, wrong)


async def test_an_image_is_a_job_with_a_status_message_and_its_pngs(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()

    image = await fake.slash(fake.alice, "image", prompt="a red kite", n=2, size="1K", watermark=True,
                             thinking_mode=False)
    callback = await fake.wait_for(lambda: fake.response_to(image))
    assert callback.type == 4 and not callback.data.get("flags", 0) & 64, "the status message is public"
    job = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, image)), timeout=20)
    assert isinstance(job.request, ImageRequest)
    assert (job.request.n, job.request.size, job.request.watermark, job.request.thinking_mode) == (2, "1K", True, False)
    assert job.state is JobState.DELIVERED, job.error_message
    await fake.wait_for(lambda: len([u for u in fake.uploads if u.filename.endswith(".png")]) == 2)
    usage = await ephemeral_reply(fake, await fake.slash(fake.alice, "usage"))
    assert "You, today: 0 video(s), 2 image(s)" in usage  # images counted one by one


async def test_usage_help_and_upscale(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()

    video = await fake.slash(fake.alice, "video", prompt="a red kite over a hill", duration=2)
    await fake.wait_for(lambda: fake.response_to(video))
    status = status_id(fake, video)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=20)
    assert job.state is JobState.DELIVERED
    await fake.wait_for(lambda: f"wan:upscale:{job.id}" in button_ids(fake, status))

    usage = await fake.slash(fake.alice, "usage")
    text = await ephemeral_reply(fake, usage)
    assert "You, today: 1 video(s), 0 image(s), 2 s billed, ¥1.20" in text  # images count too (issue 10)
    assert "Everyone here, this month: 1 video(s)" in text
    assert "/wan storyboard" in await ephemeral_reply(fake, await fake.slash(fake.bob, "help"))

    upscale = await fake.click(fake.alice, status, f"wan:upscale:{job.id}")
    await fake.wait_for(lambda: fake.response_to(upscale))
    sharper = await env.job(bot, job_id_of(fake, status_id(fake, upscale)))
    assert (sharper.request.resolution, sharper.request.seed) == ("1080P", job.request.seed)
    assert sharper.request.prompt == job.request.prompt

    # /wan status without a job: the newest jobs, newest first, as ephemeral embeds.
    peek = await fake.slash(fake.alice, "status")
    embeds = (await fake.wait_for(lambda: fake.response_to(peek))).data["embeds"]
    jobs = [next(f["value"] for f in e["fields"] if f["name"] == "Job") for e in embeds]
    assert jobs == [sharper.id, job.id]
