"""An image job end to end on the real stack: the engine, the real DashScope client against the sandbox's
async image endpoint, and the Discord port posting every PNG in one reply to the status message.

(The ``/wan image`` handler is being rewired onto the engine separately; this drives the engine directly.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.jobs import JobState, Requester
from core.port import ConversationRef
from core.request import ImageRequest
from tests.discord.conftest import KEY


async def test_an_image_job_is_generated_async_and_posted_as_one_reply(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    guild, channel = str(fake.guild.id), str(fake.channel_id)
    requester = Requester(platform="discord", user_id=str(fake.alice.id), channel_id=channel, workspace_id=guild)
    conversation = ConversationRef(platform="discord", channel_id=channel, workspace_id=guild)
    job = await bot.rt.engine.submit(requester, conversation, ImageRequest.build(prompt="a mountain lake", n=2,
                                                                                  size="1K"))
    done = await bot.rt.engine.wait(job.id, timeout=30)
    assert done.state is JobState.DELIVERED, done.error_message
    assert done.status_ref is not None and done.delivered_ref is not None
    uploads = [u for u in fake.uploads if u.filename.startswith(f"wan-{job.id}-")]
    assert sorted(u.filename for u in uploads) == [f"wan-{job.id}-1.png", f"wan-{job.id}-2.png"]
    assert {u.message_id for u in uploads} == {int(done.delivered_ref.message_id)}, "one message"
    assert {u.reply_to for u in uploads} == {int(done.status_ref.message_id)}
    stats = env.sandbox.stats
    assert stats.requests_by_route["image.create"] == 1 and stats.requests_by_route["image.sync"] == 0
    assert stats.images_generated(KEY) == 2
    assert done.cost == Decimal("0.40")
    usage = await bot.rt.engine.store.usage(since=datetime(2000, 1, 1, tzinfo=UTC), platform="discord",
                                            workspace_id=guild)
    assert (usage.jobs, usage.images, usage.cost) == (1, 2, Decimal("0.40"))
    status = int(done.status_ref.message_id)
    await fake.wait_for(lambda: "🖼️ Done" in fake.titles(status))
