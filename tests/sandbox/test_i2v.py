"""wan2.7-i2v on the video-synthesis route: the body the reference gives, and a real clip from the image.

Truth: ``shared/docs/dashscope-wan.md`` § Image-to-video — ``input.media`` of ``{type, url}`` (first_frame,
last_frame, driving_audio; each once; allowed combinations), ``prompt`` optional, ``resolution`` 720P|1080P
(default 1080P), ``duration`` 2–15, no ``ratio``; same async flow, states and ``usage`` as t2v.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sandbox import Limits, ManualClock
from sandbox.derive import TINT_ALPHA
from sandbox.inputs import fit_aspect
from sandbox.media import ffmpeg_exe, probe, tint_for
from sandbox.validation import VideoJob
from tests.sandbox.conftest import KEY, Api, StartApi
from tests.sandbox.inputs_kit import ImageHost, blend, close, data_uri, mean_rgb, png

RED = (200, 30, 40)
BLUE = (20, 40, 210)
MODEL = "wan2.7-i2v"


@pytest.fixture
async def api(start: StartApi) -> Api:
    # Polling a virtual clock in small steps would trip the 20/s query limit: no limits here.
    return await start(limits=Limits.unlimited())


def i2v_body(media: list[dict[str, str]], prompt: str | None = "the camera slowly pulls back",
             model: str = MODEL, **params: Any) -> dict[str, Any]:
    inp: dict[str, Any] = {"media": media}
    if prompt is not None:
        inp["prompt"] = prompt
    return {"model": model, "input": inp,
            "parameters": {"resolution": "720P", "duration": 2, "prompt_extend": True, "watermark": False,
                           **params}}


def first(url: str) -> dict[str, str]:
    return {"type": "first_frame", "url": url}


def last(url: str) -> dict[str, str]:
    return {"type": "last_frame", "url": url}


def audio(url: str) -> dict[str, str]:
    return {"type": "driving_audio", "url": url}


async def wav(seconds: float) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
        f"sine=frequency=440:duration={seconds}", "-c:a", "pcm_s16le", "-f", "wav", "-",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err
    return out


async def run_to_end(api: Api, body: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """Create, watch PENDING → RUNNING → SUCCEEDED, and download the clip."""
    task_id = await api.create_id(body)
    assert isinstance(api.sandbox.clock, ManualClock)
    seen = [await api.status(task_id)]
    for _ in range(4000):
        api.sandbox.clock.advance(0.005)  # speed 1000: minutes are tenths of a second
        status = await api.status(task_id)
        if status != seen[-1]:
            seen.append(status)
        if status == "SUCCEEDED":
            break
    assert seen == ["PENDING", "RUNNING", "SUCCEEDED"]
    _, answer = await api.query(task_id)
    got, ctype, data = await api.fetch(answer["output"]["video_url"])
    assert (got, ctype) == (200, "video/mp4") and data[4:8] == b"ftyp"
    path = tmp_path / f"{task_id}.mp4"
    path.write_bytes(data)
    return answer, path


async def streams(path: Path) -> str:
    proc = await asyncio.create_subprocess_exec(ffmpeg_exe(), "-hide_banner", "-i", str(path),
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    return err.decode(errors="replace")


async def test_the_clip_starts_on_the_first_frame(api: Api, image_host: ImageHost, tmp_path: Path) -> None:
    url = image_host.put("red.png", png(800, 400, RED), "image/png")
    answer, clip = await run_to_end(api, i2v_body([first(url)], seed=7), tmp_path)
    out = answer["output"]
    assert out["orig_prompt"] == "the camera slowly pulls back" and "actual_prompt" not in out
    assert answer["usage"] == {"duration": 2, "input_video_duration": 0, "output_video_duration": 2,
                               "video_count": 1, "SR": 720, "ratio": "2:1"}
    facts = await probe(clip)
    assert (facts.width, facts.height) == fit_aspect(1280 * 720, 2.0, even=True)
    assert facts.codec == "h264" and abs(facts.duration - 2) < 0.25
    assert close(await mean_rgb(clip), RED, 8)  # the first frame IS the image
    # Without a last frame it ends on the image under the prompt's tint: it moves, and visibly from it.
    end = await mean_rgb(clip, at=1.85)
    task = api.sandbox.task(out["task_id"])
    assert task is not None and isinstance(task.job, VideoJob)
    assert task.job.media == (("first_frame", url),) and task.job.seed == 7
    label = f"{MODEL} 720P 2:1 2s | the camera slowly pulls back"
    assert close(end, blend(RED, tint_for(label, 7), TINT_ALPHA), 10) and not close(end, RED, 8)


async def test_a_last_frame_ends_the_clip(api: Api, image_host: ImageHost, tmp_path: Path) -> None:
    start = image_host.put("a.png", png(480, 640, RED))
    end = image_host.put("b.png", png(480, 640, BLUE))
    answer, clip = await run_to_end(api, i2v_body([first(start), last(end)], prompt=None, resolution="720P",
                                                  duration=3), tmp_path)
    assert answer["usage"]["ratio"] == "3:4" and answer["output"]["orig_prompt"] == ""
    facts = await probe(clip)
    assert facts.height > facts.width and abs(facts.width / facts.height - 0.75) < 0.01
    assert close(await mean_rgb(clip), RED, 8)
    assert close(await mean_rgb(clip, at=2.85), BLUE, 8)


async def test_the_driving_audio_is_muxed(api: Api, image_host: ImageHost, tmp_path: Path) -> None:
    frame = image_host.put("f.png", png(600, 600, BLUE))
    sound = image_host.put("s.wav", await wav(3.0), "audio/wav")
    answer, clip = await run_to_end(api, i2v_body([first(frame), audio(sound)]), tmp_path)
    info = await streams(clip)
    assert "Audio: aac" in info and "Video: h264" in info
    assert abs((await probe(clip)).duration - 2) < 0.25  # cut at the clip's length
    assert answer["usage"]["SR"] == 720 and answer["usage"]["ratio"] == "1:1"
    assert close(await mean_rgb(clip), BLUE, 8)


async def test_defaults_snapshot_and_data_uri(api: Api, clock: ManualClock) -> None:
    body = {"model": "wan2.7-i2v-2026-04-25",
            "input": {"media": [first(data_uri(png(1920, 1080, RED)))]}}
    task_id = await api.create_id(body)
    task = api.sandbox.task(task_id)
    assert task is not None and isinstance(task.job, VideoJob)
    # The service defaults: 1080P (the costly one), 5 s, prompt_extend on, no watermark.
    assert (task.job.resolution, task.job.duration, task.job.prompt) == ("1080P", 5, "")
    assert (task.job.width, task.job.height) == (1920, 1080)
    assert task.job.prompt_extend and not task.job.watermark
    clock.advance(5)  # speed 1000: over an hour of service time
    _, answer = await api.query(task_id)
    assert answer["usage"]["SR"] == 1080 and answer["usage"]["output_video_duration"] == 5


async def test_the_async_header_is_required(api: Api, image_host: ImageHost) -> None:
    url = image_host.put("x.png", png(300, 300, RED))
    code, answer = await api.create(i2v_body([first(url)]), async_=False)
    assert (code, answer["code"]) == (403, "AccessDenied")


async def test_i2v_counts_against_the_in_flight_limit(start: StartApi, image_host: ImageHost) -> None:
    api = await start(limits=Limits(submissions_per_second=0, tasks_in_flight=1, queries_per_second=0))
    url = image_host.put("x.png", png(300, 300, RED))
    assert (await api.create(i2v_body([first(url)])))[0] == 200
    code, answer = await api.create(i2v_body([first(url)]))
    assert (code, answer["code"]) == (429, "Throttling.RateQuota")


U = "http://127.0.0.1:9/frame.png"
BAD_BODIES: dict[str, tuple[dict[str, Any], str]] = {
    "no media": ({"model": MODEL, "input": {"prompt": "x"}}, "input.media"),
    "media not a list": ({"model": MODEL, "input": {"media": {"type": "first_frame"}}}, "list"),
    "unknown type": (i2v_body([{"type": "poster", "url": U}]), "input.media[0].type"),
    "no url": (i2v_body([{"type": "first_frame"}]), "input.media[0].url"),
    "first frame twice": (i2v_body([first(U), first(U)]), "only once"),
    "last frame alone": (i2v_body([last(U)]), "combination"),
    "audio alone": (i2v_body([audio("http://127.0.0.1:9/a.wav")]), "combination"),
    "first clip": (i2v_body([{"type": "first_clip", "url": "http://127.0.0.1:9/c.mp4"}]), "first_clip"),
    "audio as data uri": (i2v_body([first(U), audio("data:audio/wav;base64,AAAA")]), "must be a URL"),
    "ratio": (i2v_body([first(U)], resolution="720P", ratio="16:9"), "`ratio`"),
    "size": (i2v_body([first(U)], size="1280*720"), "`size`"),
    "audio_url": ({"model": MODEL, "input": {"media": [first(U)], "audio_url": "http://127.0.0.1:9/a.wav"}},
                  "driving_audio"),
    "duration 1": (i2v_body([first(U)], resolution="720P", duration=1), "duration"),
    "duration 16": (i2v_body([first(U)], resolution="720P", duration=16), "duration"),
    "duration as text": (i2v_body([first(U)], resolution="720P", duration="5"), "integer"),
    "480P": (i2v_body([first(U)], resolution="480P"), "resolution"),
    "seed out of range": (i2v_body([first(U)], resolution="720P", seed=-1), "seed"),
}


@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
async def test_bodies_the_service_refuses(api: Api, case: str) -> None:
    body, says = BAD_BODIES[case]
    code, answer = await api.create(body)
    assert (code, answer["code"]) == (400, "InvalidParameter"), answer
    assert says in answer["message"]
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_bad_media_files_are_refused_at_create(start: StartApi, image_host: ImageHost) -> None:
    api = await start(input_timeout=0.2, limits=Limits.unlimited())
    good = image_host.put("good.png", png(300, 300, RED))
    cases = {
        "alpha first frame": ([first(image_host.put("alpha.png", png(300, 300, RED, alpha=True)))],
                              "input.media[0].url"),
        "tiny last frame": ([first(good), last(image_host.put("tiny.png", png(100, 300, RED)))],
                            "input.media[1].url"),
        "unreachable frame": ([first(f"{image_host.base}/missing")], "Failed to download"),
        "slow frame": ([first(f"{image_host.base}/hang")], "timed out"),
        "audio that is an image": ([first(good), audio(image_host.put("fake.wav", png(300, 300, RED)))],
                                   "input.media[1].url"),
        "audio too short": ([first(good), audio(image_host.put("short.wav", await wav(1.0)))],
                            "input.media[1].url"),
    }
    for name, (media, says) in cases.items():
        code, answer = await api.create(i2v_body(media))
        assert (code, answer["code"]) == (400, "InvalidParameter"), name
        assert says in answer["message"], (name, answer["message"])
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_without_the_audio_check_an_unreachable_audio_is_left_out(start: StartApi, image_host: ImageHost,
                                                                      tmp_path: Path) -> None:
    api = await start(check_audio=False)
    frame = image_host.put("f.png", png(400, 400, RED))
    _, clip = await run_to_end(api, i2v_body([first(frame), audio(f"{image_host.base}/missing")]), tmp_path)
    assert "Audio:" not in await streams(clip)
