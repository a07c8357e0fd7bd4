"""``/wan video`` end to end: the real discord.py client, the fake Discord, the sandbox, a real MP4."""

from __future__ import annotations

import aiohttp

from core.jobs import JobState
from tests.discord.conftest import KEY, ephemeral_reply, job_id_of, status_id
from tests.discord.markup_check import live_markup, unquoted
from tests.fakes.discord_server import MEMBER_PERMISSIONS

MANAGE_CHANNELS = 1 << 4


async def test_video_status_message_edits_and_upload(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()

    inter = await fake.slash(fake.alice, "video", prompt="a lighthouse at dusk @everyone <@123>", duration=2)
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.elapsed < 3.0 and callback.type == 4
    assert not callback.data.get("flags", 0) & 64, "the status message must be public"
    assert callback.data["allowed_mentions"] == {"parse": []}, "an echoed prompt must never ping"
    message_id = status_id(fake, inter)
    # What the response said (the message itself may already show the next state: the create is quick).
    assert callback.data["embeds"][0]["title"] == "🎬 Queued"
    assert [c["custom_id"] for row in callback.data["components"] for c in row["components"]] == [
        f"wan:cancel:{job_id_of(fake, message_id)}"
    ]

    job_id = job_id_of(fake, message_id)
    job = await bot.rt.engine.wait(job_id, timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    # One edit per state change, all by channel and message id with the bot token.
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(message_id))
    assert fake.titles(message_id) == ["🎬 Waiting for DashScope", "🎬 Generating", "🎬 Uploading", "🎬 Done"]
    assert {e.route for e in fake.edits_of(message_id)} == {"channel"}
    # While it runs, the elapsed time is Discord's own ticking timestamp (issue 14), not a frozen "12s".
    asked = f"<t:{int(job.created_at.timestamp())}:R>"
    running = [e.payload["embeds"][0] for e in fake.edits_of(message_id)
               if e.payload["embeds"][0]["title"] == "🎬 Generating"]
    assert running and asked in running[0]["description"]
    assert asked not in fake.messages[message_id].embeds[0]["description"]  # done: the frozen total instead
    assert not [r for r in fake.requests if r[1].startswith("/webhooks/")]
    final = fake.messages[message_id]
    ids = [c["custom_id"] for row in final.components for c in row["components"]]
    assert ids == [f"wan:{a}:{job_id}" for a in ("reroll", "remix", "upscale", "delete")]

    # The MP4, uploaded as a reply to the status message, with its real size.
    assert len(fake.uploads) == 1
    upload = fake.uploads[0]
    assert upload.reply_to == message_id and upload.filename == f"wan-{job_id}.mp4"
    assert job.video_url is not None
    async with aiohttp.ClientSession() as session, session.get(job.video_url) as resp:
        assert upload.size == len(await resp.read())
    assert fake.messages[upload.message_id].content.startswith("🎬 a lighthouse at dusk")
    assert env.sandbox.stats.tasks_created(KEY) == 1

    # Start-up: the commands were synced to the development guild, the gateway came from /gateway/bot.
    assert [(c["name"], c.get("type", 1)) for c in fake.commands[fake.guild.id]] == [
        ("wan", 1), ("Edit with Wan", 3), ("Animate with Wan", 3)]  # the slash group, two message menus
    assert ("GET", "/gateway/bot", 200) in fake.requests
    assert fake.unknown_routes == []


async def test_a_finished_upload_is_found_again_instead_of_repeated(make_env) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.port import DiscordPort

    env = await make_env(speed=500)
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="found again", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    message_id = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, message_id), timeout=20)
    port = bot.rt.engine.book.port(job)
    assert isinstance(port, DiscordPort)
    found = await port.find_upload(job.conversation, filename=f"wan-{job.id}.mp4", reply_to=job.status_ref)
    assert found is not None and int(found.message_id) == fake.uploads[0].message_id
    assert await port.find_upload(job.conversation, filename="wan-other.mp4", reply_to=job.status_ref) is None


HOSTILE = ("[Free Nitro](http://evil.example) and [More](https://evil.example/2) # not a header @everyone @here "
           "<@123456789012345678> <#42> <@&7> ||spoiler||")


async def test_a_hostile_prompt_stays_text_and_nothing_ever_pings(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    admin = MEMBER_PERMISSIONS | MANAGE_CHANNELS
    saved = await fake.slash(fake.alice, "defaults", negative=HOSTILE, permissions=admin)
    assert live_markup(await ephemeral_reply(fake, saved)) == []
    shown = await fake.slash(fake.alice, "defaults")
    assert "Free Nitro" in (reply := await ephemeral_reply(fake, shown)) and live_markup(reply) == []

    inter = await fake.slash(fake.alice, "video", prompt=HOSTILE, duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    assert job.request.negative_prompt == HOSTILE
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))

    embed = fake.messages[status].embeds[0]
    lines = unquoted(embed["description"])
    assert lines and all(live_markup(line) == [] for line in lines), lines
    avoid = next(f["value"] for f in embed["fields"] if f["name"] == "Avoid")
    assert "Free Nitro" in avoid and live_markup(avoid) == [], avoid
    caption, _, by = fake.messages[fake.uploads[0].message_id].content.rpartition("\n")
    assert "Free Nitro" in caption and live_markup(caption) == [], caption
    assert by == f"requested by <@{fake.alice.id}>"  # issue 14: named (the upload allows no mention: no ping)

    # Typed text echoed in ephemeral replies, and the ephemeral status embed.
    typed = await fake.slash(fake.alice, "status", job="[x](http://evil) <@123456789012345678>")
    assert live_markup(await ephemeral_reply(fake, typed)) == []
    peek = await fake.slash(fake.alice, "status", job=job.id)
    await fake.wait_for(lambda: fake.response_to(peek))
    peeked = fake.response_to(peek).data["embeds"][0]
    assert all(live_markup(line) == [] for line in unquoted(peeked["description"]))

    # Every post and edit, by every route, allowed no mention at all — but the one message that pings the
    # requester (issue 14), which allows alice and nobody else, whatever @everyone or <@&7> the prompt says.
    await fake.wait_for(lambda: any(m[1] != {"parse": []} for m in fake.mentions))
    routes = {route for route, _ in fake.mentions}
    assert {"callback", "channel", "channel edit"} <= routes, routes
    assert [m for m in fake.mentions if m[1] != {"parse": []}] == [("channel", {"parse": [], "users": [fake.alice.id]})]
