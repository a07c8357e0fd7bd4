"""GET /api/v1/tasks: flat body, ms times, paging and filters."""

from __future__ import annotations

from sandbox import Limits, ManualClock
from sandbox.clock import epoch_ms, format_list_time
from tests.sandbox.conftest import Api, StartApi, video_body


async def test_list_shape_paging_and_filters(start: StartApi, clock: ManualClock) -> None:
    api = await start(limits=Limits.unlimited())
    t0 = clock()
    ids = [await api.create_id() for _ in range(7)]
    legacy = [await api.create_id(video_body(model="wan2.6-t2v", size="1280*720")) for _ in range(3)]
    await api.cancel(ids[0])
    code, body = await api.list(page_size=4)
    assert code == 200
    assert set(body) == {"request_id", "total", "total_page", "page_no", "page_size", "data"}
    assert (body["total"], body["total_page"], body["page_no"], body["page_size"]) == (10, 3, 1, 4)
    assert [d["task_id"] for d in body["data"]] == list(reversed(legacy)) + [ids[-1]]  # newest first
    item = body["data"][0]
    assert item["gmt_create"] == epoch_ms(t0) and isinstance(item["gmt_create"], int)
    assert item["status"] == "PENDING" and "end_time" not in item
    assert item["model_name"] == "wan2.6-t2v"
    _, page3 = await api.list(page_size=4, page_no=3)
    assert [d["task_id"] for d in page3["data"]] == [ids[1], ids[0]]
    _, filtered = await api.list(model_name="wan2.7-t2v", status="PENDING")
    assert filtered["total"] == 6
    _, canceled = await api.list(status="CANCELED")
    assert [d["task_id"] for d in canceled["data"]] == [ids[0]]
    assert isinstance(canceled["data"][0]["end_time"], int)
    clock.advance(60)
    _, done = await api.list(status="SUCCEEDED", page_size=100)
    assert done["total"] == 9
    assert all(d["end_time"] >= d["start_time"] >= d["gmt_create"] for d in done["data"])


async def test_list_time_window(start: StartApi, clock: ManualClock) -> None:
    api = await start(limits=Limits.unlimited(), speed=1)
    early = await api.create_id()
    clock.advance(3600)
    late = await api.create_id()
    now = clock()
    _, body = await api.list(start_time=format_list_time(now - 60), end_time=format_list_time(now))
    assert [d["task_id"] for d in body["data"]] == [late]
    _, body = await api.list(start_time=format_list_time(now - 7200), end_time=format_list_time(now - 1800))
    assert [d["task_id"] for d in body["data"]] == [early]


async def test_list_bad_parameters(api: Api) -> None:
    for params in ({"start_time": "2026-04-16"}, {"start_time": "20260401000000", "end_time": "20260403000000"},
                   {"start_time": "20260403000000", "end_time": "20260401000000"},
                   {"page_no": 0}, {"page_size": 101}, {"page_size": "ten"}, {"status": "DONE"}):
        code, body = await api.list(**params)
        assert (code, body["code"]) == (400, "InvalidParameter"), params
