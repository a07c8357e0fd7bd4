"""``ChatActions.edit_image`` and ``animate``: every input fetched, checked and kept before the engine
accepts anything; refs resolved into what DashScope is sent right before the create; re-use of old jobs'
files checked first. The engine runs on the virtual clock with the scripted DashScope
(``FakeDashScope.wire_bodies`` holds each create's body with its refs resolved)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.access import NotYourJob
from core.actions import Caller, ChatActions
from core.errors import InvalidMedia, InvalidRequest, MediaGone
from core.image_check import ImageCheck
from core.inputs import InputFile
from core.jobs import JobState
from core.media_check import AudioFacts
from core.media_stash import MediaStash, key_of
from core.messages import Messages
from core.request import GenerationRequest, ImageRequest
from tests.engine.conftest import Harness

M = Messages()
CALLER = Caller(platform="test", workspace_id="w1", channel_id="c1", user_id="u1")
OTHER = Caller(platform="test", workspace_id="w1", channel_id="c1", user_id="u2")


def png(size: tuple[int, int] = (320, 240), colour: tuple[int, int, int] = (10, 20, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour if mode == "RGB" else 0).save(out, "PNG")
    return out.getvalue()


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def as_file(data: bytes) -> InputFile:
    return InputFile(data_uri(data), filename="in.png")


class Host:
    def url_for(self, key: str, *, ttl_seconds: float) -> str:
        return f"https://bot.example/media/{key}"


class Audio:
    """An audio check that passes everything and records what it was asked."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.loaded: list[InputFile] = []

    async def check(self, url: str) -> AudioFacts:
        self.checked.append(url)
        return AudioFacts(format="mp3", duration=3.0, size=3)

    async def load(self, file: InputFile) -> tuple[AudioFacts, bytes]:
        self.loaded.append(file)
        return AudioFacts(format="mp3", duration=3.0, size=3), b"ID3"


async def chat_on(harness: Harness, *, host: bool = False, audio: Audio | None = None,
                  **config: Any) -> ChatActions:
    harness.config = harness.config.__class__(**{"max_in_flight": 5, "per_user_cap": 10, **config})
    harness.stash = MediaStash(harness.tmp / "media", host=Host() if host else None)
    engine = await harness.start()
    return ChatActions(engine, M, stash=harness.stash, images=ImageCheck(None, M), audio=audio)


def kept(harness: Harness) -> list[Path]:
    return sorted(p for p in (harness.tmp / "media").rglob("*") if p.is_file())


# -- editing ---------------------------------------------------------------------------------------------

async def test_an_edit_keeps_each_image_and_sends_them_as_data_uris(harness: Harness) -> None:
    chat = await chat_on(harness)
    one, two = png(colour=(1, 2, 3)), png((400, 300), colour=(4, 5, 6))
    started = await chat.edit_image(CALLER, {"prompt": "make it night", "seed": 5, "size": "1K"},
                                    [as_file(one), as_file(two)])
    request = started.job.request
    assert isinstance(request, ImageRequest) and len(request.images) == 2
    assert all(key_of(ref) is not None for ref in request.images)
    assert len(kept(harness)) == 2
    done = await harness.finish(started.job.id)
    assert done.state is JobState.DELIVERED
    assert harness.api.wire_bodies == [{
        "model": "wan2.7-image",
        "input": {"messages": [{"role": "user", "content": [
            {"text": "make it night"}, {"image": data_uri(one)}, {"image": data_uri(two)}]}]},
        "parameters": {"size": "1K", "n": 1, "watermark": False, "seed": 5},
    }]


@pytest.mark.parametrize(("typed", "count", "sentence"), [
    ({"prompt": "p"}, 0, M("edit.count", most=9, count=0)),
    ({"prompt": "p"}, 10, M("edit.count", most=9, count=10)),
    ({"prompt": "p", "size": "4K", "model": "wan2.7-image-pro"}, 1, M("edit.no_4k")),
])
async def test_edit_rules_are_refused_before_anything_is_fetched_or_kept(
        harness: Harness, typed: dict[str, Any], count: int, sentence: str) -> None:
    chat = await chat_on(harness)
    with pytest.raises(InvalidRequest) as refused:
        await chat.edit_image(CALLER, typed, [as_file(png())] * count)
    assert refused.value.message == sentence
    assert kept(harness) == [] and harness.api.creates == []
    assert await chat.engine.recent_jobs("test", "w1", "u1", limit=5) == []


async def test_a_refused_image_costs_nothing(harness: Harness) -> None:
    chat = await chat_on(harness)
    with pytest.raises(InvalidMedia) as refused:
        await chat.edit_image(CALLER, {"prompt": "p"}, [as_file(png()), as_file(png(mode="RGBA"))])
    assert refused.value.message == M("image.alpha")
    assert harness.api.creates == [] and await chat.engine.recent_jobs("test", "w1", "u1", limit=5) == []


async def test_a_delivered_image_is_kept_and_offers_animate(harness: Harness) -> None:
    chat = await chat_on(harness)
    started = await chat.image(CALLER, ImageRequest.build(prompt="a cat", n=2))
    done = await harness.finish(started.job.id)
    refs = done.extra["result_media"]
    assert len(refs) == 2 and all(key_of(r) for r in refs)
    assert (await harness.stash.read(refs[0]))[0] == harness.api.image  # type: ignore[union-attr]
    assert "animate" in chat.engine.view(done).actions


# -- animate --------------------------------------------------------------------------------------------

async def test_animate_from_an_attachment_with_a_last_frame(harness: Harness) -> None:
    chat = await chat_on(harness)
    first, last = png(colour=(9, 9, 9)), png(colour=(200, 200, 200))
    started = await chat.animate(CALLER, {"prompt": "day to night", "duration": 4, "seed": 11},
                                 first_frame=as_file(first), last_frame=as_file(last))
    request = started.job.request
    assert isinstance(request, GenerationRequest) and request.model == "wan2.7-i2v" and request.ratio is None
    assert started.job.reserved_cost == request.estimated_cost() == 4 * request.spec.price_per_second["720P"]
    done = await harness.finish(started.job.id)
    assert done.state is JobState.DELIVERED
    assert harness.api.wire_bodies == [{
        "model": "wan2.7-i2v",
        "input": {"prompt": "day to night", "media": [{"type": "first_frame", "url": data_uri(first)},
                                                      {"type": "last_frame", "url": data_uri(last)}]},
        "parameters": {"resolution": "720P", "duration": 4, "prompt_extend": True, "watermark": False, "seed": 11},
    }]
    view = chat.engine.view(done)
    assert view.title == M("title.from", title=M("animate.title", state=M("state.DELIVERED")),
                           source=M("animate.from_frames"))


@pytest.mark.parametrize(("typed", "files", "sentence"), [
    ({"ratio": "16:9"}, {"first_frame": True}, M("animate.ratio")),
    ({}, {}, M("animate.no_first_frame")),
    ({}, {"first_frame": True, "from_job": "abc"}, M("animate.two_sources")),
    ({"duration": 20}, {"first_frame": True}, "duration must be a whole number of seconds from 2 to 15 for "
                                              "wan2.7-i2v"),
])
async def test_animate_refusals_cost_nothing(harness: Harness, typed: dict[str, Any], files: dict[str, Any],
                                             sentence: str) -> None:
    chat = await chat_on(harness)
    options: dict[str, Any] = {}
    if files.get("first_frame"):
        options["first_frame"] = as_file(png())
    if "from_job" in files:
        options["from_job"] = files["from_job"]
    with pytest.raises(InvalidRequest) as refused:
        await chat.animate(CALLER, typed, **options)
    assert refused.value.message == sentence
    assert kept(harness) == [] and await chat.engine.recent_jobs("test", "w1", "u1", limit=5) == []


async def test_animate_an_image_result_then_reroll_it(harness: Harness) -> None:
    chat = await chat_on(harness)
    image = await harness.finish((await chat.image(CALLER, ImageRequest.build(prompt="a cat"))).job.id)
    started = await chat.animate(CALLER, {}, from_job=image.id)
    assert started.parent is not None and started.parent.id == image.id
    assert started.text == M("action.animated", job_id=image.id, new_job_id=started.job.id)
    request = started.job.request
    assert isinstance(request, GenerationRequest) and request.frame("first_frame") == image.extra["result_media"][0]
    assert (await harness.finish(started.job.id)).state is JobState.DELIVERED
    first_frame = "data:image/png;base64," + base64.b64encode(harness.api.image).decode()
    assert harness.api.wire_bodies[-1]["input"] == {"media": [{"type": "first_frame", "url": first_frame}]}
    again = await chat.reroll(CALLER, started.job.id)
    assert isinstance(again.job.request, GenerationRequest) and again.job.request.media == request.media
    # Someone else may not animate my image.
    with pytest.raises(NotYourJob):
        await chat.animate(OTHER, {}, from_job=image.id)


async def test_animate_from_a_video_or_a_forgotten_image_is_one_sentence(harness: Harness) -> None:
    chat = await chat_on(harness)
    video = await chat.video(CALLER, {"prompt": "a fox", "duration": 2})
    with pytest.raises(InvalidRequest) as not_image:
        await chat.animate(CALLER, {}, from_job=video.job.id)
    assert not_image.value.message == M("animate.not_image_job", job_id=video.job.id)
    image = await harness.finish((await chat.image(CALLER, ImageRequest.build(prompt="a cat"))).job.id)
    for path in kept(harness):
        path.unlink()
    with pytest.raises(InvalidRequest) as gone:
        await chat.animate(CALLER, {}, from_job=image.id)
    assert gone.value.message == M("animate.from_job_gone")


async def test_a_reroll_whose_file_is_gone_is_refused_before_accept(harness: Harness) -> None:
    chat = await chat_on(harness)
    started = await chat.edit_image(CALLER, {"prompt": "p"}, [as_file(png())])
    await harness.finish(started.job.id)
    for path in kept(harness):
        path.unlink()
    creates = len(harness.api.creates)
    with pytest.raises(MediaGone) as gone:
        await chat.reroll(CALLER, started.job.id)
    assert gone.value.message == M("media.gone") and len(harness.api.creates) == creates


async def test_a_ref_that_cannot_be_resolved_fails_the_job_before_any_create(harness: Harness) -> None:
    chat = await chat_on(harness)
    missing = "wanbot-media:" + "e" * 64 + ".png"
    started = await chat.engine.accept(CALLER.requester, CALLER.conversation,
                                       ImageRequest.build(prompt="p", images=[missing]))
    done = await harness.finish(started.id)
    assert done.state is JobState.FAILED and done.error_message == M("media.gone")
    assert harness.api.creates == [] and done.cost is None


# -- audio (t2v audio_url, i2v driving_audio) -------------------------------------------------------------

async def test_audio_without_a_host_keeps_a_public_link_and_refuses_a_private_one(harness: Harness) -> None:
    audio = Audio()
    chat = await chat_on(harness, audio=audio)
    link = InputFile("https://cdn.example/a.mp3")
    started = await chat.video(CALLER, {"prompt": "a fox sings"}, audio=link)
    assert isinstance(started.job.request, GenerationRequest) and started.job.request.audio_url == link.url
    assert audio.checked == [link.url]
    slack = InputFile("https://files.slack.com/x.mp3", headers={"Authorization": "Bearer xoxb-1"})
    with pytest.raises(InvalidMedia) as private:
        await chat.animate(CALLER, {}, first_frame=as_file(png()), audio=slack)
    assert private.value.message == M("media.slack_private_audio")
    assert audio.loaded == []


async def test_audio_with_a_host_is_kept_and_sent_as_the_hosts_link(harness: Harness) -> None:
    audio = Audio()
    chat = await chat_on(harness, host=True, audio=audio)
    slack = InputFile("https://files.slack.com/x.mp3", headers={"Authorization": "Bearer xoxb-1"})
    started = await chat.animate(CALLER, {"prompt": "sing"}, first_frame=as_file(png()), audio=slack)
    request = started.job.request
    assert isinstance(request, GenerationRequest)
    audio_ref = request.frame("driving_audio")
    assert audio_ref is not None and audio_ref.endswith(".mp3") and audio.loaded == [slack]
    await harness.finish(started.job.id)
    frame_key, audio_key = key_of(request.media[0].url), key_of(audio_ref)
    assert harness.api.wire_bodies[-1]["input"] == {"prompt": "sing", "media": [
        {"type": "first_frame", "url": f"https://bot.example/media/{frame_key}"},
        {"type": "driving_audio", "url": f"https://bot.example/media/{audio_key}"}]}
