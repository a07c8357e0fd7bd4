"""Issue 14: ``wanbot console`` on a real (pseudo-)terminal: the line editor, Ctrl-C and Ctrl-D.

Each test runs ``wanbot console`` in a subprocess on a pty against the embedded sandbox, waits for what
a person would see (the ``wan>`` prompt, a status line), types keys, and waits for the exit code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.console.editor import HISTORY_NAME
from tests.console.terminal import Terminal, clean_env

pytestmark = pytest.mark.slow

PROMPT = r"wan>"
#: Starts ``wanbot console`` on a pty with the sandbox at this speed.
Start = Callable[[str], Terminal]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    started: list[Terminal] = []

    def make(speed: str) -> Terminal:
        env = clean_env(WANBOT_SANDBOX_SPEED=speed, WANBOT_POLL_INTERVAL="0.05")
        terminal = Terminal(["console", "--out", str(tmp_path / "vids")], cwd=tmp_path, env=env)
        started.append(terminal)
        return terminal

    yield make
    for terminal in started:
        terminal.close()


def _states(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT state FROM jobs")]


async def test_status_lines_print_above_the_prompt_and_what_is_typed(start: Start, tmp_path: Path) -> None:
    term = start("50")
    await term.wait_for(PROMPT, "the prompt")
    term.send("a paper boat --duration 2\r")
    await term.wait_for(r"Queued.*Model: wan2\.7-t2v, Format: 720P · 16:9 · 2s, Seed: \d+, Estimate: ¥1\.20.*wan>",
                        "the queued status and its price line, then the prompt again")
    term.send("hel")  # typed, not sent: the status lines to come must not swallow it
    await term.wait_for(r"Done[^\n]*\n.*wan> hel", "the Done line, with the prompt and the typed text under it")
    # Everything printed while the prompt waited is above it: the prompt (with "hel") is redrawn last.
    tail = term.text().rsplit("Done", 1)[1]
    assert "wan> hel" in tail and "saved" not in tail
    term.send("\x15exit\r")  # Ctrl-U clears the line; exit finishes like Ctrl-D
    assert await term.exit_code() == 0
    history = (tmp_path / "wanbot-work" / HISTORY_NAME).read_text()
    assert "a paper boat --duration 2" in history and "exit" in history


async def test_ctrl_c_at_the_prompt_exits_at_once_with_130_and_keeps_the_job(
        start: Start, tmp_path: Path) -> None:
    term = start("1")  # realistic speed: the job is far from done when Ctrl-C comes
    await term.wait_for(PROMPT, "the prompt")
    term.send("a slow tide --duration 2\r")
    await term.wait_for(r"Queued.*wan>", "the queued status, then the prompt again")
    term.send("\x03")
    assert await term.exit_code() == 130
    assert "Unfinished jobs stay stored" in term.text()
    assert "waiting for" not in term.text()  # not drained: at once
    [state] = _states(tmp_path / "wanbot-sandbox.db")
    assert state not in ("DELIVERED", "FAILED", "CANCELED", "EXPIRED"), state  # resumed by the next start


async def test_ctrl_d_at_the_prompt_exits_0(start: Start) -> None:
    term = start("2000")
    await term.wait_for(PROMPT, "the prompt")
    term.send("usage\r")
    await term.wait_for(r"You, today:.*wan>", "the usage reply, then the prompt")
    term.send("\x04")
    assert await term.exit_code() == 0


async def test_on_a_key_the_editor_asks_y_n_with_the_price(tmp_path: Path) -> None:
    from sandbox.config import SandboxConfig
    from sandbox.runner import Sandbox

    async with Sandbox(SandboxConfig(speed=2000)) as sandbox:  # "DashScope", served by this test's loop
        env = clean_env(DASHSCOPE_API_KEY="sk-pty", DASHSCOPE_HTTP_BASE_URL=sandbox.base_url,
                        WANBOT_POLL_INTERVAL="0.05")
        term = Terminal(["console", "--out", str(tmp_path / "vids")], cwd=tmp_path, env=env)
        try:
            await term.wait_for(PROMPT, "the prompt")
            term.send("a fox\r")
            await term.wait_for(r"That is not a command.*wan>", "the sentence, then the prompt")
            term.send("video a fox --duration 2\r")
            await term.wait_for(r"Model: wan2\.7-t2v, Format: 720P · 16:9 · 2s\n"
                                r"This will cost about ¥1\.20 \(720P, 2 s\)\. Start it\?\n\[y/N\]", "the question")
            assert sandbox.stats.tasks_created("sk-pty") == 0
            term.send("y\r")
            await term.wait_for(r"Done.*wan>", "the video, then the prompt")
            term.send("\x04")
            assert await term.exit_code() == 0
        finally:
            term.close()
        assert sandbox.stats.tasks_created("sk-pty") == 1
