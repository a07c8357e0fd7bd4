"""`wanbot doctor` says where DashScope fetches kept attachments from, and whether the public URL answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli import main
from bot.doctor import _media_host
from bot.http import HttpServer
from bot.settings import Settings
from tests.fakes.net import free_port


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_HTTP_BASE_URL", "WANBOT_PUBLIC_URL", "DISCORD_TOKEN",
                 "SLACK_BOT_TOKEN", "WANBOT_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def bot_http() -> AsyncIterator[str]:
    http = HttpServer("127.0.0.1", 0)  # the bot's own server: /healthz answers 200
    await http.start()
    assert http.url is not None
    try:
        yield http.url
    finally:
        await http.close()


async def test_a_public_url_that_answers(bot_http: str) -> None:
    check = await _media_host(Settings(dashscope_api_key="sk-x", public_url=bot_http + "/"))
    assert check.level == "ok", check
    assert f"{bot_http}/healthz answered 200" in check.detail and f"{bot_http}/media/" in check.detail


async def test_a_public_url_that_does_not_answer_or_is_not_wanbot() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    check = await _media_host(Settings(dashscope_api_key="sk-x", public_url=dead))
    assert check.level == "warn" and f"{dead}/healthz did not answer" in check.detail, check

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/healthz", not_found)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        check = await _media_host(Settings(dashscope_api_key="sk-x", public_url=f"http://127.0.0.1:{port}"))
    finally:
        await runner.cleanup()
    assert check.level == "warn" and "answered 404, not wanbot's health page" in check.detail, check


async def test_without_a_public_url() -> None:
    real = await _media_host(Settings(dashscope_api_key="sk-x"))
    assert real.level == "warn" and "WANBOT_PUBLIC_URL not set" in real.detail and "re-rolling" in real.detail
    sandbox = await _media_host(Settings())
    assert sandbox.level == "ok" and "loopback" in sandbox.detail


async def test_doctor_prints_the_media_line(bot_http: str, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WANBOT_PUBLIC_URL", bot_http)
    code = await asyncio.to_thread(main, ["doctor"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    assert "Media host" in out and "answered 200" in out
