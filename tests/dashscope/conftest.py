"""Shared test plumbing: a fake clock and sleep, scripted aiohttp servers, and a fake DashScope.

Nothing sleeps for real: the client's backoff goes through ``FakeSleep``, which records each delay and
advances ``FakeClock``. Servers listen on 127.0.0.1 with an ephemeral port.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.dashscope import DashScopeClient, ReconcilePolicy, RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "sk-test0123456789abcdefSECRET"
T0 = 1_787_000_000.0  # an arbitrary "now" in 2026
BJ = timezone(timedelta(hours=8))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeSleep:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.now += delay
        await asyncio.sleep(0)


@dataclass
class Hit:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    """An aiohttp server whose routes the test writes; every request is recorded in ``hits``."""

    server: TestServer
    hits: list[Hit] = field(default_factory=list)

    @property
    def base(self) -> str:
        return str(self.server.make_url("/api/v1"))

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def paths(self) -> list[str]:
        return [f"{h.method} {h.path}" for h in self.hits]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[dict[str, Handler]], Awaitable[Scripted]]]:
    """``await serve({"GET /api/v1/tasks/t1": handler, ...})`` → a running ``Scripted`` server."""
    servers: list[TestServer] = []

    async def start(routes: dict[str, Handler]) -> Scripted:
        holder: list[Scripted] = []

        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            body = await request.read()
            holder[0].hits.append(Hit(request.method, request.path, dict(request.query),
                                      dict(request.headers), body))
            return await handler(request)

        app = web.Application(middlewares=[record])
        for key, handler in routes.items():
            method, path = key.split(" ", 1)
            app.router.add_route(method, path, handler)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        holder.append(Scripted(server))
        return holder[0]

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, clock: FakeClock, sleep: FakeSleep
) -> Callable[..., DashScopeClient]:
    def make(base_url: str, **kwargs: Any) -> DashScopeClient:
        kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.5, max_delay=4.0))
        kwargs.setdefault("reconcile", ReconcilePolicy(skew=30.0, recheck_delays=(2.0, 5.0)))
        kwargs.setdefault("request_timeout", 2.0)
        return DashScopeClient(session, base_url=base_url, api_key=API_KEY, clock=clock, sleep=sleep,
                               rng=random.Random(7), **kwargs)

    return make


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def bj(ts: float) -> str:
    """A DashScope-style UTC+8 time string for epoch ``ts``."""
    return datetime.fromtimestamp(ts, UTC).astimezone(BJ).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class FakeDashScope:
    """Just enough task state for create/query/list/cancel tests, driven by the fake clock.

    ``create_script`` says what each successive create does: ``ok`` (answer normally), ``drop`` (make
    the task, then cut the connection before answering), ``lost`` (read the body, make nothing, cut),
    ``500``/``503``/``429`` (a JSON error, nothing made), ``500after``/``503after``/``429after`` (make
    the task, *then* answer that JSON error), ``400`` (a JSON InvalidParameter refusal, nothing made),
    ``502html`` (make the task, answer a gateway page).
    ``list_script`` likewise for lists: ``ok``, ``empty`` (lagging), ``500`` (always-failing list).
    ``get_script`` for task queries: ``ok`` or ``500``. Like the real service, a query reports
    ``orig_prompt`` only once the task SUCCEEDED.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tasks: dict[str, dict[str, Any]] = {}
        self.create_script: list[str] = []
        self.list_script: list[str] = []
        self.get_script: list[str] = []
        self.created: list[str] = []
        self.canceled: list[str] = []
        #: Awaited by every create once its body is read (before it does anything): lets a test look at
        #: the world at that moment, or hold the create while it kills the caller.
        self.on_create: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    def add_task(self, model: str, created: float, *, prompt: str = "p", task_id: str | None = None,
                 status: str = "PENDING") -> str:
        task_id = task_id or f"task-{len(self.tasks) + 1}"
        self.tasks[task_id] = {"model": model, "created": created, "prompt": prompt, "status": status}
        return task_id

    def routes(self) -> dict[str, Handler]:
        return {
            "POST /api/v1/services/aigc/video-generation/video-synthesis": self.create,
            "POST /api/v1/services/aigc/image-generation/generation": self.create,
            "GET /api/v1/tasks": self.list,
            "GET /api/v1/tasks/{task_id}": self.get,
            "POST /api/v1/tasks/{task_id}/cancel": self.cancel,
        }

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        if self.on_create is not None:
            await self.on_create(body)
        action = self.create_script.pop(0) if self.create_script else "ok"
        errors = {"500": ("InternalError", 500), "503": ("ModelServingError", 503),
                  "429": ("Throttling.RateQuota", 429), "400": ("InvalidParameter", 400)}
        if action in errors:
            code, status = errors[action]
            return json_response({"request_id": "r", "code": code, "message": "nope"}, status)
        if action == "lost":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        inp = body["input"]
        prompt = inp["prompt"] if "prompt" in inp else inp["messages"][0]["content"][0]["text"]
        task_id = self.add_task(body["model"], self.clock(), prompt=prompt)
        self.created.append(task_id)
        if action.endswith("after"):
            code, status = errors[action.removesuffix("after")]
            return json_response({"request_id": "r", "code": code, "message": "made it, then failed"}, status)
        if action == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if action == "502html":
            return web.Response(status=502, text="<html><title>502 Bad Gateway</title></html>",
                                content_type="text/html")
        return json_response({"request_id": "rc", "output": {"task_id": task_id, "task_status": "PENDING"}})

    async def list(self, request: web.Request) -> web.StreamResponse:
        action = self.list_script.pop(0) if self.list_script else "ok"
        if action == "500":
            return json_response({"code": "InternalError", "message": "list down"}, 500)
        q = request.query
        lo = datetime.strptime(q["start_time"], "%Y%m%d%H%M%S").replace(tzinfo=BJ).timestamp()
        hi = datetime.strptime(q["end_time"], "%Y%m%d%H%M%S").replace(tzinfo=BJ).timestamp()
        rows = [
            {"task_id": tid, "status": t["status"], "model_name": t["model"],
             "gmt_create": int(t["created"] * 1000), "start_time": int(t["created"] * 1000)}
            for tid, t in self.tasks.items()
            if lo <= t["created"] <= hi + 1 and q.get("model_name") in (None, t["model"])
        ]
        if action == "empty":
            rows = []
        return json_response({"request_id": "rl", "total": len(rows), "total_page": 1 if rows else 0,
                              "page_no": 1, "page_size": int(q.get("page_size", 10)), "data": rows})

    async def get(self, request: web.Request) -> web.StreamResponse:
        action = self.get_script.pop(0) if self.get_script else "ok"
        if action == "500":
            return json_response({"request_id": "rg", "code": "InternalError", "message": "query down"}, 500)
        tid = request.match_info["task_id"]
        t = self.tasks.get(tid)
        if t is None:
            return json_response({"request_id": "rg", "output": {"task_id": tid, "task_status": "UNKNOWN"}})
        output = {"task_id": tid, "task_status": t["status"], "submit_time": bj(t["created"])}
        if t["status"] == "SUCCEEDED":
            output |= {"orig_prompt": t["prompt"], "video_url": f"https://results.example/{tid}.mp4"}
        return json_response({"request_id": "rg", "output": output})

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        tid = request.match_info["task_id"]
        t = self.tasks.get(tid)
        if t is None or t["status"] != "PENDING":
            return json_response({"request_id": "rx", "code": "UnsupportedOperation",
                                  "message": "not pending"}, 400)
        t["status"] = "CANCELED"
        self.canceled.append(tid)
        return json_response({"request_id": "rx"})
