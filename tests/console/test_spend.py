"""Issue 13 in the console: a costly prompt shows its price and waits for ``confirm <id>``; ``settings``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.jobs import JobState


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[tuple[ConsoleSession, Runtime]]:
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                        poll_interval=0.05, sandbox_speed=2000.0)
    async with runtime(settings, {PLATFORM: port}, force_sandbox=True) as rt:
        yield ConsoleSession(rt.actions, port, console), rt


async def test_a_costly_prompt_waits_for_confirm_and_starts_once(session: tuple[ConsoleSession, Runtime]) -> None:
    console, rt = session
    asked = await console.handle("a storm over the harbour --resolution 1080P --duration 15")
    assert asked is not None
    match = re.fullmatch(r"This will cost about ¥15\.00 \(1080P, 15 s\)\. Type `confirm (\w+)` to start it\.", asked)
    assert match, asked
    assert console.submitted == [] and await rt.store.active() == []

    assert await console.handle(f"confirm {match.group(1)}") is None  # the status line says it all
    [job_id] = console.submitted
    done = await rt.actions.wait(CALLER, job_id, timeout=60)
    assert done.state is JobState.DELIVERED
    assert await console.handle(f"confirm {match.group(1)}") == f"This was already started (job {job_id})."

    assert await console.handle("settings confirm_over off") == "Saved: confirm_over = off."
    assert await console.handle("a calm sea --resolution 1080P --duration 15") is None  # no longer asks
    assert len(console.submitted) == 2
