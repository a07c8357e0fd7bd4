"""Image tasks: the async image route, the same body as the sync call, one create path with videos."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from core.dashscope import DashScopeClient, TaskInfo, TaskStatus
from core.request import GenerationRequest, ImageRequest

from .conftest import FakeClock, FakeDashScope, Handler, Scripted

Serve = Callable[[dict[str, Handler]], Awaitable[Scripted]]
MakeClient = Callable[..., DashScopeClient]
IMAGE_TASK = "POST /api/v1/services/aigc/image-generation/generation"
VIDEO_TASK = "POST /api/v1/services/aigc/video-generation/video-synthesis"

#: The request body of the vendor's own example (seeds/000, "Wan 2.7 同步图像生成与编辑", curl --data),
#: which dashscope-wan.md says the async route takes unchanged.
PROMPT = ("A serene mountain lake at sunrise, with mist rising from the water, surrounded by pine trees, "
          "photorealistic")
REFERENCE_BODY = {
    "model": "wan2.7-image-pro",
    "input": {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]},
    "parameters": {"n": 1, "size": "2K", "watermark": False, "thinking_mode": True},
}

#: A finished image task as the documents describe it: the sync answer's ``output`` (choices, finished)
#: plus the task fields the async query adds (task_id, task_status, submit_time, scheduled_time, end_time).
FINISHED_TASK = {
    "request_id": "a3f4befe-cacd-49c9-8298-xxxxxx",
    "output": {
        "task_id": "0385dc79-5ff8-4d82-bcb6-xxxxxx",
        "task_status": "SUCCEEDED",
        "submit_time": "2026-04-16 11:47:23.879",
        "scheduled_time": "2026-04-16 11:47:34.351",
        "end_time": "2026-04-16 11:48:35.323",
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": [
            {"image": "https://dashscope-result.oss-cn-shanghai.aliyuncs.com/a.png?Expires=1787904126&Signature=s",
             "type": "image"},
            {"image": "https://dashscope-result.oss-cn-shanghai.aliyuncs.com/b.png?Expires=1787904126&Signature=s",
             "type": "image"},
        ]}}],
        "finished": True,
    },
    "usage": {"image_count": 2, "input_tokens": 18790, "output_tokens": 2, "size": "2985*1405",
              "total_tokens": 18792},
}


@pytest.fixture
def fake(clock: FakeClock) -> FakeDashScope:
    return FakeDashScope(clock)


async def test_the_async_create_sends_the_reference_body(serve: Serve, make_client: MakeClient,
                                                          fake: FakeDashScope) -> None:
    srv = await serve(fake.routes())
    request = ImageRequest.build(model="wan2.7-image-pro", prompt=PROMPT, n=1, size="2K", watermark=False,
                                 thinking_mode=True)
    info = await make_client(srv.base).create_task(request)
    assert info.task_id == "task-1" and info.status is TaskStatus.PENDING
    [hit] = srv.hits
    assert f"{hit.method} {hit.path}" == IMAGE_TASK
    assert hit.headers["X-DashScope-Async"] == "enable" and hit.headers["Authorization"].startswith("Bearer ")
    assert json.loads(hit.body) == REFERENCE_BODY


async def test_one_create_path_routes_by_kind(serve: Serve, make_client: MakeClient, fake: FakeDashScope) -> None:
    srv = await serve(fake.routes())
    client = make_client(srv.base)
    await client.create_task(GenerationRequest.build(prompt="a fox", resolution="720P"))
    await client.create_task(ImageRequest.build(prompt="a fox"))
    assert srv.paths() == [VIDEO_TASK, IMAGE_TASK]


@pytest.mark.parametrize("action", ["500after", "drop"])
async def test_an_uncertain_image_create_is_found_in_the_task_list_not_resent(
        serve: Serve, make_client: MakeClient, fake: FakeDashScope, action: str) -> None:
    fake.create_script = [action]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_task(ImageRequest.build(prompt="a mountain lake", n=4))
    assert fake.created == ["task-1"], "one billed task, never a second"
    assert info.task_id == "task-1" and info.adopted
    listed = [h for h in srv.hits if h.path == "/api/v1/tasks"]
    assert listed and listed[0].query["model_name"] == "wan2.7-image"


def test_a_finished_image_task_is_read_from_the_documented_shape() -> None:
    info = TaskInfo.from_wire(FINISHED_TASK)
    assert info.status is TaskStatus.SUCCEEDED and info.video_url is None
    assert info.image_urls == (
        "https://dashscope-result.oss-cn-shanghai.aliyuncs.com/a.png?Expires=1787904126&Signature=s",
        "https://dashscope-result.oss-cn-shanghai.aliyuncs.com/b.png?Expires=1787904126&Signature=s",
    )
    assert info.usage is not None and info.usage.image_count == 2
    assert info.url_expires_at == datetime.fromtimestamp(1787904126, UTC)


def test_a_video_task_has_no_image_links() -> None:
    info = TaskInfo.from_wire({"output": {"task_id": "t", "task_status": "SUCCEEDED",
                                          "video_url": "https://r/x.mp4?Expires=1787904126"}})
    assert info.image_urls == () and info.video_url is not None
