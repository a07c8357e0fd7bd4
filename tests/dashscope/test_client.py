"""Client wire format, read retries, error mapping, images, and key redaction."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from core.dashscope import DashScopeClient, RetryPolicy, TaskStatus
from core.errors import (
    ConfigError,
    DashScopeError,
    DashScopeServerError,
    DashScopeUnsupportedOperation,
    TransportError,
)
from core.request import GenerationRequest

from .conftest import API_KEY, FakeSleep, Handler, Scripted, fixture, json_response

Serve = Callable[[dict[str, Handler]], Awaitable[Scripted]]
MakeClient = Callable[..., DashScopeClient]
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
TASK = {"request_id": "rq", "output": {"task_id": "t1", "task_status": "RUNNING"}}


def script(*answers: Callable[[], web.StreamResponse]) -> Handler:
    """A handler that answers each request with the next item (the last one repeats)."""
    queue = list(answers)

    async def handler(request: web.Request) -> web.StreamResponse:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer()

    return handler


def ok(body: Any = TASK, status: int = 200, **headers: str) -> Callable[[], web.StreamResponse]:
    return lambda: json_response(body, status, headers or None)


def html(status: int) -> Callable[[], web.StreamResponse]:
    return lambda: web.Response(status=status, text="<html><head><title>Bad Gateway</title></head></html>",
                                content_type="text/html")


async def test_create_sends_async_header_auth_and_the_wire_body(serve: Serve, make_client: MakeClient) -> None:
    srv = await serve({f"POST {CREATE}": script(ok(fixture("seed001_create_wan27.json")))})
    req = GenerationRequest.build(prompt="a lighthouse at dusk", resolution="720P")
    info = await make_client(srv.base).create_video_task(req)
    assert info.task_id == "0385dc79-5ff8-4d82-bcb6-xxxxxx" and info.status is TaskStatus.PENDING
    hit = srv.hits[0]
    assert hit.headers["X-DashScope-Async"] == "enable"
    assert hit.headers["Authorization"] == f"Bearer {API_KEY}"
    assert hit.headers["Content-Type"] == "application/json"
    assert json.loads(hit.body) == req.to_wire()


async def test_reads_and_cancel_do_not_send_the_async_header(serve: Serve, make_client: MakeClient) -> None:
    srv = await serve({
        "GET /api/v1/tasks/t1": script(ok()),
        "POST /api/v1/tasks/t1/cancel": script(ok({"request_id": "rc"})),
        "GET /api/v1/tasks": script(ok({"total": 0, "total_page": 0, "page_no": 1, "page_size": 10,
                                        "data": []})),
    })
    client = make_client(srv.base)
    assert (await client.get_task("t1")).status is TaskStatus.RUNNING
    await client.cancel_task("t1")  # returns normally
    start = datetime(2026, 4, 16, 3, 0, tzinfo=UTC)
    page = await client.list_tasks(start=start, end=datetime(2026, 4, 16, 4, 0, tzinfo=UTC),
                                   model_name="wan2.7-t2v", status="SUCCEEDED")
    assert page.tasks == ()
    for hit in srv.hits:
        assert "X-DashScope-Async" not in hit.headers
        assert hit.headers["Authorization"] == f"Bearer {API_KEY}"
    # Beijing time, YYYYMMDDhhmmss.
    assert srv.hits[2].query == {"start_time": "20260416110000", "end_time": "20260416120000",
                                 "model_name": "wan2.7-t2v", "status": "SUCCEEDED", "page_no": "1",
                                 "page_size": "10"}


async def test_list_rejects_naive_or_long_windows(make_client: MakeClient) -> None:
    client = make_client("http://127.0.0.1:9/api/v1")
    with pytest.raises(ValueError):
        await client.list_tasks(start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 3, tzinfo=UTC))
    with pytest.raises(ValueError):
        await client.list_tasks(start=datetime(2026, 1, 1), end=datetime(2026, 1, 1, 1))


async def test_429_then_200_on_get_backs_off_with_jitter(serve: Serve, make_client: MakeClient,
                                                         sleep: FakeSleep) -> None:
    throttled = ok({"request_id": "r429", "code": "Throttling.RateQuota", "message": "slow"}, 429)
    srv = await serve({"GET /api/v1/tasks/t1": script(throttled, throttled, ok())})
    info = await make_client(srv.base).get_task("t1")
    assert info.task_id == "t1" and len(srv.hits) == 3
    assert len(sleep.delays) == 2
    assert 0 <= sleep.delays[0] <= 0.5 and 0 <= sleep.delays[1] <= 1.0  # full jitter under the ceiling
    assert len(set(sleep.delays)) == 2


async def test_backoff_is_capped_and_gives_up(serve: Serve, make_client: MakeClient, sleep: FakeSleep) -> None:
    srv = await serve({"GET /api/v1/tasks/t1": script(ok({"code": "ModelUnavailable", "message": "busy"}, 503))})
    client = make_client(srv.base, retry=RetryPolicy(attempts=7, base_delay=1.0, max_delay=2.5))
    with pytest.raises(DashScopeServerError) as info:
        await client.get_task("t1")
    assert info.value.code == "ModelUnavailable" and info.value.retryable and info.value.http_status == 503
    assert len(srv.hits) == 7 and len(sleep.delays) == 6
    assert all(0 <= d <= 2.5 for d in sleep.delays)


async def test_retry_after_is_honoured(serve: Serve, make_client: MakeClient, sleep: FakeSleep) -> None:
    srv = await serve({"GET /api/v1/tasks/t1": script(
        ok({"code": "Throttling"}, 429, **{"Retry-After": "7"}), ok())})
    await make_client(srv.base).get_task("t1")
    assert sleep.delays == [7.0]


async def test_400_is_not_retried(serve: Serve, make_client: MakeClient, sleep: FakeSleep) -> None:
    srv = await serve({"GET /api/v1/tasks/t1": script(
        ok({"request_id": "r4", "code": "InvalidParameter", "message": "url error, please check url!"}, 400))})
    with pytest.raises(DashScopeError) as info:
        await make_client(srv.base).get_task("t1")
    assert info.value.code == "InvalidParameter" and info.value.request_id == "r4"
    assert not info.value.retryable and len(srv.hits) == 1 and sleep.delays == []


async def test_error_envelopes_lowercase_codes_and_html(serve: Serve, make_client: MakeClient) -> None:
    srv = await serve({
        "GET /api/v1/tasks/a": script(ok({"error": {"code": "invalid_api_key", "message": "no"}}, 401)),
        "GET /api/v1/tasks/b": script(html(502), ok()),
        "GET /api/v1/tasks/c": script(html(403)),
        "GET /api/v1/tasks/d": script(ok({"code": "InvalidApiKey", "message": "proxy says 200"})),
    })
    client = make_client(srv.base)
    with pytest.raises(DashScopeError) as a:
        await client.get_task("a")
    assert a.value.code == "InvalidApiKey" and a.value.http_status == 401 and a.value.request_id is None
    assert (await client.get_task("b")).task_id == "t1"  # HTML 502 from a gateway: retried
    with pytest.raises(DashScopeError) as c:
        await client.get_task("c")
    assert c.value.http_status == 403 and "Bad Gateway" in c.value.message
    with pytest.raises(DashScopeError) as d:
        await client.get_task("d")
    assert d.value.code == "InvalidApiKey"


async def test_garbled_200_on_read_is_retried_then_raised(serve: Serve, make_client: MakeClient) -> None:
    srv = await serve({"GET /api/v1/tasks/t1": script(lambda: web.Response(text="{not json"))})
    with pytest.raises(TransportError):
        await make_client(srv.base).get_task("t1")
    assert len(srv.hits) == 4


async def test_read_timeout_is_a_retryable_transport_error(serve: Serve, make_client: MakeClient) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(1)
        return json_response(TASK)

    srv = await serve({"GET /api/v1/tasks/t1": slow})
    client = make_client(srv.base, request_timeout=0.05, retry=RetryPolicy(attempts=2))
    with pytest.raises(TransportError) as info:
        await client.get_task("t1")
    assert info.value.retryable and len(srv.hits) == 2


async def test_unreachable_host_is_unambiguous(make_client: MakeClient) -> None:
    client = make_client("http://127.0.0.1:9/api/v1", retry=RetryPolicy(attempts=1))
    with pytest.raises(TransportError) as info:
        await client.get_task("t1")
    assert info.value.ambiguous is False


async def test_cancel_refused_and_cancel_after_lost_answer(serve: Serve, make_client: MakeClient) -> None:
    refused = ok({"request_id": "r", "code": "UnsupportedOperation", "message": "not pending"}, 400)
    state = {"cancelled": False}

    async def flaky_cancel(request: web.Request) -> web.StreamResponse:
        if not state["cancelled"]:
            state["cancelled"] = True
            assert request.transport is not None
            request.transport.close()  # the cancel took effect; the answer is lost
            return web.Response()
        return refused()

    srv = await serve({
        "POST /api/v1/tasks/running/cancel": script(refused),
        "POST /api/v1/tasks/t1/cancel": flaky_cancel,
        "GET /api/v1/tasks/t1": script(ok({"output": {"task_id": "t1", "task_status": "CANCELED"}})),
    })
    client = make_client(srv.base)
    with pytest.raises(DashScopeUnsupportedOperation) as info:
        await client.cancel_task("running")
    assert info.value.code == "UnsupportedOperation"
    await client.cancel_task("t1")  # returns normally


async def test_iter_tasks_walks_pages(serve: Serve, make_client: MakeClient) -> None:
    async def pages(request: web.Request) -> web.StreamResponse:
        n = int(request.query["page_no"])
        rows = [{"task_id": f"p{n}-{i}", "status": "PENDING"} for i in range(2 if n == 1 else 1)]
        return json_response({"total": 3, "total_page": 2, "page_no": n, "page_size": 2, "data": rows})

    srv = await serve({"GET /api/v1/tasks": pages})
    client = make_client(srv.base)
    ids = [t.task_id async for t in client.iter_tasks(start=datetime(2026, 1, 1, tzinfo=UTC),
                                                      end=datetime(2026, 1, 1, 1, tzinfo=UTC), page_size=2)]
    assert ids == ["p1-0", "p1-1", "p2-0"]


# -- secrets ----------------------------------------------------------------------------------------------


async def test_session_with_default_auth_is_refused() -> None:
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer x"}) as s:
        with pytest.raises(ConfigError):
            DashScopeClient(s, base_url="http://h/api/v1", api_key=API_KEY)


async def test_key_never_in_repr_errors_or_logs(serve: Serve, make_client: MakeClient,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="wanbot.dashscope")
    echo = ok({"code": "InvalidApiKey", "message": f"Invalid API-key provided: {API_KEY}",
               "request_id": f"Bearer {API_KEY}"}, 401)

    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    srv = await serve({
        "GET /api/v1/tasks/ok": script(ok()),
        "GET /api/v1/tasks/bad": script(echo),
        "GET /api/v1/tasks/html": script(lambda: web.Response(status=500, text=f"<p>key {API_KEY}</p>")),
        "GET /api/v1/tasks/drop": drop,
    })
    client = make_client(srv.base, retry=RetryPolicy(attempts=2))
    texts = [repr(client), str(client)]
    await client.get_task("ok")
    for task in ("bad", "html", "drop"):
        with pytest.raises((DashScopeError, TransportError)) as info:
            await client.get_task(task)
        texts += [str(info.value), repr(info.value), info.value.message, str(info.value.to_dict())]
    texts += [r.getMessage() for r in caplog.records]
    assert any("/tasks/ok" in t for t in texts)  # the log line exists...
    assert all(API_KEY not in t for t in texts)  # ...and the key is nowhere
    assert any("200" in r.getMessage() and "request_id=rq" in r.getMessage() for r in caplog.records)


async def test_task_queries_log_at_debug_and_spending_calls_at_info(serve: Serve, make_client: MakeClient,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Issue 14: every poll of every job was an INFO line, burying the ones that spend or save money."""
    caplog.set_level(logging.DEBUG, logger="wanbot.dashscope")
    srv = await serve({
        "GET /api/v1/tasks/t1": script(ok()),
        "POST /api/v1/tasks/t1/cancel": script(ok({"request_id": "rq-cancel"})),
    })
    client = make_client(srv.base)
    await client.get_task("t1")
    await client.cancel_task("t1")
    lines = [r for r in caplog.records if r.getMessage().startswith("dashscope ")]
    levels = {r.getMessage().split(" ")[1]: r.levelno for r in lines}
    assert levels == {"GET": logging.DEBUG, "POST": logging.INFO}
