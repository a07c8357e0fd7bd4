"""Animating images from Discord, end to end (real discord.py client, fake Discord and its CDN, the engine,
the in-process sandbox): ``/wan animate``, the **Animate with Wan** message menu and the **Animate** button
of a delivered image. Each asserts the i2v create body DashScope received — ``input.media`` of
``{type, url}``, ``parameters`` without ``ratio`` or ``size``, as the reference writes it — and the MP4
delivered into the channel; bad input is one ephemeral sentence and no create."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.jobs import JobState
from tests.discord.conftest import BotEnv, button_ids, ephemeral_reply, job_id_of, status_id
from tests.discord.images import PDF, fetched, png
from tests.fakes.discord_fake.inject import MEMBER_PERMISSIONS, MESSAGE_MENU
from tests.media.conftest import audio_files  # noqa: F401  (fixture)

VIDEO_CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
#: The i2v parameters the reference lists (seed optional); never ratio or size.
I2V_PARAMETERS = {"resolution", "duration", "prompt_extend", "watermark", "seed"}
MANAGE_CHANNELS = 1 << 4


def _video_creates(env: BotEnv) -> list[dict[str, Any]]:
    return [body for path, body in env.creates if path == VIDEO_CREATE]


def _media(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["type"], item["url"]) for item in body["input"]["media"]]


async def _frame(url: str) -> bytes:
    mime, data = await fetched(url)
    assert mime.startswith("image/"), mime
    return data


async def _delivered_video(env: BotEnv, bot: Any, inter: Any) -> Any:
    fake = env.fake
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    assert job.state is JobState.DELIVERED, job.error_message
    [upload] = [u for u in fake.uploads if u.filename.endswith(".mp4") and u.reply_to == status]
    assert upload.size > 0
    return job


async def test_wan_animate_with_every_input(  # type: ignore[no-untyped-def]
        make_env, audio_files: dict[str, Path]) -> None:  # noqa: F811
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    _, wan = fake.registered("wan")
    assert wan is not None
    [animate] = [o for o in wan["options"] if o["name"] == "animate"]
    options = {o["name"]: o for o in animate["options"]}
    assert "ratio" not in options, "no ratio: the video takes the image's shape"
    assert {options[n]["type"] for n in ("image", "last_frame", "audio")} == {11}
    assert (options["duration"]["min_value"], options["duration"]["max_value"]) == (2, 15)
    # Issue 14: resolution is completed from the i2v model's catalogue entry as it is typed.
    assert options["resolution"].get("autocomplete") and not options["resolution"].get("choices")
    offered = await fake.autocomplete(fake.alice, "animate", "resolution")
    await fake.wait_for(lambda: fake.suggestions(offered) is not None)
    assert fake.suggestions(offered) == ["720P", "1080P"]

    first, last = png(320, 240, (250, 120, 0)), png(320, 240, (0, 40, 220))
    song = fake.attachment("beat.wav", audio_files["ok.wav"].read_bytes())
    inter = await fake.slash(fake.alice, "animate", image=fake.attachment("start.png", first),
                             last_frame=fake.attachment("end.png", last), audio=song, prompt="the sun sets",
                             negative="blur", resolution="720P", duration=3, seed=5, prompt_extend=False,
                             watermark=True)
    await _delivered_video(env, bot, inter)
    [body] = _video_creates(env)
    assert body["model"] == "wan2.7-i2v"
    assert body["input"]["prompt"] == "the sun sets" and body["input"]["negative_prompt"] == "blur"
    media = _media(body)
    assert [kind for kind, _ in media] == ["first_frame", "last_frame", "driving_audio"]
    assert await _frame(media[0][1]) == first and await _frame(media[1][1]) == last
    assert body["parameters"] == {"resolution": "720P", "duration": 3, "prompt_extend": False, "watermark": True,
                                  "seed": 5}


async def test_a_channel_default_ratio_never_reaches_an_animate(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    defaults = await fake.slash(fake.mod, "defaults", ratio="9:16", permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS)
    assert "9:16" in await ephemeral_reply(fake, defaults)
    inter = await fake.slash(fake.alice, "animate", image=fake.attachment("a.png", png()))
    await _delivered_video(env, bot, inter)
    [body] = _video_creates(env)
    params = body["parameters"]
    assert set(params) == I2V_PARAMETERS and isinstance(params["seed"], int)
    assert (params["resolution"], params["duration"], params["prompt_extend"], params["watermark"]) == (
        "720P", 5, True, False), "always sends the resolution (the service's own default is the dearer 1080P)"
    assert "prompt" not in body["input"] or body["input"]["prompt"] == ""
    assert [kind for kind, _ in _media(body)] == ["first_frame"]


async def test_a_pdf_as_first_frame_is_one_sentence_and_no_create(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "animate", image=fake.attachment("plan.pdf", PDF), prompt="move")
    assert await ephemeral_reply(fake, inter) == (
        "That request doesn't work: that file is not a JPEG, PNG, BMP or WEBP image; DashScope takes only those.")
    assert _video_creates(env) == [] and await bot.rt.store.active() == []


async def test_animate_with_wan_on_a_message_animates_its_image(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    _, menu = fake.registered("Animate with Wan", MESSAGE_MENU)
    assert menu is not None
    photo = png(480, 320, (20, 200, 120))
    msg = fake.user_message(fake.bob, attachments=[fake.attachment("meadow.png", photo)])
    opened = await fake.message_command(fake.alice, "Animate with Wan", msg.id)
    modal = await fake.wait_for(lambda: fake.response_to(opened))
    assert modal.type == 9 and modal.data["components"][0]["component"]["required"] is False
    submitted = await fake.submit_modal(fake.alice, opened, [""])  # no prompt: it is optional
    await _delivered_video(env, bot, submitted)
    [body] = _video_creates(env)
    assert "prompt" not in body["input"]
    [(kind, url)] = _media(body)
    assert kind == "first_frame" and await _frame(url) == photo
    assert set(body["parameters"]) <= I2V_PARAMETERS

    bare = fake.user_message(fake.bob, content="just words")
    refused = await fake.message_command(fake.alice, "Animate with Wan", bare.id)
    assert await ephemeral_reply(fake, refused) == (
        "That message has no image to work from; use this on a message with an image attached.")
    assert len(_video_creates(env)) == 1


async def test_the_animate_button_animates_a_delivered_image(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    made = await fake.slash(fake.alice, "image", prompt="a lighthouse", size="1K")
    await fake.wait_for(lambda: fake.response_to(made))
    status = status_id(fake, made)
    image_job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    assert image_job.state is JobState.DELIVERED, image_job.error_message
    await fake.wait_for(lambda: f"wan:animate:{image_job.id}" in button_ids(fake, status))
    [result] = [m for m in fake.messages.values() if m.reference == status and m.attachments]
    delivered = result.attachments[0].data
    assert delivered is not None

    refused = await fake.click(fake.bob, status, f"wan:animate:{image_job.id}")
    assert "Only the person who asked" in await ephemeral_reply(fake, refused)
    assert fake.response_to(refused).type == 4, "no form for someone who may not"

    click = await fake.click(fake.alice, status, f"wan:animate:{image_job.id}")
    modal = await fake.wait_for(lambda: fake.response_to(click))
    assert modal.type == 9
    submitted = await fake.submit_modal(fake.alice, click, ["the beam sweeps the sea"])
    await _delivered_video(env, bot, submitted)
    [body] = _video_creates(env)
    assert body["model"] == "wan2.7-i2v" and body["input"]["prompt"] == "the beam sweeps the sea"
    [(kind, url)] = _media(body)
    assert kind == "first_frame" and await _frame(url) == delivered, "the image wanbot delivered is the first frame"


async def test_wan_animate_job_animates_an_earlier_image_result(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    made = await fake.slash(fake.alice, "image", prompt="a lighthouse", size="1K")
    await fake.wait_for(lambda: fake.response_to(made))
    image_job = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, made)), timeout=60)
    assert image_job.state is JobState.DELIVERED, image_job.error_message

    both = await fake.slash(fake.alice, "animate", job=image_job.id, image=fake.attachment("x.png", png()))
    assert await ephemeral_reply(fake, both) == (
        "That request doesn't work: give either a first frame or an image result to animate, not both.")
    assert _video_creates(env) == []

    inter = await fake.slash(fake.alice, "animate", job=image_job.id, prompt="waves roll in", duration=2)
    await _delivered_video(env, bot, inter)
    [body] = _video_creates(env)
    [(kind, url)] = _media(body)
    [result] = [m for m in fake.messages.values() if m.reference == status_id(fake, made) and m.attachments]
    assert kind == "first_frame" and await _frame(url) == result.attachments[0].data
    assert body["parameters"]["duration"] == 2 and body["input"]["prompt"] == "waves roll in"


async def test_a_forged_animate_button_on_a_video_is_refused_before_the_form(  # type: ignore[no-untyped-def]
        make_env) -> None:
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    video = await fake.slash(fake.alice, "video", prompt="a kite", duration=2)
    await fake.wait_for(lambda: fake.response_to(video))
    status = status_id(fake, video)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    assert f"wan:animate:{job.id}" not in button_ids(fake, status), "a video offers no Animate"
    # A hand-made payload: the message as the click carries it shows an Animate button.
    fake.messages[status].components = [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Animate", "custom_id": f"wan:animate:{job.id}"}]}]
    click = await fake.click(fake.alice, status, f"wan:animate:{job.id}")
    assert await ephemeral_reply(fake, click) == (
        f"That request doesn't work: job {job.id} is not an image result; animate starts from an image.")
    assert len(_video_creates(env)) == 1


async def test_help_names_the_ways_in(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    await env.start()
    said = await ephemeral_reply(fake, await fake.slash(fake.alice, "help"))
    for part in ("**/wan animate**", "image … image9", "**Edit with Wan**", "**Animate with Wan**", "**Animate**"):
        assert part in said, part
