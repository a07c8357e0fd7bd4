"""``/wan defaults`` on Discord: Manage Channels / Manage Server may set them, every video there uses them."""

from __future__ import annotations

from tests.discord.conftest import ephemeral_reply, job_id_of, status_id
from tests.fakes.discord_server import MEMBER_PERMISSIONS

MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5


async def test_managers_set_channel_defaults_and_videos_there_use_them(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    channels = bot.rt.store.channels
    guild, channel = str(fake.guild.id), str(fake.channel_id)

    # A plain member may look, not change.
    shown = await fake.slash(fake.alice, "defaults")
    assert await ephemeral_reply(fake, shown) == "This channel has no defaults: videos use each model's own."
    refused = await fake.slash(fake.alice, "defaults", resolution="1080P")
    assert await ephemeral_reply(fake, refused) == (
        "Only members who can manage this channel or the server may change its defaults.")
    assert await channels.get("discord", guild, channel) == {}

    # Manage Channels sets them: checked as one request, only the options given.
    manager = MEMBER_PERMISSIONS | MANAGE_CHANNELS
    bad = await fake.slash(fake.mod, "defaults", model="wan2.2-t2v-plus", duration=10, permissions=manager)
    assert "duration must be a whole number of seconds 5 for wan2.2-t2v-plus" in await ephemeral_reply(fake, bad)
    saved = await fake.slash(fake.mod, "defaults", resolution="1080P", ratio="9:16", watermark=True,
                             permissions=manager)
    assert await ephemeral_reply(fake, saved) == (
        "Saved. Videos in this channel now default to: 1080P, 9:16, watermark.")
    assert await channels.get("discord", guild, channel) == {"resolution": "1080P", "ratio": "9:16",
                                                             "watermark": True}

    # Alice's next video gets them; an option she gave wins, one she left out does not override.
    inter = await fake.slash(fake.alice, "video", prompt="a fox in the snow", duration=2, ratio="1:1")
    await fake.wait_for(lambda: fake.response_to(inter))
    job = await env.job(bot, job_id_of(fake, status_id(fake, inter)))
    assert (job.request.resolution, job.request.ratio, job.request.watermark, job.request.duration) == (
        "1080P", "1:1", True, 2)

    # Manage Server may clear them.
    cleared = await fake.slash(fake.owner, "defaults", clear=True, permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
    assert await ephemeral_reply(fake, cleared) == (
        "Cleared. Videos in this channel use each model's own defaults again.")
    assert await channels.get("discord", guild, channel) == {}
