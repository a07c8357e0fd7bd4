"""API dialects: the ``v1-tasks`` gateway (seed 004) is spoken by data, and DashScope's own path is unchanged.

Wire facts are copied from the seed (``004_4d1e2716a0a0cbf8.txt``) and the reference
(``../shared/docs/dashscope-wan.md``), not from the code: the create goes to
``https://api.apiyi.com/wan/api/v1/services/aigc/video-generation/video-synthesis`` with
``X-DashScope-Async: enable`` and is answered in DashScope's create shape; the task is polled at
``GET /v1/tasks/{task_id}`` "until ``status: "completed"``, then downloaded from ``result_url``";
the reference lists the statuses ``submitted|in_progress|completed|failed`` and an ``error`` field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from core.dashscope import (
    DASHSCOPE,
    V1_TASKS,
    CreateAmbiguous,
    TaskInfo,
    TaskNotFound,
    TaskStatus,
    normalize_base,
    parse_dialect,
)
from core.errors import ConfigError, DashScopeUnsupportedOperation
from core.request import GenerationRequest
from tests.dashscope.conftest import API_KEY, json_response

SEED = Path("/work/shared/seeds/004_4d1e2716a0a0cbf8.txt")
SEED_CREATE_URL = "https://api.apiyi.com/wan/api/v1/services/aigc/video-generation/video-synthesis"
#: The create answer printed in seed 004, verbatim.
SEED_CREATE_ANSWER = {
    "output": {"task_id": "c2e7570c-0af2-4eba-919f-3af3d1164a38", "task_status": "PENDING"},
    "request_id": "a23b81b0-0c05-9972-a6c9-ee757400afdb",
}
TASK = "c2e7570c-0af2-4eba-919f-3af3d1164a38"


@pytest.mark.skipif(not SEED.is_file(), reason="the seed documents are not beside the project")
def test_the_facts_used_here_are_in_seed_004() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert SEED_CREATE_URL in text
    assert "GET /v1/tasks/{task_id}" in text and 'status: "completed"' in text and "result_url" in text
    assert '"task_id": "c2e7570c-0af2-4eba-919f-3af3d1164a38"' in text


def test_presets_and_overrides_parse() -> None:
    assert parse_dialect("") is DASHSCOPE and parse_dialect("dashscope") is DASHSCOPE
    assert parse_dialect("v1-tasks") is V1_TASKS
    assert not V1_TASKS.can_list and not V1_TASKS.can_cancel and DASHSCOPE.can_list
    custom = parse_dialect("v1-tasks query={origin}/api/tasks/{task_id} result=url|result_url words=done:SUCCEEDED")
    assert custom.query == "{origin}/api/tasks/{task_id}"
    assert custom.shape.result_url == ("url", "result_url")
    assert custom.shape.status_of("done") is TaskStatus.SUCCEEDED
    assert custom.shape.status_of("completed") is TaskStatus.SUCCEEDED  # the preset's words are kept
    assert parse_dialect("list=none").list is None


@pytest.mark.parametrize("value, says", [
    ("apiyi-ish", "unknown preset"),
    ("v1-tasks query=https://evil.example/v1/tasks/{task_id}", "must start with {base}/ or {origin}/"),
    ("v1-tasks query={origin}/v1/tasks", "must contain {task_id}"),
    ("v1-tasks query=none", "only cancel and list may be none"),
    ("v1-tasks words=done:FINISHED", "word:STATUS"),
    ("v1-tasks colour=blue", "unknown override"),
    ("v1-tasks result=", "key=value"),
])
def test_a_bad_value_is_one_sentence_naming_the_setting(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_dialect(value)
    assert err.value.message.startswith("WANBOT_DASHSCOPE_GATEWAY ") and says in err.value.message
    assert "\n" not in err.value.message


def test_routes_hang_from_the_base_or_its_origin() -> None:
    assert V1_TASKS.route(V1_TASKS.video_create) == "/services/aigc/video-generation/video-synthesis"
    assert "https://api.apiyi.com/wan/api/v1" + V1_TASKS.route(V1_TASKS.video_create) == SEED_CREATE_URL
    assert V1_TASKS.route(V1_TASKS.query, TASK) == "{origin}/v1/tasks/" + TASK
    assert DASHSCOPE.route(DASHSCOPE.query, "a/b") == "/tasks/a%2Fb"


@pytest.mark.parametrize("body, status, url, message", [
    # The reference's words, flat, with or without the id.
    ({"task_id": TASK, "status": "submitted"}, TaskStatus.PENDING, None, None),
    ({"status": "in_progress"}, TaskStatus.RUNNING, None, None),
    ({"status": "completed", "result_url": "https://oss.example/v.mp4?Expires=1787000000"},
     TaskStatus.SUCCEEDED, "https://oss.example/v.mp4?Expires=1787000000", None),
    ({"status": "failed", "error": "content moderation"}, TaskStatus.FAILED, None, "content moderation"),
    ({"status": "failed", "error": {"code": "DataInspectionFailed", "message": "bad"}}, TaskStatus.FAILED, None,
     "bad"),
])
def test_gateway_answers_parse_by_its_shape(body: dict[str, Any], status: TaskStatus, url: str | None,
                                             message: str | None) -> None:
    info = TaskInfo.from_wire(body, V1_TASKS.shape, task_id=TASK)
    assert (info.task_id, info.status, info.video_url, info.message) == (TASK, status, url, message)


def test_the_seed_create_answer_parses_in_both_dialects() -> None:
    for dialect in (DASHSCOPE, V1_TASKS):
        info = TaskInfo.from_wire(SEED_CREATE_ANSWER, dialect.shape)
        assert (info.task_id, info.status, info.request_id) == (TASK, TaskStatus.PENDING,
                                                                 "a23b81b0-0c05-9972-a6c9-ee757400afdb")


async def test_a_gateway_client_creates_under_the_prefix_and_polls_the_gateway_route(serve: Any,
                                                                                     make_client: Any) -> None:
    answers = iter([{"status": "in_progress"}, {"task_id": TASK, "status": "completed",
                                                "result_url": "https://oss.example/v.mp4"}])

    async def create(request: web.Request) -> web.Response:
        return json_response(SEED_CREATE_ANSWER)

    async def query(request: web.Request) -> web.Response:
        return json_response(next(answers))

    srv = await serve({"POST /wan/api/v1/services/aigc/video-generation/video-synthesis": create,
                       "GET /v1/tasks/{task_id}": query})
    # DASHSCOPE_HTTP_BASE_URL=https://api.apiyi.com/wan, as the settings layer resolves it.
    client = make_client(normalize_base(srv.url("/wan")), dialect=V1_TASKS)
    assert client.base_url == srv.url("/wan/api/v1")
    info = await client.create_task(GenerationRequest.build(prompt="黄昏海边的灯塔", duration=5))
    assert info.task_id == TASK
    assert (await client.get_task(TASK)).status is TaskStatus.RUNNING
    done = await client.get_task(TASK)
    assert done.status is TaskStatus.SUCCEEDED and done.video_url == "https://oss.example/v.mp4"
    create_hit, *polls = srv.hits
    assert create_hit.headers["X-DashScope-Async"] == "enable"
    assert [h.path for h in polls] == [f"/v1/tasks/{TASK}"] * 2
    assert all(h.headers["Authorization"] == f"Bearer {API_KEY}" and "X-DashScope-Async" not in h.headers
               for h in polls)
    with pytest.raises(DashScopeUnsupportedOperation):
        await client.cancel_task(TASK)
    assert len(srv.hits) == 3  # no cancel or list route was tried


async def test_a_404_task_query_is_task_not_found(serve: Any, make_client: Any) -> None:
    async def missing(request: web.Request) -> web.Response:
        return json_response({"error": {"message": "Invalid URL", "type": "invalid_request_error"}}, 404)

    async def not_found_word(request: web.Request) -> web.Response:
        return json_response({"status": "not_found"})

    srv = await serve({"GET /api/v1/tasks/{task_id}": missing, "GET /v1/tasks/{task_id}": not_found_word})
    with pytest.raises(TaskNotFound) as native:
        await make_client(srv.base).get_task("t1")
    assert native.value.http_status == 404 and native.value.code == "TaskNotFound"
    with pytest.raises(TaskNotFound):
        await make_client(srv.base, dialect=V1_TASKS).get_task("t1")
    assert len(srv.hits) == 2  # a 404 is not retried: the engine decides how long to keep asking


async def test_an_uncertain_create_behind_a_gateway_without_a_list_is_never_resent(serve: Any,
                                                                                   make_client: Any) -> None:
    async def broken(request: web.Request) -> web.Response:
        return json_response({"code": "InternalError", "message": "upstream"}, 500)

    srv = await serve({"POST /wan/api/v1/services/aigc/video-generation/video-synthesis": broken})
    client = make_client(srv.url("/wan/api/v1"), dialect=V1_TASKS)
    with pytest.raises(CreateAmbiguous) as err:
        await client.create_task(GenerationRequest.build(prompt="a lighthouse", duration=5))
    assert "not resending" in err.value.message and err.value.task_ids == ()
    assert srv.paths() == ["POST /wan/api/v1/services/aigc/video-generation/video-synthesis"]
