"""An ``--audio`` link through the console adapter, the real runtime and the embedded sandbox.

Before the audio check, every one of these links was sent to DashScope in a create (the sandbox counted a
task); now a link DashScope would refuse gets one sentence and nothing is stored, queued or sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.jobs import JobState
from core.messages import Messages
from core.request import GenerationRequest
from tests.media.conftest import AudioHost

KEY = "sk-wanbot-sandbox"
M = Messages()


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[tuple[Runtime, ConsoleSession]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                        poll_interval=0.05, sandbox_speed=2000.0)
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    async with runtime(settings, {PLATFORM: port}, force_sandbox=True) as r:
        yield r, ConsoleSession(r.actions, port, console)


def _created(r: Runtime) -> int:
    assert r.sandbox is not None
    return r.sandbox.stats.tasks_created(KEY)


@pytest.mark.parametrize(("name", "reason"), [
    ("short.wav", M("audio.duration", seconds="1.0", low="2", high="30")),
    ("long.mp3", M("audio.duration", seconds="31.0", low="2", high="30")),
    ("text.mp3", M("audio.not_audio")),
    ("missing.mp3", M("audio.http_status", status=404)),
])
async def test_a_bad_audio_link_is_one_sentence_and_no_create(rt: tuple[Runtime, ConsoleSession],
                                                              audio_host: AudioHost, name: str, reason: str) -> None:
    r, session = rt
    reply = await session.handle(f"/wan video a fox sings --audio {audio_host.url(name)}")
    assert reply == M("invalid", reason=reason)
    assert session.submitted == []
    assert await r.store.active() == []
    assert await r.engine.recent_jobs(CALLER.platform, CALLER.workspace_id, CALLER.user_id, limit=5) == []
    assert _created(r) == 0


async def test_a_good_link_is_sent_and_a_reroll_after_it_expired_is_refused(
        rt: tuple[Runtime, ConsoleSession], audio_host: AudioHost) -> None:
    r, session = rt
    url = audio_host.url("ok.mp3")
    assert await session.handle(f"/wan video a fox sings --duration 2 --audio {url}") is None
    [job] = await session.drain(timeout=60)
    assert job.state is JobState.DELIVERED
    assert isinstance(job.request, GenerationRequest) and job.request.audio_url == url
    assert _created(r) == 1

    # The link stops working (a platform's signed attachment URL expires): a re-roll says so up front.
    audio_host.gone.add("ok.mp3")
    reply = await session.handle(f"/wan reroll {job.id}")
    assert reply == M("invalid", reason=M("audio.http_status", status=404))
    assert _created(r) == 1
    assert len(session.submitted) == 1
