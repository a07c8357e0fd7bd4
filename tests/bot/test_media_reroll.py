"""End to end: an attachment whose link expired still reaches DashScope, from the bot's own /media/ route.

A person attaches an audio file (``InputFile``: what the Discord adapter hands ``ChatActions.video`` for an
attachment, its signed CDN link); the job is delivered; the link then
dies (``AudioHost.gone``: the way a Discord CDN link expires). A re-roll of that job is delivered anyway,
because the create sends DashScope the bot's signed link to its kept copy — asserted on what the sandbox
received in the create body (``input.audio_url``), and the sandbox, which fetches and probes every
``audio_url`` at create (``SandboxConfig.check_audio``), fetched it from there.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession
from adapters.console.port import PLATFORM, ConsolePort
from bot.media_host import SECRET_FILE
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.inputs import InputFile
from core.jobs import Job, JobState
from sandbox.config import SandboxConfig
from tests.media.conftest import AudioHost, audio_files, audio_host  # noqa: F401 (fixtures)

KEY = "sk-wanbot-sandbox"


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[tuple[Runtime, ConsoleSession]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                        poll_interval=0.05)
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    config = SandboxConfig(speed=2000.0, check_audio=True)
    async with runtime(settings, {PLATFORM: port}, sandbox_config=config) as r:
        yield r, ConsoleSession(r.actions, port, console)


def sent_audio(r: Runtime, job: Job) -> str:
    """The ``input.audio_url`` the sandbox received in ``job``'s create body."""
    assert r.sandbox is not None and job.task_id is not None
    task = r.sandbox.task(job.task_id)
    assert task is not None
    audio_url = getattr(task.job, "audio_url", None)
    assert isinstance(audio_url, str), task.job
    return audio_url


async def test_a_reroll_after_the_attachment_expired_is_fetched_from_the_bot(
        rt: tuple[Runtime, ConsoleSession], audio_host: AudioHost, audio_files: dict[str, Path],  # noqa: F811
        tmp_path: Path) -> None:
    r, session = rt
    original = audio_host.url("ok.mp3")
    # What an adapter does with an attached audio file (Discord's audio option): the link to fetch it from now.
    attached = InputFile(url=original, filename="ok.mp3", content_type="audio/mpeg")
    started = await r.actions.video(CALLER, {"prompt": "a fox sings", "duration": 2}, audio=attached)
    session.submitted.append(started.job.id)
    [first] = await session.drain(timeout=60)
    assert first.state is JobState.DELIVERED, first.error_message
    fetched_original = audio_host.gets.count("/f/ok.mp3")
    assert fetched_original >= 1  # the bot fetched (checked and kept) the attachment once

    # The chat's link expires.
    audio_host.gone.add("ok.mp3")
    reply = await session.handle(f"/wan reroll {first.id}")
    assert reply is not None and first.id in reply, reply
    done = await session.drain(timeout=60)
    again = next(job for job in done if job.id != first.id)
    assert again.state is JobState.DELIVERED, again.error_message
    assert r.sandbox is not None and r.sandbox.stats.tasks_created(KEY) == 2

    # What DashScope was sent both times: the bot's own signed link to its copy, never the chat's link.
    assert r.media_host is not None
    served = dict(r.media_host.served)  # the sandbox's fetches, before this test fetches anything itself
    keys = set()
    for job in (first, again):
        url = sent_audio(r, job)
        parts = urlsplit(url)
        assert url != original and "/f/ok.mp3" not in url
        assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.path.startswith("/media/")
        key = parts.path.removeprefix("/media/")
        query = parse_qs(parts.query)
        exp, sig = query["exp"][0], query["sig"][0]
        # Signed as the brief says, checked here with the secret the bot keeps beside its copies (0600).
        secret = (tmp_path / "wanbot-media" / SECRET_FILE).read_text().strip().encode()
        assert sig == hmac.new(secret, f"{key}:{exp}".encode(), hashlib.sha256).hexdigest()
        # The copy is the attachment's bytes, named by their SHA-256.
        data = audio_files["ok.mp3"].read_bytes()
        assert key == hashlib.sha256(data).hexdigest() + ".mp3"
        keys.add(key)
        async with aiohttp.ClientSession() as client, client.get(url) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "audio/mpeg"
            assert await resp.read() == data
    # The sandbox fetched (and probed) the copy from the bot's /media/ route for each create, and nothing
    # went to the dead link after it died.
    [key] = keys
    assert served.get(key, 0) >= 2, served
    assert audio_host.gets.count("/f/ok.mp3") == fetched_original


async def test_an_animation_rerolled_after_its_files_are_gone_sends_the_kept_copies(
        rt: tuple[Runtime, ConsoleSession], audio_host: AudioHost, tmp_path: Path) -> None:  # noqa: F811
    """The console's ``animate --first PATH --audio LINK``: a local image and an audio link, both kept. With the
    image deleted and the link dead, a re-roll still sends DashScope (``input.media[].url``) the bot's links."""
    from PIL import Image

    r, session = rt
    frame = tmp_path / "frame.png"
    await asyncio.to_thread(lambda: Image.new("RGB", (640, 480), (200, 80, 40)).save(frame))
    line = f"/wan animate a cat wakes up --first {frame} --audio {audio_host.url('ok.wav')} --duration 2"
    assert await session.handle(line) is None
    [first] = await session.drain(timeout=60)
    assert first.state is JobState.DELIVERED, first.error_message

    frame.unlink()
    audio_host.gone.add("ok.wav")
    gets = len(audio_host.gets)
    reply = await session.handle(f"/wan reroll {first.id}")
    assert reply is not None and first.id in reply, reply
    again = next(job for job in await session.drain(timeout=60) if job.id != first.id)
    assert again.state is JobState.DELIVERED, again.error_message
    assert len(audio_host.gets) == gets  # the dead link was not asked again

    assert r.sandbox is not None and again.task_id is not None
    task = r.sandbox.task(again.task_id)
    assert task is not None
    media = dict(getattr(task.job, "media", ()))
    assert set(media) == {"first_frame", "driving_audio"}, media
    for kind, url in media.items():
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.path.startswith("/media/"), (kind, url)
        assert parts.path.endswith(".png" if kind == "first_frame" else ".wav")
        async with aiohttp.ClientSession() as client, client.get(url) as resp:
            assert resp.status == 200
