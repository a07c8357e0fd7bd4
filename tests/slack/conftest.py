"""The Slack adapter against the fake Slack Web API and a DashScope sandbox, with real bolt and slack_sdk.

``SlackBot`` runs the real composition root (``bot.runtime.runtime``, with the bot's HTTP server) and the
adapter in HTTP mode on an ephemeral port, handed ``rt.host()`` as ``wanbot run`` does (or a host whose
use cases are wrapped, ``actions=``: the parity tests), and sends Slack-signed slash commands and
interactions to ``/slack/events`` the way Slack does. The sandbox runs on its own (as a "real" DashScope
with a key), so a bot can be stopped and started again over the same database while its task keeps
running.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from adapters.host import AdapterHost
from adapters.slack.app import EVENTS_PATH, SlackService
from bot.platforms import slack_config
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.actions import ChatActions
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.clock import FakeClock
from tests.fakes.slack_server import BOT_USER, TEAM, TOKEN, FakeSlack, Message
from tests.slack.wire import WireTap

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DASHSCOPE_KEY = "sk-slack-tests"
#: 1–2 s per video: every state is seen by a 50 ms poll, and the suite stays quick.
SPEED = 150.0

_TITLES = {"Queued": "QUEUED", "Waiting for DashScope": "PENDING", "Generating": "RUNNING",
           "Uploading": "SUCCEEDED", "Done": "DELIVERED", "Failed": "FAILED", "Cancelled": "CANCELED",
           "Expired": "EXPIRED"}


def sign(body: str, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    """Slack's request signature: ``v0=HMAC_SHA256(secret, "v0:{ts}:{body}")``."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def state_of(text: str) -> str:
    """The state a status message shows, read from its fallback text (``[job] 🎬 Generating · 3s``)."""
    # 🎬 a video, 🖼️ images, 🎞️ Animate · an image made a video
    match = re.match(r"\[\w+\] \S+ (?:Animate · )?([^·\n]+)", text)
    assert match, text
    return _TITLES[match.group(1).strip()]


def job_id_of(message: Message) -> str:
    match = re.match(r"\[(\w+)\]", message.text)
    assert match, message.text
    return match.group(1)


async def until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class SlackBot:
    settings: Settings
    fake: FakeSlack
    sandbox: Sandbox
    service: SlackService | None = None
    rt: Runtime | None = None
    #: Wraps the runtime's use cases before the adapter gets them (``RecordingActions``).
    actions: Callable[[Runtime], ChatActions] | None = None
    #: What the adapter was handed at the last ``start``.
    host: AdapterHost | None = None
    #: The Slack service's clock (request arrival, the ack deadline) and its sleep; ``None``: the real one.
    clock: FakeClock | None = None
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def start(self, **engine: Any) -> None:
        """A fresh process: runtime (engine resumes from the db) + the Slack app listening over HTTP."""
        self._stack = AsyncExitStack()
        config = slack_config(self.settings)
        self.service = (SlackService(config) if self.clock is None
                        else SlackService(config, clock=self.clock, sleep=self.clock.sleep))
        self.rt = await self._stack.enter_async_context(
            runtime(self.settings, {"slack": self.service.port}, with_http=True))
        if engine:
            self.rt.engine.config = replace(self.rt.engine.config, **engine)
        host = self.rt.host()
        if self.actions is not None:
            host = AdapterHost(actions=self.actions(self.rt), messages=host.messages, http=host.http)
        self.host = host
        await self.service.start(host)
        self._stack.push_async_callback(self.service.stop)
        assert self.rt.http is not None
        await self.rt.http.start()

    @property
    def url(self) -> str:
        """``http://host:port`` of the bot's HTTP server, where ``/slack/events`` is mounted."""
        assert self.rt is not None and self.rt.http is not None and self.rt.http.url is not None
        return self.rt.http.url

    async def stop(self) -> None:
        await self._stack.aclose()
        self.service = None
        self.rt = None

    # -- what Slack sends --------------------------------------------------------------------------------

    async def post(self, body: str, *, timestamp: int | None = None, secret: str = SECRET) -> tuple[int, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   **sign(body, int(time.time()) if timestamp is None else timestamp, secret)}
        async with aiohttp.ClientSession() as session, session.post(
            self.url + EVENTS_PATH, data=body.encode(), headers=headers
        ) as response:
            status, text = response.status, await response.text()
        self._shown_ack(body, status, text)
        return status, text

    def _shown_ack(self, body: str, status: int, text: str) -> None:
        """What Slack does with a slash command's acknowledgement: its ``text`` is shown to the user alone
        (kept with the fake's ephemerals, so tests read one list whichever way the bot answered)."""
        form = dict(parse_qsl(body))
        if status != 200 or "command" not in form or not text.startswith("{"):
            return
        answer = json.loads(text)
        if answer.get("text"):
            self.fake.ephemerals.append({"channel": form.get("channel_id"), "user": form.get("user_id"),
                                         "text": answer["text"], "via": "ack", "blocks": answer.get("blocks") or []})

    def command_body(self, text: str, *, user: str = "U1", channel: str = "C_MEMBER", team: str = TEAM) -> str:
        return urlencode({
            "token": "legacy-verification-token", "team_id": team, "team_domain": "fake",
            "channel_id": channel, "channel_name": channel.lower(), "user_id": user, "user_name": user.lower(),
            "command": "/wan", "text": text, "api_app_id": "A0WANBOT", "is_enterprise_install": "false",
            "response_url": self.fake.response_url(f"cmd-{user}"), "trigger_id": f"trigger-{time.time_ns()}",
        })

    async def command(self, text: str, *, user: str = "U1", channel: str = "C_MEMBER",
                      team: str = TEAM) -> tuple[int, str]:
        return await self.post(self.command_body(text, user=user, channel=channel, team=team))

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def click(self, action: str, job_id: str, *, user: str = "U1", channel: str = "C_MEMBER",
                    message_ts: str = "", team: str = TEAM) -> tuple[int, str]:
        return await self.interact({
            "type": "block_actions", "api_app_id": "A0WANBOT", "token": "legacy",
            "team": {"id": team, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "channel": {"id": channel, "name": channel.lower()},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "trigger_id": f"trigger-{time.time_ns()}", "response_url": self.fake.response_url(f"act-{user}"),
            "actions": [{"type": "button", "action_id": f"wan_{action}", "block_id": f"wan_actions_{job_id}",
                         "value": job_id, "action_ts": str(time.time())}],
        })

    async def event(self, payload: dict[str, Any]) -> tuple[int, str]:
        """An Events API callback, as Slack posts it: JSON, signed."""
        body = json.dumps(payload)
        headers = {"Content-Type": "application/json", **sign(body, int(time.time()))}
        async with aiohttp.ClientSession() as session, session.post(
            self.url + EVENTS_PATH, data=body.encode(), headers=headers
        ) as response:
            return response.status, await response.text()

    async def react(self, user: str, message: Message, reaction: str = "+1", *, added: bool = True) -> None:
        """``user`` adds (``added=False``: removes) ``reaction`` on ``message``: Slack's event, posted."""
        status, _ = await self.event(self.fake.reaction_event(user, message, reaction, added=added))
        assert status == 200

    # -- what the bot did --------------------------------------------------------------------------------

    def status_messages(self) -> list[Message]:
        return [m for m in self.fake.posts() if m.text.startswith("[")]

    def shown_states(self, message: Message) -> list[str]:
        """The state the status message showed when posted, then after each ``chat.update``."""
        return [state_of(text) for text in message.history]

    def ephemeral_texts(self, user: str = "U1") -> list[str]:
        texts = [str(e["text"]) for e in self.fake.ephemerals if e["user"] == user]
        return texts + [str(r.get("text")) for r in self.fake.responses if r["key"].endswith(user)]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(SandboxConfig(speed=SPEED, seed=7)) as sb:
        yield sb


def slack_settings(tmp_path: Path, fake: FakeSlack, sandbox: Sandbox, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path}/wanbot.db", "workdir": tmp_path / "work", "poll_interval": 0.05,
        "predictive_polling": False,
        "dashscope_api_key": DASHSCOPE_KEY, "dashscope_base_url": sandbox.base_url,
        "slack_bot_token": TOKEN, "slack_signing_secret": SECRET, "slack_app_token": None,
        "slack_api_url": fake.api_url, "http_host": "127.0.0.1", "http_port": 0,
        "threads_default": False,  # threads per idea are tested on their own (test_threads)
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox) -> AsyncIterator[SlackBot]:
    b = SlackBot(slack_settings(tmp_path, fake_slack, sandbox), fake_slack, sandbox)
    await b.start()
    yield b
    await b.stop()


async def video(bot: SlackBot, text: str, *, user: str = "U1", channel: str = "C_MEMBER") -> Message:
    """Send ``/wan <text>`` and return the status message it produced."""
    before = {m.ts for m in bot.status_messages()}
    status, _ = await bot.command(text, user=user, channel=channel)
    assert status == 200
    await until(lambda: any(m.ts not in before for m in bot.status_messages()), what="a new status message")
    return next(m for m in bot.status_messages() if m.ts not in before)


async def delivered(bot: SlackBot, message: Message, timeout: float = 20.0) -> None:
    """Until the status message shows a final state (the engine stores it before it edits)."""
    await until(lambda: bot.shown_states(message)[-1] in ("DELIVERED", "FAILED", "CANCELED", "EXPIRED"),
                timeout=timeout, what="a final state")


@pytest.fixture
async def make_bot(tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox) -> AsyncIterator[
        Callable[..., Any]]:
    """A bot with other settings (``make_bot(max_in_flight=1)``), stopped at the end of the test."""
    made: list[SlackBot] = []

    async def make(**overrides: Any) -> SlackBot:
        b = SlackBot(slack_settings(tmp_path, fake_slack, sandbox, **overrides), fake_slack, sandbox)
        await b.start()
        made.append(b)
        return b

    yield make
    for b in made:
        if b.rt is not None:
            await b.stop()


@pytest.fixture
async def tap_bot(tmp_path: Path) -> AsyncIterator[tuple[SlackBot, WireTap]]:
    """A bot whose DashScope is the sandbox behind a ``WireTap`` (every create body kept)."""
    fake = FakeSlack()
    await fake.start()
    async with Sandbox(SandboxConfig(speed=SPEED, seed=7)) as sandbox:
        tap = WireTap(sandbox.origin)
        await tap.start()
        settings = slack_settings(tmp_path, fake, sandbox, dashscope_base_url=tap.base_url(sandbox.base_url))
        bot = SlackBot(settings, fake, sandbox)
        await bot.start()
        try:
            yield bot, tap
        finally:
            await bot.stop()
            await tap.close()
            await fake.close()


async def readable_copy(url: str, original: bytes, content_type: str, bot: SlackBot) -> None:
    """What DashScope was handed for a Slack file: a data URI of the very bytes, or a URL anyone (DashScope)
    can fetch the very bytes from without a token — never the Slack-private URL, nor the Slack file host."""
    assert bot.fake.origin not in url and "files-pri" not in url and "files.slack.com" not in url
    if url.startswith("data:"):
        head, _, b64 = url.partition(",")
        assert head == f"data:{content_type};base64"
        assert base64.b64decode(b64) == original
        return
    assert url.startswith(("http://", "https://")), url
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        assert answer.status == 200 and await answer.read() == original


def statuses(bot: SlackBot) -> list[Message]:
    """The bot's status messages, in the channel or in a thread."""
    return [m for m in bot.fake.messages.values() if m.user == BOT_USER and m.text.startswith("[")]


async def status_after(bot: SlackBot, before: set[str]) -> Message:
    await until(lambda: any(m.ts not in before for m in statuses(bot)), what="a new status message")
    return next(m for m in statuses(bot) if m.ts not in before)
