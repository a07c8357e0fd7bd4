"""The sandbox's asynchronous image endpoint: validated like the sync one, a task like a video's."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox import Faults, Limits, ManualClock
from sandbox.triggers import REJECT
from tests.sandbox.conftest import IMAGE_ASYNC_PATH, KEY, Api, StartApi, image_body, video_body


async def create_image(api: Api, body: Any | None = None, **kw: Any) -> tuple[int, Any]:
    return await api.call("POST", IMAGE_ASYNC_PATH, json=body if body is not None else image_body(),
                          async_=kw.pop("async_", True), **kw)


async def test_states_run_pending_running_succeeded_with_n_pngs(api: Api, clock: ManualClock) -> None:
    code, data = await create_image(api, image_body(n=3, size="1K"))
    assert code == 200 and data["output"]["task_status"] == "PENDING"
    task_id = data["output"]["task_id"]
    seen = [await api.status(task_id)]
    for _ in range(2000):
        clock.advance(0.002)  # speed 1000: a minute-long task is 0.06 s
        status = await api.status(task_id)
        if status != seen[-1]:
            seen.append(status)
        if status == "SUCCEEDED":
            break
    assert seen == ["PENDING", "RUNNING", "SUCCEEDED"]
    _, body = await api.query(task_id)
    out = body["output"]
    # The documented shape: the sync answer's choices, plus the task fields.
    assert {"task_id", "task_status", "submit_time", "scheduled_time", "end_time", "choices"} <= set(out)
    content = out["choices"][0]["message"]["content"]
    assert len(content) == 3 and body["usage"]["image_count"] == 3
    for part in content:
        status_, ctype, png = await api.fetch(part["image"])
        assert (status_, ctype) == (200, "image/png") and png.startswith(b"\x89PNG\r\n\x1a\n")
        assert struct.unpack(">II", png[16:24]) == (1024, 1024)
    assert api.sandbox.stats.images_generated(KEY) == 3


async def test_result_urls_are_signed_and_expire(api: Api, clock: ManualClock) -> None:
    _, data = await create_image(api)
    task_id = data["output"]["task_id"]
    clock.advance(60)
    _, body = await api.query(task_id)
    url = body["output"]["choices"][0]["message"]["content"][0]["image"]
    query = parse_qs(urlsplit(url).query)
    assert {"Expires", "OSSAccessKeyId", "Signature"} <= set(query)
    clock.set(int(query["Expires"][0]) + 1)
    status, ctype, payload = await api.fetch(url)
    assert (status, ctype) == (403, "application/xml") and b"Request has expired." in payload


async def test_image_tasks_are_in_the_task_list(api: Api, clock: ManualClock) -> None:
    _, data = await create_image(api)
    task_id = data["output"]["task_id"]
    now = datetime.fromtimestamp(clock(), UTC) + timedelta(hours=8)  # list windows are Beijing time
    window = {"start_time": (now - timedelta(minutes=5)).strftime("%Y%m%d%H%M%S"),
              "end_time": (now + timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")}
    code, listing = await api.list(model_name="wan2.7-image", **window)
    assert code == 200
    rows = [row for row in listing["data"] if row["task_id"] == task_id]
    assert len(rows) == 1 and rows[0]["endpoint"] == "aigc/image-generation"
    assert rows[0]["model_name"] == "wan2.7-image"


INVALID = {
    "n too big": image_body(n=5),
    "4K on non-pro": image_body(size="4K"),
    "bad size": image_body(size="big"),
    "no text": {"model": "wan2.7-image", "input": {"messages": [{"role": "user", "content": []}]}},
    "video model on image url": {**image_body(), "model": "wan2.7-t2v"},
}


@pytest.mark.parametrize("body", INVALID.values(), ids=INVALID.keys())
async def test_validation_is_the_sync_endpoints(api: Api, body: Any) -> None:
    sync = await api.image(body)
    task = await create_image(api, body)
    assert task[0] == sync[0] and task[0] in (400, 404)
    assert task[1]["code"] == sync[1]["code"] and task[1]["message"] == sync[1]["message"]
    assert api.sandbox.stats.images_generated(KEY) == 0


async def test_needs_the_async_header(api: Api) -> None:
    code, data = await create_image(api, async_=False)
    assert (code, data["code"]) == (403, "AccessDenied")


async def test_a_rejected_prompt_is_a_failed_task(api: Api, clock: ManualClock) -> None:
    _, data = await create_image(api, image_body(f"a lake {REJECT}"))
    task_id = data["output"]["task_id"]
    clock.advance(1)
    _, body = await api.query(task_id)
    assert body["output"]["task_status"] == "FAILED" and body["output"]["code"] == "DataInspectionFailed"
    assert "choices" not in body["output"]


async def test_image_and_video_tasks_share_the_in_flight_limit(start: StartApi) -> None:
    api = await start(limits=Limits(submissions_per_second=0, tasks_in_flight=2, queries_per_second=0))
    assert (await create_image(api))[0] == 200
    assert (await api.create(video_body()))[0] == 200
    code, data = await create_image(api)
    assert (code, data["code"]) == (429, "Throttling.RateQuota")


async def test_faults_hit_image_creates_like_video_creates(start: StartApi) -> None:
    # After the effect: the task exists (and will bill its images) but the answer is an error.
    api = await start(faults=Faults(rate_500_after=1.0, routes=frozenset({"image.create"})))
    code, data = await create_image(api, image_body(n=2))
    assert (code, data["code"]) == (500, "InternalError")
    assert api.sandbox.stats.images_generated(KEY) == 2
    # Before the effect: nothing is made.
    api = await start(faults=Faults(rate_429=1.0, routes=frozenset({"image.create"})))
    code, data = await create_image(api)
    assert (code, data["code"]) == (429, "Throttling")
    assert api.sandbox.stats.images_generated(KEY) == 0
