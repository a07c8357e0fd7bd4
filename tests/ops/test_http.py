"""The bot's HTTP server: /healthz and /metrics on a real runtime, and adapters' mounts on the same port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from adapters.console.app import run_try
from adapters.console.port import PLATFORM, ConsolePort
from bot.http import HttpServer
from bot.runtime import runtime
from bot.settings import Settings
from core.jobs import JobState
from core.request import GenerationRequest
from sandbox.config import SandboxConfig


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.json()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): float(s.value)
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_a_delivered_job_moves_the_metrics_and_health_turns_503_when_shutdown_begins(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                        poll_interval=0.05, predictive_polling=False, http_host="127.0.0.1", http_port=0)
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    async with runtime(settings, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=2000),
                       with_http=True) as rt:
        assert rt.http is not None
        await rt.http.start()
        assert rt.http.url is not None
        base = rt.http.url
        status, health = await get_json(base + "/healthz")
        assert status == 200, health
        assert health["status"] == "ok" and health["engine"] == "running" and health["store"] == "ok"
        assert health["jobs_in_flight"] == 0 and health["queue_depth"] == 0 and health["platforms"] == [PLATFORM]

        job = await run_try(rt.actions, port, GenerationRequest.build(prompt="a lighthouse", duration=2))
        assert job.state is JobState.DELIVERED
        size = port.saved[job.id].stat().st_size

        status, content_type, text = await get(base + "/metrics")
        assert status == 200 and content_type.startswith("text/plain")
        got = samples(text)
        # The live gauge holds unfinished jobs only; finished ones are the _total counter (Prometheus's
        # convention: a gauge that only grows would be a counter).
        assert ("wanbot_jobs", (("state", "DELIVERED"),)) not in got
        assert all(got["wanbot_jobs", (("state", s.value),)] == 0 for s in JobState if not s.terminal)
        assert got["wanbot_jobs_finished_total", (("state", "DELIVERED"),)] == 1
        assert got["wanbot_job_duration_seconds_count", (("model", job.request.model),)] == 1
        assert job.cost and got["wanbot_spend_yuan_total", (("model", job.request.model),)] == float(job.cost)
        assert got["wanbot_uploaded_bytes_total", ()] == size > 1000
        assert got["wanbot_uploaded_videos_total", ()] == 1
        assert got["wanbot_task_detection_lag_seconds_count", ()] >= 1
        assert got["wanbot_queue_depth", ()] == 0 and got["wanbot_dashscope_in_flight", ()] == 0
        assert ("process_cpu_seconds_total", ()) in got

        rt.begin_shutdown()
        status, health = await get_json(base + "/healthz")
        assert status == 503 and health["status"] == "draining"
        await rt.stop_engine()  # what leaving the runtime does first; the server is still up
        rt.http.draining = False
        status, health = await get_json(base + "/healthz")
        assert status == 503 and health["status"] == "unhealthy" and health["engine"] == "stopped"


async def test_health_is_503_when_the_store_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work", http_port=0)
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    async with runtime(settings, {PLATFORM: port}, force_sandbox=True, with_http=True) as rt:
        assert rt.http is not None
        await rt.http.start()
        assert rt.http.url is not None
        store = rt.store

        class Unreachable:
            @property
            def engine(self) -> Any:
                raise ConnectionRefusedError("database is down")

        rt.store = Unreachable()  # type: ignore[assignment]
        try:
            status, health = await get_json(rt.http.url + "/healthz")
        finally:
            rt.store = store
        assert status == 503 and health["status"] == "unhealthy" and health["store"] == "unreachable"


async def test_mounted_routes_share_the_port_and_refuse_work_while_draining() -> None:
    server = HttpServer("127.0.0.1", 0)
    await server.start()
    try:
        assert server.url is not None
        calls: list[str] = []

        async def events(request: web.Request) -> web.Response:
            calls.append(await request.text())
            return web.Response(text="ack")

        unmount = server.mount("POST", "/slack/events", events)  # after start: the router is already frozen
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url + "/slack/events", data="hello") as resp:
                assert resp.status == 200 and await resp.text() == "ack"
            async with session.get(server.url + "/slack/events") as resp:
                assert resp.status == 405
            async with session.get(server.url + "/metrics") as resp:
                assert resp.status == 404  # no renderer given
            server.begin_drain()
            async with session.post(server.url + "/slack/events", data="late") as resp:
                assert resp.status == 503 and resp.headers["Retry-After"]
            async with session.get(server.url + "/healthz") as resp:
                assert resp.status == 503 and (await resp.json())["status"] == "draining"
            unmount()
            async with session.post(server.url + "/slack/events", data="gone") as resp:
                assert resp.status == 404
        assert calls == ["hello"]
    finally:
        await server.close()


async def test_health_and_metrics_need_the_token_when_one_is_set() -> None:
    server = HttpServer("127.0.0.1", 0, metrics=lambda: b"wanbot_up 1\n", token="s3cret-token")
    await server.start()
    try:
        assert server.url is not None
        async with aiohttp.ClientSession() as session:
            for path in ("/healthz", "/metrics"):
                async with session.get(server.url + path) as resp:
                    assert resp.status == 401 and resp.headers["WWW-Authenticate"] == "Bearer"
                async with session.get(server.url + path, headers={"Authorization": "Bearer wrong"}) as resp:
                    assert resp.status == 401
                async with session.get(server.url + path, headers={"Authorization": "Bearer s3cret-token"}) as resp:
                    assert resp.status == 200
            server.mount("POST", "/slack/events", lambda request: _ack())
            async with session.post(server.url + "/slack/events") as resp:
                assert resp.status == 200  # Slack cannot send our token: its own signature check applies
    finally:
        await server.close()


async def _ack() -> web.Response:
    return web.Response(text="ack")
