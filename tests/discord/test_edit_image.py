"""Image editing from Discord, end to end: the real discord.py client, the fake Discord (its CDN serving the
attachments), wanbot's engine and the in-process sandbox. Each test asserts the body DashScope received
(``input.messages[0].content`` = one text + the images, as the reference writes it) and what the channel got;
bad input is one ephemeral sentence and no create at all."""

from __future__ import annotations

from typing import Any

from core.jobs import JobState
from tests.discord.conftest import BotEnv, ephemeral_reply, job_id_of, status_id
from tests.discord.images import PDF, fetched, png
from tests.fakes.discord_fake.inject import MESSAGE_MENU
from tests.fakes.discord_server import FakeDiscord

IMAGE_CREATE = "/api/v1/services/aigc/image-generation/generation"


def _image_creates(env: BotEnv) -> list[dict[str, Any]]:
    return [body for path, body in env.creates if path == IMAGE_CREATE]


def _content(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body["input"]["messages"]
    assert len(messages) == 1 and messages[0]["role"] == "user"
    content: list[dict[str, Any]] = messages[0]["content"]
    return content


async def _images_sent(body: dict[str, Any], fake: FakeDiscord) -> list[bytes]:
    """The bytes of every image entry: a data URI, or a link DashScope can fetch (the bot's media host)."""
    found = []
    for entry in _content(body)[1:]:
        assert list(entry) == ["image"], entry
        assert not entry["image"].startswith(fake.cdn.origin), "never Discord's own signed link: it expires"
        mime, data = await fetched(entry["image"])
        assert mime.startswith("image/"), mime
        found.append(data)
    return found


async def _delivered(env: BotEnv, bot: Any, inter: Any) -> Any:
    fake = env.fake
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.data.get("embeds"), callback.data.get("content")
    status = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    assert job.state is JobState.DELIVERED, job.error_message
    uploads = [u for u in fake.uploads if u.filename.startswith(f"wan-{job.id}-")]
    assert uploads and {u.reply_to for u in uploads} == {status}, "the result replies to the status message"
    return job


async def test_wan_image_with_attachments_edits_them(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    first, last = png(320, 240, (10, 120, 200)), png(240, 480, (200, 200, 20))
    a, b = fake.attachment("sky.png", first), fake.attachment("tall.png", last)
    inter = await fake.slash(fake.alice, "image", prompt="make the sky stormy", image=a, image3=b, size="1K",
                             seed=11)
    job = await _delivered(env, bot, inter)
    [body] = _image_creates(env)
    assert body["model"] == "wan2.7-image"
    assert _content(body)[0] == {"text": "make the sky stormy"}
    assert await _images_sent(body, fake) == [first, last], "both attachments, in option order"
    params = body["parameters"]
    assert params["size"] == "1K" and params["seed"] == 11 and params["n"] == 1
    assert "thinking_mode" not in params, "the reference: thinking_mode only without input images"
    # Discord's signed links were fetched once each, from the ephemeral-attachment CDN.
    fetched = [path for path, status in fake.cdn.gets if status == 200]
    assert sorted(fetched) == sorted(u.split("?")[0].removeprefix(fake.cdn.origin) for u in (a.url, b.url))
    assert job.request.images and len(job.request.images) == 2


async def test_a_pdf_given_as_an_image_is_one_sentence_and_no_create(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    doc = fake.attachment("plan.pdf", PDF)
    assert doc.content_type == "application/pdf"
    inter = await fake.slash(fake.alice, "image", prompt="make it pop", image=fake.attachment("ok.png", png()),
                             image2=doc)
    assert await ephemeral_reply(fake, inter) == (
        "That request doesn't work: that file is not a JPEG, PNG, BMP or WEBP image; DashScope takes only those.")
    assert _image_creates(env) == [] and await bot.rt.store.active() == []


async def test_edit_with_wan_on_a_message_edits_its_images(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    _, menu = fake.registered("Edit with Wan", MESSAGE_MENU)
    assert menu is not None and menu["type"] == MESSAGE_MENU and not menu.get("options")
    photo, linked = png(400, 300, (30, 160, 60)), png(300, 300, (90, 90, 200))
    posted = fake.attachment("linked.png", linked)
    msg = fake.user_message(
        fake.bob, content="what do you think?",
        attachments=[fake.attachment("garden.png", photo), fake.attachment("notes.pdf", PDF)],
        embeds=[{"type": "image", "url": posted.url, "thumbnail": {"url": posted.url, "proxy_url": posted.url,
                                                                   "width": 300, "height": 300}}])
    opened = await fake.message_command(fake.alice, "Edit with Wan", msg.id)
    modal = await fake.wait_for(lambda: fake.response_to(opened))
    assert modal.type == 9
    field = modal.data["components"][0]["component"]
    assert field["required"] is True
    submitted = await fake.submit_modal(fake.alice, opened, ["turn it into a watercolour"])
    await _delivered(env, bot, submitted)
    [body] = _image_creates(env)
    assert _content(body)[0] == {"text": "turn it into a watercolour"}
    assert await _images_sent(body, fake) == [photo, linked], "the image attachment and the embed's image; not the PDF"


async def test_edit_with_wan_on_a_message_without_images_is_one_sentence(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    await env.start()
    msg = fake.user_message(fake.bob, content="no pictures here",
                            attachments=[fake.attachment("notes.pdf", PDF)])
    inter = await fake.message_command(fake.alice, "Edit with Wan", msg.id)
    assert await ephemeral_reply(fake, inter) == (
        "That message has no image to work from; use this on a message with an image attached.")
    assert _image_creates(env) == []


async def test_edit_with_wan_on_ten_images_is_one_sentence(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    msg = fake.user_message(fake.bob, attachments=[fake.attachment(f"p{i}.png", png(rgb=(i * 20, 0, 0)))
                                                   for i in range(10)])
    opened = await fake.message_command(fake.alice, "Edit with Wan", msg.id)
    assert await ephemeral_reply(fake, opened) == (
        "That request doesn't work: image editing takes 1 to 9 images, not 10.")
    assert fake.response_to(opened).type == 4, "refused before the form: nobody types a prompt for nothing"
    assert _image_creates(env) == [] and await bot.rt.store.active() == []


async def test_edit_with_wan_on_wanbots_own_result_edits_the_delivered_image(  # type: ignore[no-untyped-def]
        make_env) -> None:
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    made = await fake.slash(fake.alice, "image", prompt="a red boat", size="1K")
    first = await _delivered(env, bot, made)
    [result] = [m for m in fake.messages.values() if m.reference == status_id(fake, made) and m.attachments]
    delivered = result.attachments[0].data
    assert delivered is not None and result.attachments[0].content_type == "image/png"
    opened = await fake.message_command(fake.bob, "Edit with Wan", result.id)
    assert (await fake.wait_for(lambda: fake.response_to(opened))).type == 9
    again = await _delivered(env, bot, await fake.submit_modal(fake.bob, opened, ["paint the boat blue"]))
    assert again.id != first.id and again.requester.user_id == str(fake.bob.id)
    edit = _image_creates(env)[1]
    assert _content(edit)[0] == {"text": "paint the boat blue"}
    assert await _images_sent(edit, fake) == [delivered], "the PNG wanbot posted, fetched from Discord's CDN"


async def test_an_old_message_whose_links_expired_is_one_sentence(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    old = fake.user_message(fake.bob, attachments=[fake.attachment("old.png", png())])
    fake.cdn.expire_all()  # Discord's signed links last about a day
    opened = await fake.message_command(fake.alice, "Edit with Wan", old.id)
    assert (await fake.wait_for(lambda: fake.response_to(opened))).type == 9
    submitted = await fake.submit_modal(fake.alice, opened, ["brighter"])
    assert await ephemeral_reply(fake, submitted) == (
        "That request doesn't work: the image link answered HTTP 404 instead of a file; check it opens without "
        "signing in (a chat attachment's link may have expired).")
    assert _image_creates(env) == [] and await bot.rt.store.active() == []


async def test_edit_with_wan_in_a_thread_answers_in_the_thread(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    thread = fake.add_thread()
    msg = fake.user_message(fake.bob, attachments=[fake.attachment("t.png", png())], channel_id=thread)
    opened = await fake.message_command(fake.alice, "Edit with Wan", msg.id)
    await fake.wait_for(lambda: fake.response_to(opened))
    submitted = await fake.submit_modal(fake.alice, opened, ["snow on the roofs"])
    job = await _delivered(env, bot, submitted)
    assert job.conversation.thread_id == str(thread) and job.conversation.channel_id == str(fake.channel_id)
    assert {u.channel_id for u in fake.uploads if u.filename.startswith(f"wan-{job.id}-")} == {thread}
