"""Gateway mode: the sandbox answers like seed 004's gateway, and normal mode is untouched.

Expected answers come from seed 004 and the reference, not from the sandbox's code: the create goes to
``{origin}/wan/api/v1/services/aigc/video-generation/video-synthesis`` (``X-DashScope-Async: enable``) and
is answered ``{"output": {"task_id", "task_status": "PENDING"}, "request_id"}``; the task is polled at
``GET /v1/tasks/{task_id}`` until ``status: "completed"`` with a ``result_url`` downloaded *without* an
Authorization header; statuses ``submitted|in_progress|completed|failed``.
"""

from __future__ import annotations

from tests.sandbox.conftest import KEY, VIDEO_PATH, Api, StartApi, video_body

#: The seed's own example body (its second curl example, with parameters).
SEED_BODY = {
    "model": "wan2.7-t2v",
    "input": {"prompt": "黄昏海边的灯塔,镜头缓慢推进,海浪轻拍礁石,海鸟叫声,电影级光影,稳定运镜"},
    "parameters": {"resolution": "720P", "duration": 5, "prompt_extend": True, "watermark": True},
}


async def _gateway_query(api: Api, task_id: str) -> tuple[int, dict[str, object]]:
    url = f"{api.sandbox.origin}/v1/tasks/{task_id}"
    async with api.session.get(url, headers={"Authorization": f"Bearer {KEY}"}) as r:
        return r.status, await r.json(content_type=None) if r.content_type == "application/json" else {}


async def test_the_seed_create_then_the_gateway_route_until_completed(start: StartApi) -> None:
    api = await start(gateway=True)
    assert api.sandbox.base_url == f"{api.sandbox.origin}/wan/api/v1"
    status, created = await api.create(SEED_BODY)
    assert status == 200 and set(created) == {"output", "request_id"}
    assert set(created["output"]) == {"task_id", "task_status"} and created["output"]["task_status"] == "PENDING"
    task_id = created["output"]["task_id"]
    seen = []
    for _ in range(200):
        code, body = await _gateway_query(api, task_id)
        assert code == 200, body
        seen.append(body["status"])
        if body["status"] == "completed":
            break
        api.sandbox.clock.advance(0.01)  # type: ignore[attr-defined]
    assert seen[0] == "submitted" and "in_progress" in seen and seen[-1] == "completed"
    assert set(seen) <= {"submitted", "in_progress", "completed"}
    assert body["task_id"] == task_id
    url = str(body["result_url"])
    code, kind, data = await api.fetch(url)  # no Authorization header, as the seed says
    assert code == 200 and kind == "video/mp4" and data[4:8] == b"ftyp"


async def test_a_failed_task_says_failed_with_an_error(start: StartApi) -> None:
    api = await start(gateway=True)
    task_id = await api.create_id(video_body("please [[sandbox:fail]] now"))
    api.sandbox.clock.advance(10)  # type: ignore[attr-defined]
    code, body = await _gateway_query(api, task_id)
    assert code == 200 and body["status"] == "failed" and body["error"] and "result_url" not in body


async def test_native_task_routes_and_unknown_ids_are_404(start: StartApi) -> None:
    api = await start(gateway=True)
    task_id = await api.create_id()
    code, _ = await api.query(task_id)  # GET {prefix}/api/v1/tasks/{id}: DashScope's route
    assert code == 404
    async with api.session.get(f"{api.sandbox.origin}/api/v1/tasks/{task_id}", headers=api.headers()) as r:
        assert r.status == 404
    code, _ = await api.list()
    assert code == 404
    code, _ = await _gateway_query(api, "no-such-task")
    assert code == 404


async def test_normal_mode_has_no_gateway_route(start: StartApi) -> None:
    api = await start()
    task_id = await api.create_id()
    assert api.sandbox.base_url == f"{api.sandbox.origin}/api/v1"
    assert (await api.query(task_id))[0] == 200
    code, _ = await _gateway_query(api, task_id)
    assert code == 404
    async with api.session.post(f"{api.sandbox.origin}/wan/api/v1{VIDEO_PATH}", json=video_body(),
                                headers=api.headers(async_=True)) as r:
        assert r.status == 404
