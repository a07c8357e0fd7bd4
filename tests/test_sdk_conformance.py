"""The unmodified official ``dashscope`` SDK against the in-process sandbox.

The SDK is synchronous (``requests``): each call runs in a worker thread (``asyncio.to_thread``)
while the sandbox serves on the test's event loop. Only the base URL and key are configured,
as a user would (``dashscope.base_http_api_url`` is what ``DASHSCOPE_HTTP_BASE_URL`` sets at import).
Input images (image editing, wan2.7-i2v frames) are served from a loopback ``ImageHost`` or sent as data URIs:
the SDK passes both through unchanged (only local paths are uploaded, to DashScope's own store).
``wait()`` polls with real sleeps (1 s first), so these tests take a couple of seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import requests

dashscope = pytest.importorskip("dashscope")
from dashscope import MultiModalConversation, VideoSynthesis  # noqa: E402
from dashscope.aigc.image_generation import ImageGeneration  # noqa: E402
from dashscope.api_entities.dashscope_response import (  # noqa: E402
    ImageGenerationResponse,
    Message,
    MultiModalConversationResponse,
)

from sandbox import Sandbox, SandboxConfig  # noqa: E402
from sandbox.validation import VideoJob  # noqa: E402
from tests.sandbox.inputs_kit import ImageHost, close, data_uri, mean_rgb, png  # noqa: E402

KEY = "sk-sdk-conformance"
PROMPT = ("Shot from a low angle, in a medium close-up, with warm tones. In a classic detective office, a fox "
          "in a dark brown trench coat turns yellowed pages; outside, a steady drizzle falls.")
WAN27_ARGS: dict[str, Any] = dict(
    model="wan2.7-t2v", prompt=PROMPT,
    audio_url="https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20250929/stjqnq/fox.mp3",
    resolution="720P", ratio="16:9", duration=10, negative_prompt="", prompt_extend=True, watermark=False,
    seed=12345)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sdk-media")


@pytest.fixture
def base_config(cache_dir: Path) -> SandboxConfig:
    # The vendor's sample audio link is not reachable from a test machine: the audio check is tests/media's.
    return SandboxConfig(speed=1000, api_key=KEY, seed=3, cache_dir=cache_dir, check_audio=False)


async def _running(config: SandboxConfig, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    async with Sandbox(config) as sb:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", sb.base_url)
        monkeypatch.setattr(dashscope, "base_http_api_url", sb.base_url)
        yield sb


@pytest.fixture
async def sandbox(base_config: SandboxConfig, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    async for sb in _running(base_config, monkeypatch):
        yield sb


@pytest.fixture
async def slow_sandbox(base_config: SandboxConfig, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    """Speed 1: tasks stay PENDING for 3+ seconds, long enough to cancel from a thread."""
    async for sb in _running(dataclasses.replace(base_config, speed=1), monkeypatch):
        yield sb


def _download(url: str) -> requests.Response:
    return requests.get(url, timeout=30)  # no Authorization header, as the vendor says


async def test_video_call_waits_for_the_result(sandbox: Sandbox) -> None:
    rsp = await asyncio.to_thread(VideoSynthesis.call, api_key=KEY, **WAN27_ARGS)
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED"
    assert rsp.output.video_url.startswith(sandbox.origin + "/results/")
    assert rsp.output.orig_prompt == PROMPT
    assert rsp.usage.output_video_duration == 10 and rsp.usage.SR == 720
    got = await asyncio.to_thread(_download, rsp.output.video_url)
    assert got.status_code == 200 and got.headers["Content-Type"] == "video/mp4"
    assert got.content[4:8] == b"ftyp"
    assert sandbox.stats.tasks_created(KEY) == 1
    task = sandbox.task(rsp.output.task_id)
    assert task is not None and isinstance(task.job, VideoJob)
    assert task.job.audio and task.job.seed == 12345 and not task.job.watermark


async def test_async_call_fetch_wait(sandbox: Sandbox) -> None:
    created = await asyncio.to_thread(VideoSynthesis.async_call, api_key=KEY, **WAN27_ARGS)
    assert created.status_code == HTTPStatus.OK
    assert created.output.task_status == "PENDING" and created.output.task_id
    fetched = await asyncio.to_thread(VideoSynthesis.fetch, task=created, api_key=KEY)
    assert fetched.status_code == HTTPStatus.OK
    assert fetched.output.task_status in ("PENDING", "RUNNING", "SUCCEEDED")
    done = await asyncio.to_thread(VideoSynthesis.wait, task=created, api_key=KEY)
    assert done.status_code == HTTPStatus.OK and done.output.task_status == "SUCCEEDED"
    assert done.output.video_url and done.output.submit_time and done.output.end_time


async def test_cancel_and_list(slow_sandbox: Sandbox) -> None:
    created = await asyncio.to_thread(VideoSynthesis.async_call, api_key=KEY, **WAN27_ARGS)
    canceled = await asyncio.to_thread(VideoSynthesis.cancel, created, api_key=KEY)
    assert canceled.status_code == HTTPStatus.OK, canceled
    fetched = await asyncio.to_thread(VideoSynthesis.fetch, task=created, api_key=KEY)
    assert fetched.output.task_status == "CANCELED"
    again = await asyncio.to_thread(VideoSynthesis.cancel, created, api_key=KEY)
    assert again.status_code == 400 and again.code == "UnsupportedOperation"
    await asyncio.to_thread(VideoSynthesis.async_call, api_key=KEY, **WAN27_ARGS)
    # dashscope ships an __init__.pyi whose VideoSynthesis omits list(), which the class does define.
    listed = await asyncio.to_thread(VideoSynthesis.list, api_key=KEY, page_size=1)  # type: ignore[attr-defined]
    assert listed.status_code == HTTPStatus.OK and listed.request_id
    assert listed.output["total"] == 2 and listed.output["total_page"] == 2
    assert len(listed.output["data"]) == 1 and listed.output["data"][0]["model_name"] == "wan2.7-t2v"
    pending = await asyncio.to_thread(VideoSynthesis.list, api_key=KEY, status="PENDING")  # type: ignore[attr-defined]
    assert pending.output["total"] == 1


async def test_sdk_sees_errors(sandbox: Sandbox) -> None:
    bad_key = await asyncio.to_thread(VideoSynthesis.async_call, api_key="sk-wrong", **WAN27_ARGS)
    assert bad_key.status_code == 401 and bad_key.code == "InvalidApiKey"
    bad = await asyncio.to_thread(VideoSynthesis.async_call, api_key=KEY, **{**WAN27_ARGS, "duration": 20})
    assert bad.status_code == 400 and bad.code == "InvalidParameter"
    unknown = await asyncio.to_thread(VideoSynthesis.fetch, task="0b4b3c3e-1111-4222-8333-944445555666",
                                      api_key=KEY)
    assert unknown.status_code == 200 and unknown.output.task_status == "UNKNOWN"


async def test_legacy_model_call(sandbox: Sandbox) -> None:
    rsp = await asyncio.to_thread(VideoSynthesis.call, api_key=KEY, model="wan2.6-t2v", prompt=PROMPT,
                                  size="1280*720", duration=5, shot_type="multi", prompt_extend=True,
                                  watermark=True)
    assert rsp.status_code == HTTPStatus.OK and rsp.output.task_status == "SUCCEEDED"
    assert rsp.usage.video_duration == 5


# Message is a dict: the SDK sends exactly {"role": ..., "content": [...]}.
MESSAGES = [Message(role="user", content=[{"text": "A serene mountain lake at sunrise, photorealistic"}])]


async def test_image_generation_sync(sandbox: Sandbox) -> None:
    rsp = await asyncio.to_thread(ImageGeneration.call, model="wan2.7-image-pro", api_key=KEY,
                                  messages=MESSAGES, n=1, size="2K", watermark=False, thinking_mode=True)
    assert isinstance(rsp, ImageGenerationResponse), rsp  # not a stream: no stream=True was asked for
    assert rsp.status_code == HTTPStatus.OK, rsp
    content = rsp.output.choices[0].message.content
    assert isinstance(content, list), content
    assert len(content) == 1 and content[0]["type"] == "image"
    assert rsp.usage.image_count == 1 and rsp.usage.size == "2048*2048"
    got = await asyncio.to_thread(_download, content[0]["image"])
    assert got.status_code == 200 and got.content[:4] == b"\x89PNG"


async def test_multimodal_conversation_image(sandbox: Sandbox) -> None:
    rsp = await asyncio.to_thread(MultiModalConversation.call, model="wan2.7-image", api_key=KEY,
                                  messages=MESSAGES, n=2, size="1K")
    assert isinstance(rsp, MultiModalConversationResponse), rsp  # not a stream
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert len(rsp.output.choices[0].message.content) == 2
    assert rsp.usage["image_count"] == 2


@pytest.fixture
async def image_host() -> AsyncIterator[ImageHost]:
    host = await ImageHost().start()
    yield host
    await host.close()


async def test_multimodal_conversation_image_edit(sandbox: Sandbox, image_host: ImageHost) -> None:
    # An edit: the input image from a link and a second as a data URI; the output takes the LAST one's 1:2.
    wide = image_host.put("wide.png", png(800, 400, (200, 30, 40)), "image/png")
    tall = data_uri(png(300, 600, (20, 40, 210)))
    messages = [Message(role="user", content=[{"text": "Put the two scenes side by side"},
                                              {"image": wide}, {"image": tall}])]
    rsp = await asyncio.to_thread(MultiModalConversation.call, model="wan2.7-image", api_key=KEY,
                                  messages=messages, n=1, size="1K")
    assert isinstance(rsp, MultiModalConversationResponse), rsp
    assert rsp.status_code == HTTPStatus.OK, rsp
    width, height = (int(x) for x in rsp.usage["size"].split("*"))
    assert abs(height / width - 2.0) < 0.01
    content = rsp.output.choices[0].message.content
    assert isinstance(content, list), content
    got = await asyncio.to_thread(_download, content[0]["image"])
    assert got.status_code == 200 and got.content[:4] == b"\x89PNG"
    assert image_host.hits["wide.png"] == 1
    refused = await asyncio.to_thread(
        MultiModalConversation.call, model="wan2.7-image-pro", api_key=KEY, size="4K", n=1,
        messages=[Message(role="user", content=[{"text": "edit"}, {"image": wide}])])
    assert isinstance(refused, MultiModalConversationResponse), refused
    assert refused.status_code == 400 and refused.code == "InvalidParameter"


async def test_video_synthesis_i2v_with_media(sandbox: Sandbox, image_host: ImageHost, tmp_path: Path) -> None:
    # The SDK's own i2v call: VideoSynthesis with ``media`` (sent as ``input.media`` unchanged for links).
    first = image_host.put("first.png", png(800, 400, (200, 30, 40)), "image/png")
    last = image_host.put("last.png", png(800, 400, (20, 40, 210)), "image/png")
    rsp = await asyncio.to_thread(
        VideoSynthesis.call, api_key=KEY, model="wan2.7-i2v", prompt="the red wall turns blue",
        media=[{"type": "first_frame", "url": first},
               {"type": "last_frame", "url": last}],
        resolution="720P", duration=2, prompt_extend=False, watermark=False, seed=42)
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED"
    assert rsp.usage.output_video_duration == 2 and rsp.usage.SR == 720
    task = sandbox.task(rsp.output.task_id)
    assert task is not None and isinstance(task.job, VideoJob)
    assert task.job.media == (("first_frame", first), ("last_frame", last)) and task.job.seed == 42
    got = await asyncio.to_thread(_download, rsp.output.video_url)
    assert got.status_code == 200 and got.content[4:8] == b"ftyp"
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(got.content)
    assert close(await mean_rgb(clip), (200, 30, 40), 8)
    # Without a first frame the service refuses, and the SDK reports it.
    bad = await asyncio.to_thread(VideoSynthesis.async_call, api_key=KEY, model="wan2.7-i2v", prompt="x",
                                  media=[{"type": "last_frame", "url": last}], resolution="720P", duration=2)
    assert bad.status_code == 400 and bad.code == "InvalidParameter"
