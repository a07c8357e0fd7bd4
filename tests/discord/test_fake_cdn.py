"""The fake Discord's CDN behaves like Discord's: signed links serve the bytes, and a tampered, expired or
revoked link answers 404 "This content is no longer available." (what 5B's re-hosting is about)."""

from __future__ import annotations

import aiohttp

from tests.discord.images import png
from tests.fakes.discord_fake.cdn import GONE
from tests.fakes.discord_server import FakeDiscord


async def _get(url: str) -> tuple[int, bytes, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read(), response.content_type


async def test_signed_links_serve_until_they_expire() -> None:
    async with FakeDiscord() as fake:
        data = png()
        shot = fake.attachment("shot.png", data)
        assert shot.content_type == "image/png" and shot.size == len(data) and shot.json()["ephemeral"] is True
        assert await _get(shot.url) == (200, data, "image/png")
        assert (await _get(shot.url.replace("hm=", "hm=0")))[:2] == (404, GONE.encode()), "tampered"
        assert (await _get(shot.url.split("?")[0]))[0] == 404, "unsigned"

        fake.cdn.ttl = -1  # links issued from now on are already past their ex
        stale = fake.attachment("stale.png", data)
        assert (await _get(stale.url))[0] == 404

        posted = fake.user_message(fake.bob, attachments=[shot])
        link = posted.attachments[0].url
        assert f"/attachments/{fake.channel_id}/" in link and link != shot.url
        assert "ephemeral" not in posted.attachments[0].json(), "a message's file is not ephemeral"
        fake.cdn.ttl = 3600
        fresh = fake.user_message(fake.bob, attachments=[shot]).attachments[0].url
        assert (await _get(fresh))[0] == 200
        fake.cdn.expire_all()
        assert (await _get(fresh))[0] == 404 and (await _get(shot.url))[0] == 404
        assert [status for _, status in fake.cdn.gets] == [200, 404, 404, 404, 200, 404, 404]
