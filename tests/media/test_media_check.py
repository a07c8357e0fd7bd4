"""``core.media_check.AudioCheck`` against real WAV/MP3/FLAC files on a loopback host."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from core.errors import InvalidMedia, InvalidRequest
from core.media_check import MAX_AUDIO_BYTES, AudioCheck
from core.messages import Messages
from tests.fakes.net import free_port
from tests.media.conftest import AudioHost

M = Messages()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


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
    facts = await AudioCheck(session, M).check(audio_host.url(name))
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
    assert await _refusal(AudioCheck(session, M), audio_host.url(name)) == M(key, **fields)


async def test_over_the_cap_by_its_length(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    # ok.wav is ~132 KB: a cap under it refuses on the Content-Length.
    message = await _refusal(AudioCheck(session, M, max_bytes=100_000), audio_host.url("ok.wav"))
    assert message == M("audio.too_big", limit="0.1 MB")


async def test_a_body_with_no_length_stops_past_the_cap(session: aiohttp.ClientSession,
                                                         audio_host: AudioHost) -> None:
    message = await _refusal(AudioCheck(session, M), f"{audio_host.base}/endless")
    assert message == M("audio.too_big", limit="15 MB")
    # The host streams forever: what it managed to send is the cap plus what socket buffers hold.
    assert audio_host.sent_endless[0] < MAX_AUDIO_BYTES + 8 * 1024 * 1024


async def test_a_missing_file_and_a_dead_host(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    check = AudioCheck(session, M)
    assert await _refusal(check, f"{audio_host.base}/gone/x.mp3") == M("audio.http_status", status=404)
    assert await _refusal(check, f"http://127.0.0.1:{free_port()}/x.mp3") == M("audio.unreachable")


async def test_a_host_that_never_answers_is_bounded(session: aiohttp.ClientSession, audio_host: AudioHost) -> None:
    check = AudioCheck(session, M, timeout=0.3)
    assert await _refusal(check, f"{audio_host.base}/hang") == M("audio.timeout", seconds="0.3")
