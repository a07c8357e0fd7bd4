"""``/wan video audio_url:…`` through discord.py and the fake Discord: a link DashScope would refuse is an
ephemeral sentence and no create; a good one reaches the sandbox."""

from __future__ import annotations

from core.request import GenerationRequest
from tests.discord.conftest import KEY, ephemeral_reply, job_id_of, status_id
from tests.media.conftest import AudioHost, audio_files, audio_host  # noqa: F401  (fixtures)


async def test_a_bad_audio_link_is_refused_before_anything_is_spent(  # type: ignore[no-untyped-def]
        make_env, audio_host: AudioHost) -> None:  # noqa: F811
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    short = await fake.slash(fake.alice, "video", prompt="a fox sings", duration=2,
                             audio_url=audio_host.url("short.wav"))
    assert await ephemeral_reply(fake, short) == (
        "That request doesn't work: the audio is 1.0 s long; DashScope takes 2–30 s of WAV or MP3.")
    assert await bot.rt.store.active() == []
    assert env.sandbox.stats.tasks_created(KEY) == 0

    good = await fake.slash(fake.alice, "video", prompt="a fox sings", duration=2,
                            audio_url=audio_host.url("ok.wav"))
    await fake.wait_for(lambda: fake.response_to(good))
    job = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, good)), timeout=60)
    assert isinstance(job.request, GenerationRequest) and job.request.audio_url == audio_host.url("ok.wav")
    assert env.sandbox.stats.tasks_created(KEY) == 1
