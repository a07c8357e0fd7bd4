"""The CLI's other commands: run with nothing configured, doctor, and the sandbox server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from core.store import HEAD_REVISION
from tests.fakes.until import until

PLATFORM_VARS = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DASHSCOPE_API_KEY",
                 "DASHSCOPE_HTTP_BASE_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in PLATFORM_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


async def test_run_without_platforms_names_the_variables(capsys: pytest.CaptureFixture[str]) -> None:
    code = await asyncio.to_thread(main, ["run"])
    out = capsys.readouterr().out
    assert code == 2
    assert "No chat platform is configured" in out
    assert "DISCORD_TOKEN" in out and "SLACK_BOT_TOKEN" in out


async def test_doctor_on_a_fresh_machine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = await asyncio.to_thread(main, ["doctor"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "embedded sandbox" in out and "DASHSCOPE_API_KEY" in out
    assert f"schema revision {HEAD_REVISION} (new database)" in out and "ffmpeg" in out
    assert "DISCORD_TOKEN not set" in out


async def test_doctor_reports_a_rejected_key(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox.config import SandboxConfig
    from sandbox.runner import Sandbox

    async with Sandbox(SandboxConfig(api_key="sk-right")) as sandbox:
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-wrong")
        code = await asyncio.to_thread(main, ["doctor"])
        out = capsys.readouterr().out
        assert code == 1 and "InvalidApiKey" in out and "sk-wrong" not in out
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-right")
        code = await asyncio.to_thread(main, ["doctor"])
        assert code == 0 and "key accepted" in capsys.readouterr().out


async def test_wanbot_sandbox_serves_until_interrupted(tmp_path: Path) -> None:
    port = 18790 + os.getpid() % 1000
    # Started the way a script starts a background server: with SIGINT ignored (a shell does that for `&`
    # without job control). The sandbox must still stop when interrupted.
    proc = subprocess.Popen(
        ["bash", "-c", 'trap "" INT; exec "$0" "$@"',
         sys.executable, "-m", "bot.cli", "sandbox", "--port", str(port), "--speed", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2],
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        async with aiohttp.ClientSession() as session:

            async def answer() -> tuple[int, Any] | None:
                assert proc.poll() is None, "the sandbox exited"
                try:
                    async with session.get(f"{base}/tasks/nope", headers={"Authorization": "Bearer k"}) as resp:
                        return resp.status, await resp.json()
                except aiohttp.ClientConnectionError:
                    return None

            status, body = await until(answer, "the sandbox to start", poll=0.1)
        assert status == 200 and body["output"]["task_status"] == "UNKNOWN"
    finally:
        proc.send_signal(signal.SIGINT)
        # A bound, not a timing: it stops at once when idle, but a loaded 2-core machine (CI runs the suite
        # beside other work) was seen taking over 10 s to schedule the exit.
        try:
            await asyncio.to_thread(proc.wait, 60)
        except subprocess.TimeoutExpired:
            proc.kill()  # leave no server behind, then fail
            raise
