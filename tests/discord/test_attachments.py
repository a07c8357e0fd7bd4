"""Attachment options through discord.py and the fake Discord: the file a person attached reaches wanbot as
Discord hands it over (a signed CDN link the fake serves); wanbot keeps its own copy, so DashScope never gets
Discord's link and a re-roll works after that link expired; a link already expired is refused."""

from __future__ import annotations

from pathlib import Path

from core.jobs import JobState
from tests.discord.conftest import KEY, button_ids, ephemeral_reply, job_id_of, status_id
from tests.discord.images import fetched
from tests.media.conftest import audio_files  # noqa: F401  (fixture)

VIDEO_CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"


async def test_an_audio_attachment_is_kept_so_a_reroll_works_after_its_link_died(  # type: ignore[no-untyped-def]
        make_env, audio_files: dict[str, Path]) -> None:  # noqa: F811
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    sound = audio_files["ok.wav"].read_bytes()
    song = fake.attachment("song.wav", sound)
    assert song.content_type in ("audio/x-wav", "audio/wav")
    assert song.url.startswith(fake.cdn.origin + "/ephemeral-attachments/") and "?ex=" in song.url
    inter = await fake.slash(fake.alice, "video", prompt="a fox sings", duration=2, audio=song)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=60)
    assert job.state is JobState.DELIVERED, job.error_message
    # Discord's signed link was fetched once, by wanbot; DashScope was given wanbot's own copy.
    assert [s for p, s in fake.cdn.gets if song.url.startswith(fake.cdn.origin + p)] == [200]
    [(_, first)] = [c for c in env.creates if c[0] == VIDEO_CREATE]
    assert not first["input"]["audio_url"].startswith(fake.cdn.origin)
    assert (await fetched(first["input"]["audio_url"]))[1] == sound

    # A day later Discord's link is dead; a re-roll still has the sound track (5B: re-hosted).
    fake.cdn.expire_all()
    await fake.wait_for(lambda: f"wan:reroll:{job.id}" in button_ids(fake, status))
    reroll = await fake.click(fake.alice, status, f"wan:reroll:{job.id}")
    await fake.wait_for(lambda: fake.response_to(reroll))
    again = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, reroll)), timeout=60)
    assert again.state is JobState.DELIVERED, again.error_message
    second = [body for path, body in env.creates if path == VIDEO_CREATE][1]
    assert (await fetched(second["input"]["audio_url"]))[1] == sound
    assert env.sandbox.stats.tasks_created(KEY) == 2


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
