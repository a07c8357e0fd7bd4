"""``ChatActions`` checks an ``audio_url`` before the engine accepts anything — new, re-roll, remix, 1080P."""

from __future__ import annotations

import pytest

from core.actions import Caller, ChatActions
from core.errors import InvalidMedia
from core.inputs import InputFile
from core.media_check import AudioFacts
from core.messages import Messages
from tests.engine.conftest import Harness

M = Messages()
URL = "https://cdn.example/a.mp3"
CALLER = Caller(platform="test", workspace_id="w1", channel_id="c1", user_id="u1")


class ScriptedCheck:
    """Passes until ``refuse`` is set; records every link it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.refuse = False

    async def check(self, url: str) -> AudioFacts:
        self.asked.append(url)
        if self.refuse:
            raise InvalidMedia(M("audio.http_status", status=403), field="audio_url")
        return AudioFacts(format="mp3", duration=3.0, size=1000)

    async def load(self, file: InputFile) -> tuple[AudioFacts, bytes]:
        return await self.check(file.url), b"ID3"


async def test_every_job_with_audio_is_checked_first_and_a_refusal_accepts_nothing(harness: Harness) -> None:
    harness.config = harness.config.__class__(max_in_flight=0, per_user_cap=10)
    check = ScriptedCheck()
    chat = ChatActions(await harness.start(), M, audio=check)
    plain = await chat.video(CALLER, {"prompt": "a fox"})
    assert check.asked == []  # no audio, no fetch
    first = await chat.video(CALLER, {"prompt": "a fox sings", "audio_url": URL})
    await chat.reroll(CALLER, first.job.id)
    await chat.remix(CALLER, first.job.id, "a wolf sings")
    await chat.upscale(CALLER, first.job.id)
    assert check.asked == [URL] * 4

    check.refuse = True
    with pytest.raises(InvalidMedia) as refused:
        await chat.video(CALLER, {"prompt": "a fox sings", "audio_url": URL})
    assert refused.value.message == M("audio.http_status", status=403)
    with pytest.raises(InvalidMedia):
        await chat.reroll(CALLER, first.job.id)
    recent = await chat.engine.recent_jobs("test", "w1", "u1", limit=20)
    assert len(recent) == 5 and plain.job.id in {job.id for job in recent}
