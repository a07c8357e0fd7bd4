"""Real people never get placeholder videos by accident, and when they get them on purpose they are told.

Without a DashScope key ``wanbot run`` refuses to start Discord/Slack unless asked (``--sandbox`` or
``WANBOT_SANDBOX=1``); asked, every status message carries the sandbox note — in the ``StatusView`` of
every state, in the Discord and Slack renderings, and end to end in a real run's Slack messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from rich.console import Console

from adapters.discord.render import status_embed
from adapters.slack.app import EVENTS_PATH
from adapters.slack.blocks import status_blocks
from bot import run
from bot.cli import main
from bot.run import run_platforms
from bot.settings import Settings
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ChatPort, ConversationRef
from core.request import GenerationRequest
from core.status import status_view
from tests.fakes.net import free_port
from tests.fakes.slack_server import TEAM, TOKEN, FakeSlack
from tests.slack.conftest import SECRET, job_id_of, sign, state_of, until

NOTE = Messages()("status.sandbox")
REFUSAL = Messages()("run.sandbox_refused")
#: Every variable that could point wanbot at a real DashScope or turn a platform on.
VARIABLES = ("DASHSCOPE_API_KEY", "DASHSCOPE_HTTP_BASE_URL", "WANBOT_SANDBOX", "DISCORD_TOKEN", "SLACK_BOT_TOKEN",
             "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "WANBOT_DATABASE_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here


def job(state: JobState) -> Job:
    return Job(
        id="abcd2345", requester=Requester(platform="slack", user_id="U1", channel_id="C1"),
        conversation=ConversationRef(platform="slack", channel_id="C1"),
        request=GenerationRequest.build(prompt="a fox", seed=7), state=state, created_at=datetime.now(UTC),
    )


# -- refusing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tokens", [{"DISCORD_TOKEN": "MTIz.discord.token"},
                                    {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET}])
async def test_run_without_a_key_refuses_real_platforms_and_starts_nothing(
    tokens: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeSlack()
    await fake.start()
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    built: list[Settings] = []

    def build(settings: Settings) -> tuple[ChatPort, run.Runner]:
        built.append(settings)
        raise AssertionError("a platform was built")

    monkeypatch.setattr(run, "PLATFORMS", tuple(run.Platform(p.name, p.env_vars, p.configured, build)
                                                 for p in run.PLATFORMS))
    try:
        code = await asyncio.to_thread(main, ["run"])
    finally:
        await fake.close()
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert code == 2
    assert REFUSAL in out, out
    assert "DASHSCOPE_API_KEY" in out and "--sandbox" in out and "WANBOT_SANDBOX=1" in out
    assert built == [] and fake.calls == []  # no platform was built, nothing talked to Slack
    assert list(tmp_path.iterdir()) == []  # no store opened (not even the sandbox's database)


def test_wanbot_sandbox_setting_means_the_sandbox_even_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-real")
    assert not Settings().uses_sandbox
    monkeypatch.setenv("WANBOT_SANDBOX", "1")
    settings = Settings()
    assert settings.sandbox and settings.uses_sandbox and not settings.no_key


# -- saying so -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(JobState))
def test_every_status_view_on_the_sandbox_carries_the_note(state: JobState) -> None:
    now = datetime.now(UTC)
    on_sandbox = status_view(job(state), now=now, position=2, messages=Messages(), sandbox=True)
    real = status_view(job(state), now=now, position=2, messages=Messages())
    assert on_sandbox.line == f"{NOTE} · {real.line}"
    assert NOTE in on_sandbox.as_text() and NOTE not in real.as_text()


def test_discord_and_slack_renderings_show_the_note() -> None:
    view = status_view(job(JobState.RUNNING), now=datetime.now(UTC), position=None, messages=Messages(),
                       sandbox=True)
    embed = status_embed(view)
    assert embed.footer.text is not None and NOTE in embed.footer.text
    assert NOTE in json.dumps(status_blocks(view, Messages()), ensure_ascii=False)


def slack_on_the_sandbox(tmp_path: Path, fake: FakeSlack, http_port: int, **overrides: Any) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work", poll_interval=0.05,
                    sandbox_speed=150, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                    http_host="127.0.0.1", http_port=http_port, shutdown_timeout=5, **overrides)


@pytest.mark.parametrize("asked", ["--sandbox", "WANBOT_SANDBOX=1"])
async def test_run_on_the_sandbox_when_asked_says_so_in_every_status_message(asked: str, tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    http_port = free_port()
    settings = slack_on_the_sandbox(tmp_path, fake, http_port, **({"sandbox": True} if asked != "--sandbox" else {}))
    assert settings.no_key
    bot = asyncio.create_task(run_platforms(settings, Console(), force_sandbox=asked == "--sandbox"))

    def statuses() -> list[Any]:
        return [m for m in fake.posts() if m.text.startswith("[")]

    try:
        body = urlencode({
            "team_id": TEAM, "channel_id": "C_MEMBER", "user_id": "U1", "command": "/wan",
            "text": "video a fox --duration 2", "api_app_id": "A0WANBOT", "response_url": fake.response_url("cmd-U1"),
            "trigger_id": f"trigger-{time.time_ns()}",
        })
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, int(time.time()))}
        async with aiohttp.ClientSession() as session:
            for _ in range(3000):  # until the port opens (bounded only against a hang: slow under load)
                assert not bot.done(), bot.result()
                try:
                    async with session.post(f"http://127.0.0.1:{http_port}{EVENTS_PATH}", data=body.encode(),
                                            headers=headers) as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.02)
            else:
                raise AssertionError("wanbot run never listened")
        await until(lambda: bool(statuses()), what="the status message")
        [message] = statuses()
        await until(lambda: state_of(message.history[-1]) == "DELIVERED", timeout=30, what="the delivery")
    finally:
        os.kill(os.getpid(), signal.SIGTERM)  # run_platforms' own handler: a graceful stop
        code = await asyncio.wait_for(bot, timeout=15)
        await fake.close()
    assert code == 0
    assert len(message.history) >= 2  # posted, then edited through to DELIVERED
    for text in message.history:  # the fallback text of the post and of every edit
        assert NOTE in text, text
    assert NOTE in json.dumps(message.blocks, ensure_ascii=False)
    assert job_id_of(message) in message.text
