"""``build(config)``: the runner contract of ``wanbot run``, configuration errors, and Socket Mode."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.host import AdapterHost
from adapters.slack.app import EVENTS_PATH, SlackService, build
from adapters.slack.port import SlackPort
from bot.platforms import slack_config
from bot.runtime import runtime
from core.errors import ConfigError
from sandbox.runner import Sandbox
from tests.fakes.net import free_port
from tests.fakes.slack_server import TEAM, FakeSlack
from tests.fakes.until import until as wait_until
from tests.slack.conftest import sign, slack_settings, until


async def test_build_returns_the_port_and_a_runner_that_serves_until_cancelled(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox
) -> None:
    http_port = free_port()
    settings = slack_settings(tmp_path, fake_slack, sandbox, http_port=http_port)
    port, runner = build(slack_config(settings))
    assert isinstance(port, SlackPort) and port.platform == "slack"
    url = f"http://127.0.0.1:{http_port}{EVENTS_PATH}"
    async with runtime(settings, {"slack": port}, with_http=True) as rt:
        task = asyncio.create_task(runner(rt.host()))
        await asyncio.sleep(0)  # as ``wanbot run`` does: the runner mounts its route, then the port opens
        assert rt.http is not None
        await rt.http.start()
        body = "command=%2Fwan&text=help&user_id=U1&channel_id=C_MEMBER&team_id=" + TEAM
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, int(time.time()))}

        async def post() -> int:
            async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as r:
                return r.status

        async def listening() -> bool:
            try:
                assert await post() == 200
            except aiohttp.ClientConnectionError:
                return False
            return True

        await wait_until(listening, "the runner to listen")
        await until(lambda: bool(fake_slack.ephemerals), what="the help text")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    with pytest.raises(aiohttp.ClientConnectionError):  # closed cleanly: nothing listens any more
        async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers):
            pass


def test_http_mode_needs_a_signing_secret(tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox) -> None:
    settings = slack_settings(tmp_path, fake_slack, sandbox, slack_signing_secret=None)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build(slack_config(settings))


async def test_http_mode_without_the_bots_http_server_is_a_clear_config_error(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox
) -> None:
    settings = slack_settings(tmp_path, fake_slack, sandbox)
    service = SlackService(slack_config(settings))
    async with runtime(settings, {"slack": service.port}) as rt:
        assert rt.http is None
        with pytest.raises(ConfigError, match="HTTP mode needs the bot's HTTP server"):
            await service.run(rt.host())
    assert fake_slack.calls == []


async def test_socket_mode_receives_a_command_over_the_websocket(
    tmp_path: Path, fake_slack: FakeSlack, sandbox: Sandbox
) -> None:
    settings = slack_settings(tmp_path, fake_slack, sandbox, slack_app_token="xapp-1-test", slack_signing_secret=None)
    service = SlackService(slack_config(settings))
    assert service.socket_mode
    async with runtime(settings, {"slack": service.port}) as rt:
        await service.start(AdapterHost(actions=rt.actions, messages=rt.messages))  # no HTTP server needed
        try:
            await until(lambda: bool(fake_slack.sockets), what="the websocket")
            payload: dict[str, Any] = {
                "team_id": TEAM, "channel_id": "C_MEMBER", "user_id": "U1", "user_name": "u1", "command": "/wan",
                "text": "video a lantern on a lake --duration 2", "api_app_id": "A0WANBOT",
                "response_url": fake_slack.response_url(), "trigger_id": "t-1",
            }
            envelope = await fake_slack.send_envelope("slash_commands", payload)
            await until(lambda: any(f.get("envelope_id") == envelope for f in fake_slack.socket_frames),
                        what="the ack")
            await until(lambda: bool(fake_slack.posts()), what="the status message")
            assert "a lantern on a lake" in json.dumps(fake_slack.posts()[0].blocks)
            assert [c.method for c in fake_slack.calls][:2] == ["apps.connections.open", "auth.test"]
        finally:
            await service.stop()


def test_the_manifest_declares_the_command_scopes_interactivity_and_socket_mode() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack-manifest.yml").read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/wan"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # One scope per Web API family the adapter calls.
    assert {"commands", "chat:write", "files:write", "channels:join", "channels:read", "groups:read"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
