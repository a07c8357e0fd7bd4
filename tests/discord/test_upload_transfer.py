"""Uploads to one channel: what the fake Discord tells discord.py about its rate limits, and what follows.

discord.py sends one request at a time per channel and route until a response's ``X-RateLimit-*``
headers say how many it may have in flight; real Discord always sends them. These tests pin the fake's
``message_rate`` knob (the headers, the 429 past them) and that, once discord.py knows the bucket, two
deliveries to the same channel upload at once instead of one after the other.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from core.port import ConversationRef
from tests.fakes.discord_server import FakeDiscord


def _form(name: str, data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", '{"content": "x"}')
    form.add_field("files[0]", data, filename=name, content_type="application/octet-stream")
    return form


async def test_the_fake_sends_rate_limit_headers_and_refuses_past_them() -> None:
    async with FakeDiscord(message_rate=(2, 60.0)) as fake, aiohttp.ClientSession() as session:
        url = f"{fake.api_base}/channels/{fake.channel_id}/messages"
        auth = {"Authorization": f"Bot {fake.token}"}
        seen = []
        for _ in range(3):
            async with session.post(url, json={"content": "hi"}, headers=auth) as resp:
                seen.append((resp.status, resp.headers.get("X-RateLimit-Limit"),
                             resp.headers.get("X-RateLimit-Remaining"), await resp.json()))
        assert [s[:3] for s in seen] == [(200, "2", "1"), (200, "2", "0"), (429, "2", "0")]
        assert seen[2][3]["retry_after"] > 0 and seen[2][3]["global"] is False
        assert fake.rate_limited == 1 and len(fake.messages) == 2
        async with session.post(url, data=_form("a.bin", b"x" * 10), headers=auth) as resp:
            assert resp.status == 429  # an upload is a post like any other


async def test_without_the_knob_the_fake_sends_no_rate_limit_headers() -> None:
    # What every other test sees: discord.py then keeps one request per channel and route in flight.
    async with FakeDiscord() as fake, aiohttp.ClientSession() as session:
        url = f"{fake.api_base}/channels/{fake.channel_id}/messages"
        async with session.post(url, json={"content": "hi"}, headers={"Authorization": f"Bot {fake.token}"}) as r:
            assert r.status == 200 and not [h for h in r.headers if h.lower().startswith("x-ratelimit")]


async def test_the_fake_measures_a_large_upload_to_the_byte() -> None:
    # The fake reads an upload 1 MiB at a time (not aiohttp's 8 KiB): sizes still exact across reads.
    size = 3 * 1024 * 1024 + 17
    async with FakeDiscord(premium_tier=2) as fake, aiohttp.ClientSession() as session:
        url = f"{fake.api_base}/channels/{fake.channel_id}/messages"
        async with session.post(url, data=_form("big.bin", b"\x07" * size),
                                headers={"Authorization": f"Bot {fake.token}"}) as resp:
            assert resp.status == 200
        assert [(u.filename, u.size) for u in fake.uploads] == [("big.bin", size)]


async def test_two_uploads_to_one_channel_are_in_flight_at_once(make_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord(message_rate=(50, 60.0))
    env = await make_env(fake=fake)
    bot = await env.start()
    port = bot.port
    conv = ConversationRef("discord", str(fake.channel_id), str(fake.guild.id), None)
    files = []
    for i in range(2):
        path = tmp_path / f"v{i}.mp4"
        path.write_bytes(b"\x00" * 200_000)
        files.append(path)
    # A first post teaches discord.py the channel's bucket, as a job's status message does before its video.
    await port._channel(conv).send(content="status")
    fake.hold_uploads = asyncio.Event()
    uploads = [asyncio.create_task(port.upload_video(conv, path, filename=path.name, size=200_000,
                                                     caption="done", reply_to=None)) for path in files]
    try:
        # Both bodies are at the fake before either is answered: the second did not wait for the first.
        await fake.wait_for(lambda: fake.uploads_held == 2, timeout=10)
    finally:
        fake.hold_uploads.set()
    await asyncio.gather(*uploads)
    assert sorted(u.filename for u in fake.uploads) == ["v0.mp4", "v1.mp4"]
