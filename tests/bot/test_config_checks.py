"""Issue 14 item 1: configuration mistakes end in one sentence each and exit 2, and ``doctor`` checks what
it claims — a token is ✓ only when Discord, Slack or DashScope accepted it.

Every case is first the observation from the issue (a traceback, a "Ready." with a broken setting, a ✓
for any token, a bare ``TransportError``), reproduced through ``wanbot``'s own ``main`` and, for the
exit codes and streams, a real subprocess.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import TOKEN as SLACK_TOKEN
from tests.fakes.slack_server import FakeSlack

VARS = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DASHSCOPE_API_KEY",
        "DASHSCOPE_HTTP_BASE_URL", "DISCORD_API_BASE", "SLACK_API_URL", "WANBOT_LOG_LEVEL", "WANBOT_BUDGETS",
        "DISCORD_ALLOWED_GUILDS", "WANBOT_MAX_IN_FLIGHT", "WANBOT_PRICES")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def wanbot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in VARS}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=120, cwd=Path.cwd())


@pytest.mark.parametrize(("variable", "value", "sentence"), [
    ("WANBOT_LOG_LEVEL", "verbose", "WANBOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not "
                                    "'verbose'"),
    ("WANBOT_BUDGETS", "user:week=5", "WANBOT_BUDGETS: cannot read 'user:week=5'"),
    ("DISCORD_ALLOWED_GUILDS", "abc", "DISCORD_ALLOWED_GUILDS must be Discord ids (numbers) separated by commas, "
                                      "not 'abc'"),
    ("WANBOT_MAX_IN_FLIGHT", "x", "WANBOT_MAX_IN_FLIGHT must be a whole number, not 'x'"),
    ("WANBOT_PRICES", "wan2.7-t2v:720P=cheap", "WANBOT_PRICES: cannot read 'wan2.7-t2v:720P=cheap'"),
])
def test_a_bad_setting_is_one_sentence_on_stderr_and_exit_2(variable: str, value: str, sentence: str) -> None:
    for command in ("doctor", "run"):
        done = wanbot(command, env={variable: value})
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert sentence in done.stderr and "Traceback" not in done.stderr + done.stdout
        assert done.stdout == ""  # nothing on stdout: `x=$(wanbot …)` captures no error text


def test_every_problem_is_named_at_once_and_a_secret_is_never_echoed(capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_LOG_LEVEL", "loud")
    monkeypatch.setenv("WANBOT_MAX_IN_FLIGHT", "many")
    monkeypatch.setenv("WANBOT_MEDIA_SECRET", "short-secret")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("  • ")]
    assert len(lines) == 3, err
    assert "short-secret" not in err and "WANBOT_MEDIA_SECRET must be at least" in err


def test_secret_variables_are_the_secretstr_ones() -> None:
    secret = Settings.secret_variables()
    assert {"DASHSCOPE_API_KEY", "DISCORD_TOKEN", "SLACK_BOT_TOKEN", "WANBOT_MEDIA_SECRET"} <= secret
    assert "WANBOT_LOG_LEVEL" not in Settings.secret_variables()


def test_bare_wanbot_prints_help_and_version_works() -> None:
    bare = wanbot(env={})
    assert bare.returncode == 0 and "usage: wanbot" in bare.stdout and "COMMAND" in bare.stdout
    shown = wanbot("--version", env={})
    assert shown.returncode == 0 and shown.stdout.startswith("wanbot ")


# -- doctor checks tokens with the services ------------------------------------------------------------------


async def test_doctor_checks_the_discord_token_with_discord(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeDiscord() as fake:
        monkeypatch.setenv("DISCORD_API_BASE", fake.api_base)
        monkeypatch.setenv("DISCORD_TOKEN", "not-the-token")
        assert await asyncio.to_thread(main, ["doctor"]) == 1
        out = " ".join(capsys.readouterr().out.split())
        assert "Discord refused DISCORD_TOKEN (401)" in out and "Ready." not in out
        monkeypatch.setenv("DISCORD_TOKEN", fake.token)
        await asyncio.to_thread(main, ["doctor"])
        out = " ".join(capsys.readouterr().out.split())
        assert f"logged in as {fake.bot.username}" in out and "refused" not in out


async def test_doctor_checks_the_slack_token_with_auth_test(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSlack()
    await fake.start()
    try:
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing")
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
        assert await asyncio.to_thread(main, ["doctor"]) == 1
        out = " ".join(capsys.readouterr().out.split())
        assert "Slack refused SLACK_BOT_TOKEN: invalid_auth" in out
        monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
        await asyncio.to_thread(main, ["doctor"])
        out = " ".join(capsys.readouterr().out.split())
        assert "HTTP mode: workspace Fake as @wanbot" in out
    finally:
        await fake.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_host_is_named_with_the_reason(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"http://127.0.0.1:{port}/api/v1")
    monkeypatch.setenv("DISCORD_TOKEN", "x")
    monkeypatch.setenv("DISCORD_API_BASE", f"http://127.0.0.1:{port}/api/v10")
    assert await asyncio.to_thread(main, ["doctor"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"cannot reach http://127.0.0.1:{port}/api/v1:" in out and "DASHSCOPE_HTTP_BASE_URL" in out
    assert f"cannot reach http://127.0.0.1:{port}/api/v10:" in out
