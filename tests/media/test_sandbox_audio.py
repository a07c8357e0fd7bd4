"""The sandbox fetches an ``audio_url`` at create, as the service does, and refuses what the reference
refuses with 400 ``InvalidParameter`` — so a client that skips the check is caught end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from sandbox import Sandbox, SandboxConfig
from sandbox.validation import VideoJob
from tests.media.conftest import AudioHost
from tests.sandbox.conftest import KEY, Api, video_body


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    config = SandboxConfig(speed=1000, api_key=KEY, seed=1, cache_dir=tmp_path)
    async with Sandbox(config) as sb, aiohttp.ClientSession() as session:
        yield Api(sb, session)


def _with_audio(url: str) -> dict[str, object]:
    body = video_body(duration=2)
    body["input"]["audio_url"] = url
    return body


@pytest.mark.parametrize(("name", "said"), [
    ("short.wav", "1.0 s long"), ("long.mp3", "31.0 s long"), ("flac.mp3", "not a WAV or MP3"),
    ("text.mp3", "not a WAV or MP3"), ("missing.mp3", "HTTP 404"),
])
async def test_a_bad_audio_link_is_400_invalid_parameter(api: Api, audio_host: AudioHost,
                                                         name: str, said: str) -> None:
    status, data = await api.create(_with_audio(audio_host.url(name)))
    assert status == 400 and data["code"] == "InvalidParameter", data
    assert "input.audio_url" in data["message"] and said in data["message"]
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_a_good_audio_link_makes_a_task(api: Api, audio_host: AudioHost) -> None:
    url = audio_host.url("ok.wav")
    task = api.sandbox.task(await api.create_id(_with_audio(url)))
    assert task is not None and isinstance(task.job, VideoJob)
    assert task.job.audio and task.job.audio_url == url
    assert audio_host.gets == ["/f/ok.wav"]
