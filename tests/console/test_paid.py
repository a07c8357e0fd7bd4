"""Issue 14: the console on a real DashScope key never bills a stray line, and asks y/N with the price first.

"A real key" here is a key set in the settings with ``DASHSCOPE_HTTP_BASE_URL`` pointing at a sandbox of
the test's own (no internet): wanbot then runs exactly as it would on DashScope, ``on_sandbox`` False.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.jobs import JobState
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.console.terminal import clean_env

KEY = "sk-console-test"


class Answers:
    """Typed answers to the session's y/N questions, and the questions asked."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def command(self, prompt: str) -> str | None:
        raise AssertionError("these tests call handle() themselves")

    async def answer(self, prompt: str) -> str | None:
        self.asked.append(prompt)
        return self.answers.pop(0)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(SandboxConfig(speed=2000)) as sb:
        yield sb


@pytest.fixture
async def paid(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[tuple[Runtime, ConsolePort, Console]]:
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work", poll_interval=0.05,
                        dashscope_api_key=KEY, dashscope_base_url=sandbox.base_url)
    async with runtime(settings, {PLATFORM: port}, confirm_every={PLATFORM}) as rt:
        assert not rt.on_sandbox
        yield rt, port, console


async def test_a_line_that_is_not_a_command_is_not_a_billed_video(
        paid: tuple[Runtime, ConsolePort, Console], sandbox: Sandbox) -> None:
    rt, port, console = paid
    session = ConsoleSession(rt.actions, port, console, paid=True, lines=Answers())
    reply = await session.handle("a fox in the snow")
    assert reply == ("That is not a command, and videos are billed on this key: type `video <your prompt>` "
                     "to make one.")
    assert session.submitted == [] and await rt.store.active() == []
    assert sandbox.stats.tasks_created(KEY) == 0


async def test_every_paid_job_shows_model_format_and_price_and_asks_first(
        paid: tuple[Runtime, ConsolePort, Console], sandbox: Sandbox) -> None:
    rt, port, console = paid
    answers = Answers("n", "y", None)
    session = ConsoleSession(rt.actions, port, console, paid=True, lines=answers)

    # No: nothing is stored, queued or sent.
    assert await session.handle("video a fox --duration 2 --ar 9:16") == "Cancelled; nothing was started or spent."
    assert session.submitted == [] and await rt.store.active() == []
    text = console.export_text(clear=False)
    assert "Model: wan2.7-t2v, Format: 720P · 9:16 · 2s\nThis will cost about ¥1.20 (720P, 2 s). Start it?" in text
    assert answers.asked == ["[y/N] "]

    # Yes: it starts, once, under the channel's ¥10 confirm limit all the same.
    assert await session.handle("/wan video a fox --duration 2") is None
    [job_id] = session.submitted
    assert (await rt.actions.wait(CALLER, job_id, timeout=60)).state is JobState.DELIVERED
    assert sandbox.stats.tasks_created(KEY) == 1

    # A re-roll is a new paid job: asked too; no answer (end of input) is no.
    assert await session.handle(f"reroll {job_id}") == "Cancelled; nothing was started or spent."
    assert len(answers.asked) == 3 and session.submitted == [job_id]
    assert sandbox.stats.tasks_created(KEY) == 1


async def test_on_the_sandbox_a_bare_prompt_is_still_a_free_video_shown_with_its_line(tmp_path: Path) -> None:
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work", poll_interval=0.05,
                        sandbox_speed=2000.0)
    async with runtime(settings, {PLATFORM: port}, force_sandbox=True, confirm_every={PLATFORM}) as rt:
        session = ConsoleSession(rt.actions, port, console, paid=False, lines=Answers())  # any question fails
        assert await session.handle("a paper boat --duration 2") is None
        [job] = await session.drain(timeout=60)
    assert job.state is JobState.DELIVERED
    text = console.export_text()
    assert "sandbox — placeholder video, nothing billed" in text
    assert "Model: wan2.7-t2v, Format: 720P · 16:9 · 2s, Seed: " in text and ", Estimate: ¥1.20" in text


async def test_piped_console_on_a_key_answers_from_the_next_lines(tmp_path: Path, sandbox: Sandbox) -> None:
    # Through a subprocess with stdin a pipe: the plain line reader, the key from the environment.
    env = clean_env(DASHSCOPE_API_KEY=KEY, DASHSCOPE_HTTP_BASE_URL=sandbox.base_url, WANBOT_POLL_INTERVAL="0.05")
    script = "a fox\nvideo a fox --duration 2\ny\nvideo a cat --duration 2\nno\n"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "console", "--out", str(tmp_path / "vids"), cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(script.encode()), 300)  # a bound, not a timing
    stdout = out.decode()
    assert proc.returncode == 0, (stdout, err.decode())
    assert "built-in sandbox" not in stdout and "every job shows its price and asks first" in stdout
    assert "That is not a command, and videos are billed on this key" in stdout
    assert stdout.count("This will cost about ¥1.20 (720P, 2 s). Start it?") == 2
    assert "Cancelled; nothing was started or spent." in stdout
    assert "all done (" in stdout and ": delivered)" in stdout
    assert len(list((tmp_path / "vids").glob("wan-*.mp4"))) == 1
    assert sandbox.stats.tasks_created(KEY) == 1
