"""Attachment options through discord.py and the fake Discord: the file a person attached reaches wanbot as
Discord hands it over (a signed CDN link the fake serves), and a link that has expired is refused."""

from __future__ import annotations

from pathlib import Path

from core.request import GenerationRequest
from tests.discord.conftest import KEY, ephemeral_reply, job_id_of, status_id
from tests.media.conftest import audio_files  # noqa: F401  (fixture)


async def test_an_audio_attachment_reaches_the_job_as_its_cdn_link(  # type: ignore[no-untyped-def]
        make_env, audio_files: dict[str, Path]) -> None:  # noqa: F811
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    song = fake.attachment("song.wav", audio_files["ok.wav"].read_bytes())
    assert song.content_type in ("audio/x-wav", "audio/wav")
    inter = await fake.slash(fake.alice, "video", prompt="a fox sings", duration=2, audio=song)
    await fake.wait_for(lambda: fake.response_to(inter))
    job = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, inter)), timeout=60)
    assert isinstance(job.request, GenerationRequest) and job.request.audio_url == song.url
    assert song.url.startswith(fake.cdn.origin + "/ephemeral-attachments/") and "?ex=" in song.url
    assert (song.url.split("?")[0].removeprefix(fake.cdn.origin), 200) in fake.cdn.gets
    assert env.sandbox.stats.tasks_created(KEY) == 1


async def test_an_expired_attachment_link_is_refused_before_anything_is_spent(  # type: ignore[no-untyped-def]
        make_env, audio_files: dict[str, Path]) -> None:  # noqa: F811
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    song = fake.attachment("song.wav", audio_files["ok.wav"].read_bytes())
    fake.cdn.expire_all()
    inter = await fake.slash(fake.alice, "video", prompt="a fox sings", duration=2, audio=song)
    assert await ephemeral_reply(fake, inter) == (
        "That request doesn't work: the audio link answered HTTP 404 instead of a file; check it opens without "
        "signing in (a chat attachment's link may have expired).")
    assert await bot.rt.store.active() == []
    assert env.sandbox.stats.tasks_created(KEY) == 0
