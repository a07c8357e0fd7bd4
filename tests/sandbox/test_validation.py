"""Create-time checks: codes and flat error bodies for bad input, headers, keys and models."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import KNOWN_CODES
from sandbox import ManualClock
from sandbox.validation import VideoJob
from tests.sandbox.conftest import KEY, VIDEO_PATH, Api, StartApi, image_body, video_body


def _with(params: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = video_body()
    body["parameters"] = {**body["parameters"], **params}
    body.update(changes)
    return body


BAD_VIDEO_BODIES = {
    "duration as string": _with({"duration": "5"}),
    "duration float": _with({"duration": 5.5}),
    "duration bool": _with({"duration": True}),
    "duration too long": _with({"duration": 16}),
    "duration too short": _with({"duration": 1}),
    "lower-case resolution": _with({"resolution": "720p"}),
    "480P on wan2.7": _with({"resolution": "480P"}),
    "bad ratio": _with({"ratio": "21:9"}),
    "size on wan2.7": _with({"size": "1280*720"}),
    "shot_type on wan2.7": _with({"shot_type": "multi"}),
    "seed negative": _with({"seed": -1}),
    "seed too big": _with({"seed": 2_147_483_648}),
    "watermark as string": _with({"watermark": "false"}),
    "missing prompt": {"model": "wan2.7-t2v", "input": {}, "parameters": {"resolution": "720P"}},
    "blank prompt": {"model": "wan2.7-t2v", "input": {"prompt": "  "}},
    "missing input": {"model": "wan2.7-t2v"},
    "missing model": {"input": {"prompt": "x"}},
    "prompt not a string": {"model": "wan2.7-t2v", "input": {"prompt": 5}},
    "legacy size with x": video_body(model="wan2.6-t2v", size="1280x720"),
    "legacy size not offered": video_body(model="wan2.1-t2v-plus", size="1920*1080"),
    "legacy resolution param": video_body(model="wan2.6-t2v", resolution="720P"),
    "legacy duration 7 on 2.5": video_body(model="wan2.5-t2v-preview", size="1280*720", duration=7),
    "multi shot on 2.5": video_body(model="wan2.5-t2v-preview", size="1280*720", shot_type="multi"),
    "audio on 2.2": {"model": "wan2.2-t2v-plus", "input": {"prompt": "x", "audio_url": "https://a/b.mp3"}},
    "image model on video url": {"model": "wan2.7-image", "input": {"prompt": "x"}},
    "body is a list": [1, 2],
}


@pytest.mark.parametrize("body", BAD_VIDEO_BODIES.values(), ids=BAD_VIDEO_BODIES.keys())
async def test_bad_video_values_are_invalid_parameter(api: Api, body: Any) -> None:
    code, data = await api.create(body)
    assert code == 400
    assert data["code"] == "InvalidParameter"
    assert set(data) == {"request_id", "code", "message"} and data["message"]
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_not_json(api: Api) -> None:
    code, data = await api.call("POST", VIDEO_PATH, async_=True, data=b"{nope",
                                headers={"Content-Type": "application/json"})
    assert (code, data["code"]) == (400, "InvalidParameter")


async def test_missing_async_header_is_403(api: Api) -> None:
    code, data = await api.create(async_=False)
    assert code == 403
    assert data["code"] == "AccessDenied"
    assert data["message"] == "current user api does not support synchronous calls."


async def test_async_image_needs_header_too(api: Api) -> None:
    code, data = await api.call("POST", "/services/aigc/image-generation/generation", json=image_body())
    assert (code, data["code"]) == (403, "AccessDenied")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "sk-no-bearer"}, {"Authorization": "Bearer "}])
async def test_missing_key_is_401(start: StartApi, headers: dict[str, str]) -> None:
    api = await start()
    api.key = None
    code, data = await api.create(headers=headers)
    assert (code, data["code"]) == (401, "InvalidApiKey")


async def test_wrong_key_is_401(api: Api) -> None:
    code, data = await api.create(key="sk-wrong")
    assert (code, data["code"]) == (401, "InvalidApiKey")
    code, data = await api.query("x", key="sk-wrong")
    assert (code, data["code"]) == (401, "InvalidApiKey")


async def test_no_key_mode_accepts_any_bearer_token(start: StartApi) -> None:
    api = await start(api_key=None)
    code, _ = await api.create(key="sk-anything-at-all")
    assert code == 200
    api.key = None
    code, data = await api.create(headers={})
    assert (code, data["code"]) == (401, "InvalidApiKey")  # a token is still required


async def test_extra_keys_are_accepted(start: StartApi) -> None:
    api = await start(extra_api_keys=("sk-second",))
    assert (await api.create(key="sk-second"))[0] == 200
    assert api.sandbox.stats.tasks_created("sk-second") == 1
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_unknown_model_default_is_400_model_not_exist(api: Api) -> None:
    code, data = await api.create(video_body(model="wan9-t2v"))
    assert (code, data["code"], data["message"]) == (400, "InvalidParameter", "Model not exist.")


async def test_unknown_model_can_be_404(start: StartApi) -> None:
    api = await start(model_not_found_404=True)
    code, data = await api.create(video_body(model="wan9-t2v"))
    assert (code, data["code"]) == (404, "ModelNotFound")


async def test_unknown_api_path_is_url_error(api: Api) -> None:
    code, data = await api.call("POST", "/services/aigc/video-generation/generation", async_=True, json={})
    assert (code, data["code"], data["message"]) == (400, "InvalidParameter", "url error, please check url!")


async def test_over_long_prompts_are_truncated_silently(api: Api, clock: ManualClock) -> None:
    body = video_body(prompt="x" * 6000)
    body["input"]["negative_prompt"] = "n" * 900
    task_id = await api.create_id(body)
    task = api.sandbox.task(task_id)
    assert task is not None and isinstance(task.job, VideoJob) and task.job.negative_prompt == "n" * 500
    clock.advance(60)
    _, data = await api.query(task_id)
    assert data["output"]["orig_prompt"] == "x" * 5000
    legacy = await api.create_id(video_body(prompt="y" * 2000, model="wan2.6-t2v", size="1280*720"))
    clock.advance(60)
    _, data = await api.query(legacy)
    assert data["output"]["orig_prompt"] == "y" * 1500


async def test_missing_resolution_defaults_to_1080p(api: Api, clock: ManualClock) -> None:
    task_id = await api.create_id({"model": "wan2.7-t2v", "input": {"prompt": "a cat"}})
    task = api.sandbox.task(task_id)
    assert task is not None and isinstance(task.job, VideoJob)
    assert (task.job.width, task.job.height, task.job.duration) == (1920, 1080, 5)
    clock.set(task.finished)
    _, data = await api.query(task_id)
    assert data["usage"]["SR"] == 1080 and data["usage"]["ratio"] == "16:9"


async def test_sdk_style_body_is_accepted(start: StartApi) -> None:
    """The SDK adds ``extend_prompt`` to input and may send empty negative prompts and audio (a link this
    machine cannot fetch: the audio check is ``tests/media``'s)."""
    api = await start(check_audio=False)
    body = {"model": "wan2.7-t2v-2026-04-25",
            "input": {"prompt": "p", "extend_prompt": True, "negative_prompt": "",
                      "audio_url": "https://example.com/a.mp3"},
            "parameters": {"resolution": "720P", "ratio": "9:16", "duration": 15, "prompt_extend": True,
                           "watermark": False, "seed": 12345}}
    task = api.sandbox.task(await api.create_id(body))
    assert task is not None and (task.job.width, task.job.height) == (720, 1280)


@pytest.mark.parametrize(("size", "expected"), [("832*480", (832, 480)), ("480*832", (480, 832)),
                                                (None, (1280, 720))])
async def test_legacy_turbo_sizes(api: Api, size: str | None, expected: tuple[int, int]) -> None:
    params = {"size": size} if size else {"duration": 5}
    task = api.sandbox.task(await api.create_id(video_body(model="wan2.1-t2v-turbo", **params)))
    assert task is not None and (task.job.width, task.job.height) == expected


BAD_IMAGE_BODIES = {
    "n too big": image_body(n=5),
    "n zero": image_body(n=0),
    "4K on non-pro": image_body(size="4K"),
    "bad size": image_body(size="big"),
    "no messages": {"model": "wan2.7-image", "input": {}},
    "no text": {"model": "wan2.7-image", "input": {"messages": [{"role": "user", "content": []}]}},
    "video model on image url": {**image_body(), "model": "wan2.7-t2v"},
}


@pytest.mark.parametrize("body", BAD_IMAGE_BODIES.values(), ids=BAD_IMAGE_BODIES.keys())
async def test_bad_image_values(api: Api, body: Any) -> None:
    code, data = await api.image(body)
    assert (code, data["code"]) == (400, "InvalidParameter")


def test_every_code_the_sandbox_emits_is_known() -> None:
    import re
    from pathlib import Path

    import sandbox

    root = Path(sandbox.__file__).parent
    emitted: set[str] = set()
    for path in root.glob("*.py"):
        text = path.read_text()
        emitted |= set(re.findall(r'ApiError\(\d{3}, "([A-Za-z.]+)"', text))
        emitted |= set(re.findall(r'return "([A-Z][A-Za-z]+(?:\.[A-Za-z]+)?)", MSG_', text))
    assert emitted and emitted <= set(KNOWN_CODES), emitted - set(KNOWN_CODES)
