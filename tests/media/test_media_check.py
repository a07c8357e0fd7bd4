"""``core.media_check.AudioCheck`` against real WAV/MP3/FLAC files on a loopback host."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from core.errors import InvalidMedia, InvalidRequest
from core.media_check import MAX_AUDIO_BYTES, MAX_REDIRECTS, AudioCheck, on_private_network
from core.messages import Messages
from tests.fakes.net import free_port
from tests.media.conftest import AudioHost

M = Messages()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def local(session: aiohttp.ClientSession, **options: Any) -> AudioCheck:
    """A check that may fetch from this machine (the loopback host), as the embedded sandbox's does."""
    return AudioCheck(session, M, public_only=False, **options)


async def _refusal(check: AudioCheck, url: str) -> str:
    with pytest.raises(InvalidMedia) as refused:
        await check.check(url)
    assert isinstance(refused.value, InvalidRequest) and refused.value.field == "audio_url"
    return refused.value.message


@pytest.mark.parametrize(("name", "fmt", "seconds"), [
    ("ok.wav", "wav", 3.0), ("ok.mp3", "mp3", 3.0), ("two.mp3", "mp3", 2.0), ("thirty.wav", "wav", 30.0),
])
async def test_wav_and_mp3_of_2_to_30_seconds_pass(session: aiohttp.ClientSession, audio_host: AudioHost,
                                                   name: str, fmt: str, seconds: float) -> None:
    facts = await local(session).check(audio_host.url(name))
    assert facts.format == fmt
    assert abs(facts.duration - seconds) < 0.1
    assert 0 < facts.size < MAX_AUDIO_BYTES


@pytest.mark.parametrize(("name", "key", "fields"), [
    ("short.wav", "audio.duration", {"seconds": "1.0", "low": "2", "high": "30"}),
    ("long.mp3", "audio.duration", {"seconds": "31.0", "low": "2", "high": "30"}),
    ("flac.mp3", "audio.not_audio", {}),
    ("text.mp3", "audio.not_audio", {}),
])
async def test_what_dashscope_would_refuse_is_refused_with_one_sentence(
        session: aiohttp.ClientSession, audio_host: AudioHost, name: str, key: str, fields: dict[str, str]) -> None:
    assert await _refusal(local(session), audio_host.url(name)) == M(key, **fields)


async def test_over_the_cap_by_its_length(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    # ok.wav is ~132 KB: a cap under it refuses on the Content-Length.
    message = await _refusal(local(session, max_bytes=100_000), audio_host.url("ok.wav"))
    assert message == M("audio.too_big", limit="0.1 MB")


async def test_a_body_with_no_length_stops_past_the_cap(session: aiohttp.ClientSession,
                                                         audio_host: AudioHost) -> None:
    message = await _refusal(local(session), f"{audio_host.base}/endless")
    assert message == M("audio.too_big", limit="15 MB")
    # The host streams forever: what it managed to send is the cap plus what socket buffers hold.
    assert audio_host.sent_endless[0] < MAX_AUDIO_BYTES + 8 * 1024 * 1024


async def test_a_missing_file_and_a_dead_host(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    check = local(session)
    assert await _refusal(check, f"{audio_host.base}/gone/x.mp3") == M("audio.http_status", status=404)
    assert await _refusal(check, f"http://127.0.0.1:{free_port()}/x.mp3") == M("audio.unreachable")


async def test_a_host_that_never_answers_is_bounded(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    check = local(session, timeout=0.3)
    assert await _refusal(check, f"{audio_host.base}/hang") == M("audio.timeout", seconds="0.3")


async def test_a_redirect_is_followed_and_a_loop_is_cut(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    to_file = f"{audio_host.base}/redirect?to={quote(audio_host.url('ok.wav'))}"
    assert (await local(session).check(to_file)).format == "wav"
    assert await _refusal(local(session), f"{audio_host.base}/redirect") == M("audio.redirects", hops=MAX_REDIRECTS)


async def test_a_private_address_is_refused_before_any_fetch(session: aiohttp.ClientSession,
                                                             audio_host: AudioHost) -> None:
    # What real DashScope could never fetch, and what a chat user must not make the bot probe.
    for url in (audio_host.url("ok.wav"), "http://169.254.169.254/latest/meta-data", "http://[::1]/a.mp3",
                "http://10.0.0.7/a.mp3"):
        assert await _refusal(AudioCheck(session, M), url) == M("audio.private")
    assert audio_host.gets == []


async def test_every_redirect_hop_is_checked(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    """A public link that redirects into the private network is refused at the hop, not fetched there."""
    async def resolve(host: str) -> list[str]:
        # 127.0.0.1 plays a public host (the connection still goes to the literal address); localhost is local.
        return ["93.184.216.34"] if host == "127.0.0.1" else ["127.0.0.1"]

    port = audio_host.base.rsplit(":", 1)[1]
    url = f"{audio_host.base}/redirect?to={quote(f'http://localhost:{port}/f/ok.wav')}"
    assert await _refusal(AudioCheck(session, M, resolve=resolve), url) == M("audio.private")
    assert audio_host.gets == ["/redirect"]


@pytest.mark.parametrize(("base", "private"), [
    ("https://dashscope.aliyuncs.com/api/v1", False), ("https://api.apiyi.com/wan/api/v1", False),
    ("http://127.0.0.1:8089/api/v1", True), ("http://localhost:8089/api/v1", True),
    ("http://10.1.2.3/api/v1", True), ("http://[::1]:9/api/v1", True),
])
def test_a_service_on_this_network_may_fetch_this_networks_links(base: str, private: bool) -> None:
    assert on_private_network(base) is private
