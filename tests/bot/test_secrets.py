"""No secret is ever printed: doctor, ``wanbot run``'s logs, ``/healthz`` and ``/metrics``, ``repr(Settings)``.

Every secret is set to a recognisable value containing ``SECRET``; the tests assert none of them (nor
the word) appears anywhere wanbot writes, while the redacted forms (``user:***@host``) still do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.logs import setup_logging
from bot.redact import Redactor, redact_url
from bot.settings import Settings
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.net import free_port
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.ops.test_run_sigterm import until_listening

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-SECRET-dashscope-0123456789"
SECRETS = {
    "DASHSCOPE_API_KEY": KEY,
    "DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.SECRET.discord-token-abcdef",
    "SLACK_BOT_TOKEN": "xoxb-SECRET-slack-bot-token",
    "SLACK_APP_TOKEN": "xapp-SECRET-slack-app-token",
    "SLACK_SIGNING_SECRET": "SECRET-signing-8f742231b10e",
}


def closed_port() -> int:
    """A port nothing listens on: a PostgreSQL URL pointing there fails at once with "refused"."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in (*SECRETS.values(), *secrets):
        assert secret not in text, f"{secret!r} printed:\n{text}"
    assert "SECRET" not in text, text


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # rich would cut long table cells with "…" at 80


@pytest.mark.parametrize("url, shown", [
    ("postgresql://wanbot:pw-SECRET-1@127.0.0.1:{port}/wanbot", "postgresql://wanbot:***@127.0.0.1:{port}/wanbot"),
    ("postgresql://wanbot@127.0.0.1:{port}/wanbot?password=pw-SECRET-2",
     "postgresql://wanbot@127.0.0.1:{port}/wanbot?password=***"),
    # Unparsable ones: a port that is not a number; no "://" (SQLAlchemy's ArgumentError → ConfigError).
    ("postgresql://wanbot:pw-SECRET-3@127.0.0.1:notaport/wanbot", "postgresql://wanbot:***@127.0.0.1:notaport"),
    ("postgresql//wanbot:pw-SECRET-4@127.0.0.1/wanbot", "not a database URL"),
])
async def test_doctor_prints_no_secret(url: str, shown: str, secret_env: None, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    async with Sandbox(SandboxConfig(api_key=KEY)) as sandbox:
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("WANBOT_DATABASE_URL", url.format(port=port))
        code = await asyncio.to_thread(main, ["doctor"])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 1, out  # the database is not there
    assert "key accepted" in out and "Database" in out
    assert shown.format(port=port) in out, out
    assert_no_secret(out)


def test_settings_print_urls_without_passwords() -> None:
    settings = Settings(database_url="postgresql://wanbot:pw-SECRET@db/wanbot?password=q-SECRET",
                        dashscope_base_url="https://user:proxy-SECRET@proxy.example/api/v1",
                        dashscope_api_key=KEY, slack_bot_token=SECRETS["SLACK_BOT_TOKEN"])
    for text in (repr(settings), str(settings)):
        assert_no_secret(text)
        assert "postgresql://wanbot:***@db/wanbot?password=***" in text
        assert "https://user:***@proxy.example/api/v1" in text
    assert settings.database_url.endswith("q-SECRET")  # the value itself is intact


def test_every_log_line_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database_url="postgresql://wanbot:pw-SECRET@db/wanbot", dashscope_api_key=KEY,
                        slack_signing_secret=SECRETS["SLACK_SIGNING_SECRET"])
    setup_logging("INFO", redact=Redactor.of(settings))
    log = logging.getLogger("wanbot.test")
    log.info("connecting with %s and %r", KEY, settings.database_url)
    signing = SECRETS["SLACK_SIGNING_SECRET"]
    try:
        raise RuntimeError(f"the server refused {signing}")  # the traceback shows this line too
    except RuntimeError:
        log.exception("a library echoed a secret")
    err = capsys.readouterr().err
    assert_no_secret(err)
    assert "connecting with *** and 'postgresql://wanbot:***@db/wanbot'" in err
    assert "RuntimeError: the server refused ***" in err


def test_redact_url() -> None:
    assert redact_url("sqlite:///./wanbot.db") == "sqlite:///./wanbot.db"
    assert redact_url("https://dashscope.aliyuncs.com/api/v1") == "https://dashscope.aliyuncs.com/api/v1"
    assert redact_url("http://u:p%2Fw@h:8080/api/v1") == "http://u:***@h:8080/api/v1"
    assert redact_url("wanbot:pw@db") == "***"  # not a URL: no telling which part is secret
    redact = Redactor.of(Settings(dashscope_base_url="http://u:p%2Fw-long@h/api/v1"))
    assert redact("GET http://u:p%2Fw-long@h/api/v1 and p/w-long") == "GET http://u:***@h/api/v1 and ***"
    # docker-compose's password is the product's name: masked inside URLs only, or every logger name goes.
    redact = Redactor.of(Settings(database_url="postgresql://wanbot:wanbot@postgres/wanbot"))
    assert redact("wanbot.engine: postgresql://wanbot:wanbot@postgres/wanbot") == \
        "wanbot.engine: postgresql://wanbot:***@postgres/wanbot"
    # Any URL in free text, configured or not.
    assert Redactor()("failed: redis://:hunter2@cache:6379/0?db=1&Password=x9 (retry)") == \
        "failed: redis://:***@cache:6379/0?db=1&Password=*** (retry)"


async def test_run_start_up_logs_health_and_metrics_print_no_secret(tmp_path: Path) -> None:
    """A real ``wanbot run`` (Slack HTTP mode) with a DashScope proxy URL carrying a password."""
    fake = FakeSlack()
    await fake.start()
    http_port = free_port()
    proxy_password = "proxy-SECRET-pw"
    async with Sandbox(SandboxConfig(speed=100)) as sandbox:
        base = sandbox.base_url.replace("http://", f"http://wanbot:{proxy_password}@")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "DASHSCOPE_"))},
            **SECRETS, "DISCORD_TOKEN": "", "SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.api_url, "DASHSCOPE_HTTP_BASE_URL": base,
            "WANBOT_DATABASE_URL": f"sqlite:///{tmp_path}/wanbot.db", "WANBOT_WORKDIR": str(tmp_path / "work"),
            "WANBOT_HTTP_HOST": "127.0.0.1", "WANBOT_HTTP_PORT": str(http_port), "WANBOT_LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(ROOT),
        }
        log_path = tmp_path / "wanbot.log"
        with log_path.open("wb") as log_file:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", cwd=tmp_path,
                                                        env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT)
        try:
            await until_listening(http_port, proc)
            async with aiohttp.ClientSession() as session:
                pages = []
                for path in ("/healthz", "/metrics"):
                    async with session.get(f"http://127.0.0.1:{http_port}{path}") as resp:
                        assert resp.status == 200, path
                        pages.append(await resp.text())
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), timeout=20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await fake.close()
    log = log_path.read_text()
    assert code == 0, log
    assert f"using DashScope at {base.replace(proxy_password, '***')}" in log, log
    assert f"store: sqlite:///{tmp_path}/wanbot.db" in log, log
    assert_no_secret(log + "\n".join(pages), TOKEN, proxy_password)

