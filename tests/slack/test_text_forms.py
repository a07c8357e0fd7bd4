"""``/wan image <prompt> --image <link>`` and ``/wan animate … --first <link>`` typed in Slack, end to end
(the shared parser is ``core.media_commands``): the create bodies as the reference has them, refusals in one
sentence with nothing spent, and a typed link never carrying the bot token — not even one on Slack's own
file host (anyone could otherwise have the bot read a private file from a channel they are not in).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from tests.fakes.slack_server import TOKEN
from tests.slack.conftest import SlackBot, readable_copy, status_after, until
from tests.slack.wire import WireTap, png


@dataclass
class Cdn:
    """A public image host: serves ``files`` by path, and remembers what each request carried."""

    files: dict[str, bytes]
    seen: list[tuple[str, str]] = field(default_factory=list)
    origin: str = ""

    async def serve(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, request.headers.get("Authorization", "")))
        data = self.files.get(request.path)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/png")


@pytest.fixture
async def cdn() -> AsyncIterator[Cdn]:
    made = Cdn({"/a.png": png(400, 300, (40, 160, 90)), "/b.png": png(300, 400)})
    app = web.Application()
    app.router.add_get("/{tail:.*}", made.serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    made.origin = f"http://{host}:{port}"
    yield made
    await runner.cleanup()


async def test_image_with_linked_images_is_an_edit_of_them(tap_bot: tuple[SlackBot, WireTap], cdn: Cdn) -> None:
    bot, tap = tap_bot
    status, body = await bot.command(f"image a red boat at sea --image <{cdn.origin}/a.png> "
                                     f"--image {cdn.origin}/b.png")
    assert status == 200 and body == "", body  # stored before the ack
    await status_after(bot, set())
    await until(lambda: bool(tap.creates), what="the create")
    content = tap.creates[0]["body"]["input"]["messages"][0]["content"]
    assert content[0] == {"text": "a red boat at sea"} and len(content) == 3
    await readable_copy(content[1]["image"], cdn.files["/a.png"], "image/png", bot)
    await readable_copy(content[2]["image"], cdn.files["/b.png"], "image/png", bot)
    assert "thinking_mode" not in tap.creates[0]["body"].get("parameters", {})
    assert all(auth == "" for _, auth in cdn.seen)


async def test_animate_typed_with_a_first_frame(tap_bot: tuple[SlackBot, WireTap], cdn: Cdn) -> None:
    bot, tap = tap_bot
    status, body = await bot.command(f"animate the boat drifts --first <{cdn.origin}/a.png|a.png> --duration 3 "
                                     "--seed 42")
    assert status == 200 and body == "", body
    await status_after(bot, set())
    await until(lambda: bool(tap.creates), what="the create")
    wire = tap.creates[0]["body"]
    assert tap.creates[0]["path"].endswith("/video-generation/video-synthesis")
    assert wire["model"] == "wan2.7-i2v" and wire["input"]["prompt"] == "the boat drifts"
    [media] = wire["input"]["media"]
    assert media["type"] == "first_frame"
    await readable_copy(media["url"], cdn.files["/a.png"], "image/png", bot)
    assert wire["parameters"]["duration"] == 3 and wire["parameters"]["seed"] == 42
    assert "ratio" not in wire["parameters"] and "resolution" in wire["parameters"]


@pytest.mark.parametrize("text", [
    "animate a boat --first {cdn}/a.png --ratio 9:16",   # the shape follows the image
    "animate a boat",                                    # no first frame
    "image a boat --image {cdn}/missing.png",            # the link answers 404
    "image a boat --image {cdn}/a.png --size 4K",        # 4K only without input images
])
async def test_bad_typed_input_is_one_sentence_and_nothing_is_spent(tap_bot: tuple[SlackBot, WireTap], cdn: Cdn,
                                                                    text: str) -> None:
    bot, tap = tap_bot
    status, body = await bot.command(text.format(cdn=cdn.origin))
    assert status == 200
    said = json.loads(body)["text"]
    assert said.startswith("That request doesn't work: ") and said.count(".") <= 2, said
    assert tap.creates == [] and bot.status_messages() == []


async def test_a_typed_link_to_a_slack_file_never_gets_the_token(tap_bot: tuple[SlackBot, WireTap]) -> None:
    bot, tap = tap_bot
    secret = bot.fake.files.add("secret.png", png(300, 300), "image/png")
    status, body = await bot.command(f"image copy this --image <{secret.url_private_download}>")
    assert status == 200
    assert json.loads(body)["text"].startswith("That request doesn't work: ")
    fetched = bot.fake.files.fetched(secret)
    assert fetched and all(f.authorization == "" and f.status == 302 for f in fetched)
    assert all(TOKEN not in f.authorization for f in fetched)
    assert tap.creates == [] and bot.status_messages() == []
