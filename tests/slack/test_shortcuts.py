""""Edit with Wan", "Animate with Wan" and the Animate button, end to end: real bolt and slack_sdk against
the fake Slack (files served only to the bot token), the real composition root, and the sandbox behind
a tap that keeps every create body — asserted against the API reference
(/work/shared/docs/dashscope-wan.md), never against the bot's own idea of the wire.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import adapters.slack.shortcuts as shortcuts_module
from adapters.slack.app import SlackService
from adapters.slack.shortcuts import ANIMATE_SHORTCUT, EDIT_SHORTCUT
from bot.platforms import slack_config
from bot.runtime import runtime
from sandbox.runner import Sandbox
from tests.fakes.slack_server import TEAM, TOKEN, FakeSlack, Message
from tests.slack.conftest import SlackBot, delivered, job_id_of, readable_copy, slack_settings, status_after, until
from tests.slack.wire import WireTap, png

IMAGE_MODELS = ("wan2.7-image", "wan2.7-image-pro")


@pytest.fixture(autouse=True)
def _patient_modals(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under any CPU load the fetch-and-check finishes inside the window: each test sees one path.
    monkeypatch.setattr(shortcuts_module, "ACK_AFTER", 60.0)


# -- helpers -------------------------------------------------------------------------------------------


def _submission(modal: dict[str, Any], prompt: str | None, *, user: str = "U1", team: str = TEAM) -> dict[str, Any]:
    return {
        "type": "view_submission", "api_app_id": "A0WANBOT", "token": "legacy",
        "team": {"id": team}, "user": {"id": user, "username": user.lower(), "team_id": team},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"],
                 "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input", "value": prompt}}}}},
    }


async def _shortcut(bot: SlackBot, message: Message, callback_id: str, *, user: str = "U1") -> dict[str, Any]:
    """Pick the shortcut on ``message``; the modal it opened (with the payload's own trigger_id)."""
    before = len(bot.fake.views)
    payload = bot.fake.message_action(message, callback_id, user=user)
    status, body = await bot.interact(payload)
    assert status == 200 and body == ""
    await until(lambda: len(bot.fake.views) > before, what="the shortcut's modal")
    opened = bot.fake.views[-1]
    assert opened["trigger_id"] == payload["trigger_id"]
    view: dict[str, Any] = opened["view"]
    return view


async def _refused(bot: SlackBot, message: Message, callback_id: str, *, user: str = "U1") -> str:
    """Pick the shortcut; the one sentence the person read (no modal)."""
    before = len(bot.ephemeral_texts(user))
    status, body = await bot.interact(bot.fake.message_action(message, callback_id, user=user))
    assert status == 200 and body == ""
    await until(lambda: len(bot.ephemeral_texts(user)) > before, what="the refusal")
    texts = bot.ephemeral_texts(user)[before:]
    assert len(texts) == 1, texts
    return texts[0]


def _thread_files(bot: SlackBot, status: Message) -> list[Any]:
    # Slack threads have one level: a status that is itself a reply has its files in the same thread.
    thread = status.thread_ts or status.ts
    return [u for u in bot.fake.uploads.values()
            if u.completed and u.channel_id == status.channel and u.thread_ts == thread]


# -- Edit with Wan -------------------------------------------------------------------------------------


async def test_edit_with_wan_sends_the_prompt_and_every_image_and_delivers_into_the_channel(
        tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    first, second = png(320, 240, (10, 120, 200)), png(240, 480, (220, 30, 30))
    files = [bot.fake.files.add("harbour.png", first, "image/png"),
             bot.fake.files.add("boat.png", second, "image/png")]
    message = bot.fake.post_user_message("C_MEMBER", "two photos", files=files, user="U2")

    modal = await _shortcut(bot, message, EDIT_SHORTCUT)
    assert modal["callback_id"] == "wan_edit_modal"
    assert modal["title"]["text"] == "Edit with Wan"
    assert "harbour.png, boat.png" in json.dumps(modal["blocks"])
    assert tap.creates == [] and bot.fake.files.fetches == []  # nothing is read or spent before the prompt

    status, body = await bot.interact(_submission(modal, "make it a snowy winter night"))
    assert status == 200 and body == ""  # stored before the modal closed
    result = await status_after(bot, set())
    assert result.channel == "C_MEMBER" and result.thread_ts is None

    await until(lambda: bool(tap.creates), what="the create")
    [create] = tap.creates
    wire = create["body"]
    assert create["path"].endswith(("/multimodal-generation/generation", "/image-generation/generation"))
    assert wire["model"] in IMAGE_MODELS
    [user_message] = wire["input"]["messages"]
    content = user_message["content"]
    assert content[0] == {"text": "make it a snowy winter night"}
    assert [list(entry) for entry in content[1:]] == [["image"], ["image"]]
    await readable_copy(content[1]["image"], first, "image/png", bot)
    await readable_copy(content[2]["image"], second, "image/png", bot)
    assert "thinking_mode" not in wire.get("parameters", {})  # only without input images
    assert wire.get("parameters", {}).get("size", "2K") in ("1K", "2K")

    # Each file was fetched once, with the bot token, from Slack's file host.
    for made in files:
        assert [(f.status, f.authorization) for f in bot.fake.files.fetched(made)] == [(200, f"Bearer {TOKEN}")]
    await delivered(bot, result, timeout=30)
    assert bot.shown_states(result)[-1] == "DELIVERED"
    shared = _thread_files(bot, result)
    assert shared and all(u.head.startswith(b"\x89PNG") for u in shared)


async def test_a_message_without_images_gets_one_sentence_and_nothing_is_spent(
        tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    plain = bot.fake.post_user_message("C_MEMBER", "no files here")
    assert await _refused(bot, plain, EDIT_SHORTCUT) == (
        "That request doesn't work: that message has no image files; Wan edits and animates JPEG, PNG, BMP or "
        "WEBP images posted in Slack.")
    pdf = bot.fake.files.add("report.pdf", b"%PDF-1.7 not an image", "application/pdf")
    gif = bot.fake.files.add("cat.gif", b"GIF89a....", "image/gif")
    others = bot.fake.post_user_message("C_MEMBER", "a pdf and a gif", files=[pdf, gif])
    assert await _refused(bot, others, ANIMATE_SHORTCUT) == (
        "That request doesn't work: none of that message's files is an image Wan can read (JPEG, PNG, BMP or WEBP).")
    assert bot.fake.views == [] and tap.creates == [] and bot.fake.files.fetches == []
    assert bot.status_messages() == []


async def test_a_file_that_says_png_but_is_not_an_image_is_refused_under_the_field(
        tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    fake_png = bot.fake.files.add("totally.png", b"%PDF-1.7 this is a pdf", "image/png")
    message = bot.fake.post_user_message("C_MEMBER", "look", files=[fake_png])
    modal = await _shortcut(bot, message, EDIT_SHORTCUT)
    status, body = await bot.interact(_submission(modal, "brighter"))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert answer["errors"]["prompt"]  # one sentence, under the field
    assert tap.creates == [] and bot.status_messages() == []
    assert bot.rt is not None and await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=5) == []


async def test_the_modal_is_sealed_to_who_opened_it(tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    image = bot.fake.files.add("a.png", png(256, 256), "image/png")
    modal = await _shortcut(bot, bot.fake.post_user_message("C_MEMBER", "x", files=[image]), EDIT_SHORTCUT)
    for payload in (_submission(modal, "p", user="U2"), _submission(modal, "p", team="T_OTHER"),
                    {**_submission(modal, "p"), "view": {**_submission(modal, "p")["view"],
                                                          "private_metadata": modal["private_metadata"][:-3]}}):
        status, body = await bot.interact(payload)
        assert status == 200 and json.loads(body)["errors"]["prompt"].startswith("This form isn't yours")
    assert tap.creates == [] and bot.fake.files.fetches == []


@pytest.mark.parametrize(("how", "stranger_host"), [
    ("named", "127.0.0.1"), ("named", "127.0.0.2"), ("redirected", "127.0.0.2"), ("redirected", "127.0.0.1"),
])
async def test_the_token_never_goes_to_a_host_that_is_not_slacks(tap_bot: tuple[SlackBot, WireTap], how: str,
                                                                 stranger_host: str) -> None:
    """A file object naming someone else's server (a forged or odd payload; files.info says the same), or
    Slack's file host redirecting there: that server never sees the bot token. (The fake Slack is on
    127.0.0.1: a stranger on the same address but another port is another origin all the same.)"""
    bot, _ = tap_bot
    seen: list[str] = []
    image = png(300, 300)

    async def stranger(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(body=image, content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", stranger)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, stranger_host, 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        stranger_url = f"http://{host}:{port}/files-pri/T0TEST-F1/x.png"
        if how == "named":
            elsewhere = bot.fake.files.add("elsewhere.png", image, "image/png", url_private_download=stranger_url)
        else:
            elsewhere = bot.fake.files.add("hop.png", image, "image/png")
            elsewhere.redirect = stranger_url
        modal = await _shortcut(bot, bot.fake.post_user_message("C_MEMBER", "x", files=[elsewhere]), EDIT_SHORTCUT)
        status, _ = await bot.interact(_submission(modal, "brighter"))
        assert status == 200
        await until(lambda: bool(seen), what="the stranger's server being asked")
    finally:
        await runner.cleanup()
    assert seen and all(auth == "" for auth in seen)
    assert all(TOKEN not in auth for auth in seen)


@pytest.mark.parametrize("side", [100, 300])  # 100 px: refused by the check; 300 px: a job
async def test_a_slow_check_closes_the_modal_and_its_outcome_follows(
        tap_bot: tuple[SlackBot, WireTap], monkeypatch: pytest.MonkeyPatch, side: int) -> None:
    bot, tap = tap_bot
    image = bot.fake.files.add("frame.png", png(side, side), "image/png")
    modal = await _shortcut(bot, bot.fake.post_user_message("C_MEMBER", "x", files=[image]), ANIMATE_SHORTCUT)
    monkeypatch.setattr(shortcuts_module, "ACK_AFTER", 0.0)
    await bot.stop()  # a fresh process reads the window
    await bot.start()
    before = len(bot.ephemeral_texts())
    status, body = await bot.interact(_submission(modal, ""))
    assert status == 200 and body == ""  # closed at once: Slack's 3 s are not spent on the fetch
    if side < 240:
        await until(lambda: len(bot.ephemeral_texts()) > before, what="the refusal")
        [said] = bot.ephemeral_texts()[before:]
        assert said.startswith("That request doesn't work: the image is 100×100 px"), said
        assert tap.creates == [] and bot.status_messages() == []
    else:
        await status_after(bot, set())  # the job, stored after the modal closed
        await until(lambda: bool(tap.creates), what="the create")
        assert tap.creates[0]["body"]["model"] == "wan2.7-i2v" and bot.ephemeral_texts()[before:] == []


# -- Animate with Wan ------------------------------------------------------------------------------------


async def test_animate_with_wan_starts_a_video_from_the_first_image_in_the_messages_thread(
        tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    first, second = png(480, 270, (0, 90, 160)), png(270, 480)
    files = [bot.fake.files.add("first.png", first, "image/png"), bot.fake.files.add("second.png", second,
                                                                                      "image/png")]
    parent = bot.fake.post_user_message("C_MEMBER", "a thread")
    reply = bot.fake.post_user_message("C_MEMBER", "in the thread", files=files, thread_ts=parent.ts)

    modal = await _shortcut(bot, reply, ANIMATE_SHORTCUT)
    assert modal["callback_id"] == "wan_animate_modal" and modal["title"]["text"] == "Animate with Wan"
    [prompt_input] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert prompt_input["optional"] is True
    status, body = await bot.interact(_submission(modal, None))  # no prompt: it is optional for i2v
    assert status == 200 and body == ""
    result = await status_after(bot, set())
    assert (result.channel, result.thread_ts) == ("C_MEMBER", parent.ts)  # the message's own thread

    await until(lambda: bool(tap.creates), what="the create")
    [create] = tap.creates
    wire = create["body"]
    assert create["path"].endswith("/video-generation/video-synthesis")
    assert wire["model"] == "wan2.7-i2v"
    [media] = wire["input"]["media"]
    assert media["type"] == "first_frame"
    await readable_copy(media["url"], first, "image/png", bot)
    assert not wire["input"].get("prompt")
    parameters = wire["parameters"]
    assert "ratio" not in parameters and "size" not in parameters  # the video follows the image
    assert parameters["resolution"] in ("720P", "1080P") and 2 <= parameters["duration"] <= 15
    assert [f.status for f in bot.fake.files.fetched(files[0])] == [200]
    assert bot.fake.files.fetched(files[1]) == []  # first image only

    await delivered(bot, result, timeout=30)
    assert bot.shown_states(result)[-1] == "DELIVERED"
    assert any(u.head[4:8] == b"ftyp" for u in _thread_files(bot, result))


# -- the Animate button on an image result -------------------------------------------------------------


async def test_the_animate_button_on_an_image_result_animates_its_image(tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    status, _ = await bot.command("image a red apple on a table --n 1")
    assert status == 200
    image_status = await status_after(bot, set())
    await delivered(bot, image_status, timeout=30)
    buttons = [e["action_id"] for b in bot.status_messages()[0].blocks if b["type"] == "actions"
               for e in b["elements"]]
    assert "wan_animate" in buttons
    job_id = job_id_of(image_status)

    # Someone else may not animate it: one sentence, no modal.
    before = len(bot.ephemeral_texts("U2"))
    await bot.click("animate", job_id, user="U2")
    await until(lambda: len(bot.ephemeral_texts("U2")) > before, what="U2's refusal")
    assert bot.fake.views == []

    await bot.click("animate", job_id)
    await until(lambda: bool(bot.fake.views), what="the animate modal")
    modal = bot.fake.views[-1]["view"]
    assert modal["callback_id"] == "wan_animate_modal" and job_id in json.dumps(modal["blocks"])
    seen = {m.ts for m in bot.status_messages()}
    status, body = await bot.interact(_submission(modal, "the apple rolls off the table"))
    assert status == 200 and body == ""
    video = await status_after(bot, seen)

    await until(lambda: any(c["body"]["model"] == "wan2.7-i2v" for c in tap.creates), what="the i2v create")
    i2v = [c["body"] for c in tap.creates if c["body"]["model"] == "wan2.7-i2v"]
    assert len(i2v) == 1
    wire = i2v[0]
    assert wire["input"]["prompt"] == "the apple rolls off the table"
    [media] = wire["input"]["media"]
    assert media["type"] == "first_frame"
    # The stashed copy of the delivered image: not DashScope's 24 h link to it.
    assert media["url"].startswith(("data:image/", "http")) and bot.sandbox.origin not in media["url"]
    assert "ratio" not in wire["parameters"]
    await delivered(bot, video, timeout=30)
    assert bot.shown_states(video)[-1] == "DELIVERED"


async def test_ten_images_edit_the_first_nine_and_a_channel_the_bot_cannot_post_in_is_refused_first(
        tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    files = [bot.fake.files.add(f"p{n}.png", png(240 + n, 240), "image/png") for n in range(10)]
    modal = await _shortcut(bot, bot.fake.post_user_message("C_MEMBER", "ten", files=files), EDIT_SHORTCUT)
    assert "(9 of 10 image(s)" in json.dumps(modal["blocks"])
    status, body = await bot.interact(_submission(modal, "as a mosaic"))
    assert status == 200 and body == ""
    await until(lambda: bool(tap.creates), what="the create")
    images = [entry for entry in tap.creates[0]["body"]["input"]["messages"][0]["content"] if "image" in entry]
    assert len(images) == 9
    assert bot.fake.files.fetched(files[9]) == []

    # A private channel the bot is not in: nobody types a prompt for a result that could not be posted.
    private = bot.fake.post_user_message("G_PRIVATE", "secret", files=[files[0]])
    views = len(bot.fake.views)
    assert "/invite @wanbot" in await _refused(bot, private, ANIMATE_SHORTCUT)
    assert len(bot.fake.views) == views and len(tap.creates) == 1


async def test_in_socket_mode_the_shortcut_and_its_modal_arrive_over_the_websocket(
        tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox) -> None:
    settings = slack_settings(tmp_path, fake_slack, sandbox, slack_app_token="xapp-1-test", slack_signing_secret=None)
    service = SlackService(slack_config(settings))
    async with runtime(settings, {"slack": service.port}) as rt:
        await service.start(rt.host())
        try:
            await until(lambda: bool(fake_slack.sockets), what="the websocket")
            image = fake_slack.files.add("a.png", png(300, 240), "image/png")
            message = fake_slack.post_user_message("C_MEMBER", "x", files=[image])
            await fake_slack.send_envelope("interactive", fake_slack.message_action(message, ANIMATE_SHORTCUT))
            await until(lambda: bool(fake_slack.views), what="the modal")
            modal = fake_slack.views[-1]["view"]
            envelope = await fake_slack.send_envelope("interactive", _submission(modal, "waves"))
            await until(lambda: any(f.get("envelope_id") == envelope for f in fake_slack.socket_frames),
                        what="the submission's ack")
            await until(lambda: any(m.text.startswith("[") for m in fake_slack.posts()), what="the status message")
            job = (await rt.store.recent_for_user("slack", TEAM, "U1", limit=1))[0]
            assert job.request.model == "wan2.7-i2v" and job.request.prompt == "waves"
        finally:
            await service.stop()
