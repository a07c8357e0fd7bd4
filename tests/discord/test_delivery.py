"""Delivery on Discord: Discord's 413 handled by re-encoding, and edits that outlive interaction tokens."""

from __future__ import annotations

import aiohttp

from core.jobs import JobState
from sandbox.config import SandboxConfig
from tests.discord.conftest import KEY, job_id_of, status_id
from tests.fakes.discord_server import FakeDiscord

VIDEO_BYTES = 1_500_000


async def test_413_from_discord_is_handled_by_reencoding(make_env) -> None:  # type: ignore[no-untyped-def]
    # The guild says 10 MiB (tier 0) but Discord refuses more than 1.3 MB: a boost that just ran out.
    fake = FakeDiscord()
    fake.guild.enforced_upload_limit = 1_300_000
    env = await make_env(fake=fake, sandbox=SandboxConfig(speed=300, api_key=KEY, min_video_bytes=VIDEO_BYTES))
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a big wave", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    assert len(fake.rejected_uploads) == 1 and fake.rejected_uploads[0] >= VIDEO_BYTES
    assert len(fake.uploads) == 1 and fake.uploads[0].size <= 1_300_000
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))
    assert "Re-encoded" in fake.messages[status].embeds[0]["description"]
    assert "Re-encoded" in fake.messages[fake.uploads[0].message_id].content


async def test_edits_succeed_after_the_interaction_token_expired(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="a slow train", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    fake.expire_tokens()  # what 15 minutes do to the token; the job has not even left the queue
    async with aiohttp.ClientSession() as session:
        url = f"{fake.api_base}/webhooks/{fake.application_id}/{inter.token}/messages/@original"
        async with session.patch(url, json={"content": "x"}) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == 50027
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=20)
    assert job.state is JobState.DELIVERED
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))
    assert fake.titles(status) == ["🎬 Waiting for DashScope", "🎬 Generating", "🎬 Uploading", "🎬 Done"]
    assert all(e.route == "channel" for e in fake.edits_of(status))
    assert len(fake.uploads) == 1
