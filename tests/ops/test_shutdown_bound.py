"""The shutdown bound, in process: a platform that will not stop, and a stop that hangs, cannot hold it up."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from adapters.host import AdapterHost
from bot import run
from bot.run import Platform, run_platforms
from bot.settings import Settings
from core.engine import Engine
from tests.fakes.port import RecordingPort

BOUND = 1.0


def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work", http_port=0,
                    shutdown_timeout=BOUND)


def stubborn_platform(lingering: list[asyncio.Task[Any]]) -> Platform:
    """A platform that sends itself SIGTERM once running, then ignores being cancelled for 30 s."""

    async def runner(host: AdapterHost) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            lingering.append(task)
            await asyncio.sleep(30)

    return Platform("Stub", ("STUB",), lambda s: True, lambda s: (RecordingPort(), runner))


async def test_a_platform_that_will_not_stop_does_not_hold_up_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lingering: list[asyncio.Task[Any]] = []
    monkeypatch.setattr(run, "PLATFORMS", (stubborn_platform(lingering),))
    caplog.set_level(logging.INFO, "wanbot")
    loop = asyncio.get_running_loop()
    started = loop.time()
    code = await run_platforms(settings(tmp_path), Console(), force_sandbox=True)
    took = loop.time() - started
    for task in lingering:
        task.cancel()
    assert code == 0 and took < BOUND + 1.5
    assert "1 platform(s) still stopping; stopping the engine anyway" in caplog.text
    assert "shutdown: done in" in caplog.text


async def test_past_the_bound_the_remaining_steps_are_cancelled_and_the_exit_code_is_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lingering: list[asyncio.Task[Any]] = []
    monkeypatch.setattr(run, "PLATFORMS", (stubborn_platform(lingering),))
    stop = Engine.stop
    hung: list[Engine] = []

    async def hanging_stop(self: Engine) -> None:
        hung.append(self)
        await asyncio.sleep(30)

    monkeypatch.setattr(Engine, "stop", hanging_stop)
    caplog.set_level(logging.INFO, "wanbot")
    loop = asyncio.get_running_loop()
    started = loop.time()
    code = await run_platforms(settings(tmp_path), Console(), force_sandbox=True)
    took = loop.time() - started
    for task in lingering:
        task.cancel()
    for engine in hung:
        await stop(engine)  # what the cancelled stop never did: end the engine's loops
    assert code == 1 and BOUND <= took < BOUND + 1.5
    assert f"shutdown: not finished within {BOUND:g}s" in caplog.text
