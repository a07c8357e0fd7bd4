"""Fixtures for the sandbox tests: a shared media cache, a manual clock, and a small API client.

Nothing here sleeps for state changes: tests move ``ManualClock`` (or run at a high speed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox import ManualClock, Sandbox, SandboxConfig
from tests.sandbox.inputs_kit import ImageHost

KEY = "sk-sandbox-test"
VIDEO_PATH = "/services/aigc/video-generation/video-synthesis"
IMAGE_SYNC_PATH = "/services/aigc/multimodal-generation/generation"
IMAGE_ASYNC_PATH = "/services/aigc/image-generation/generation"


def video_body(prompt: str = "a lighthouse at dusk, waves on rocks", model: str = "wan2.7-t2v",
               **params: Any) -> dict[str, Any]:
    if not params and model.startswith("wan2.7"):
        params = {"resolution": "720P", "ratio": "16:9", "duration": 5}
    return {"model": model, "input": {"prompt": prompt}, "parameters": params}


def image_body(prompt: str = "a mountain lake at sunrise", model: str = "wan2.7-image",
               **params: Any) -> dict[str, Any]:
    return {"model": model,
            "input": {"messages": [{"role": "user", "content": [{"text": prompt}]}]},
            "parameters": params or {"n": 1, "size": "1K"}}


class Api:
    """A thin client for one running sandbox, speaking as ``key``."""

    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession, key: str | None = KEY) -> None:
        self.sandbox = sandbox
        self.session = session
        self.key = key

    def headers(self, key: str | None = None, async_: bool = False) -> dict[str, str]:
        h: dict[str, str] = {}
        key = key if key is not None else self.key
        if key:
            h["Authorization"] = f"Bearer {key}"
        if async_:
            h["X-DashScope-Async"] = "enable"
        return h

    async def call(self, method: str, path: str, *, key: str | None = None, async_: bool = False,
                   headers: dict[str, str] | None = None, **kw: Any) -> tuple[int, Any]:
        hdrs = {**self.headers(key, async_), **(headers or {})}
        async with self.session.request(method, self.sandbox.base_url + path, headers=hdrs, **kw) as r:
            return r.status, await r.json()

    async def create(self, body: Any | None = None, *, key: str | None = None, async_: bool = True,
                     **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", VIDEO_PATH, json=body if body is not None else video_body(),
                               key=key, async_=async_, **kw)

    async def create_id(self, body: Any | None = None, **kw: Any) -> str:
        status, data = await self.create(body, **kw)
        assert status == 200, data
        return str(data["output"]["task_id"])

    async def query(self, task_id: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", f"/tasks/{task_id}", **kw)

    async def status(self, task_id: str, **kw: Any) -> str:
        code, data = await self.query(task_id, **kw)
        assert code == 200, data
        return str(data["output"]["task_status"])

    async def cancel(self, task_id: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", f"/tasks/{task_id}/cancel", **kw)

    async def list(self, **params: Any) -> tuple[int, Any]:
        return await self.call("GET", "/tasks", params={k: str(v) for k, v in params.items()})

    async def image(self, body: Any | None = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", IMAGE_SYNC_PATH, json=body if body is not None else image_body(), **kw)

    async def fetch(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        async with self.session.get(url, headers=headers or {}) as r:
            return r.status, r.headers.get("Content-Type", ""), await r.read()


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole run: each distinct clip is encoded once."""
    return tmp_path_factory.mktemp("sandbox-media")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config(media_cache: Path) -> SandboxConfig:
    return SandboxConfig(speed=1000, api_key=KEY, seed=7, cache_dir=media_cache)


StartApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def start(config: SandboxConfig, clock: ManualClock) -> AsyncIterator[StartApi]:
    """``api = await start(speed=1, limits=...)``: a listening sandbox (manual clock) and a client."""
    opened: list[tuple[Sandbox, aiohttp.ClientSession]] = []

    async def _start(*, real_clock: bool = False, **changes: Any) -> Api:
        cfg = dataclasses.replace(config, **changes)
        sandbox = Sandbox(cfg) if real_clock else Sandbox(cfg, clock=clock)
        await sandbox.start()
        session = aiohttp.ClientSession()
        opened.append((sandbox, session))
        return Api(sandbox, session)

    yield _start
    for sandbox, session in opened:
        await session.close()
        await sandbox.close()


@pytest.fixture
async def api(start: StartApi) -> Api:
    return await start()


@pytest.fixture
async def image_host() -> AsyncIterator[ImageHost]:
    """A loopback server for input images and audio (``tests.sandbox.inputs_kit.ImageHost``)."""
    host = await ImageHost().start()
    yield host
    await host.close()


def edit_body(prompt: str, images: list[str], model: str = "wan2.7-image", **params: Any) -> dict[str, Any]:
    """An image-edit body: the text first, then the images, as the SDK and wanbot send it."""
    content: list[dict[str, str]] = [{"text": prompt}, *({"image": url} for url in images)]
    return {"model": model, "input": {"messages": [{"role": "user", "content": content}]},
            "parameters": params or {"n": 1, "size": "1K"}}
