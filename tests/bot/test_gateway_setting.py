"""``WANBOT_DASHSCOPE_GATEWAY``: one documented setting, validated at start-up; ``wanbot sandbox --gateway``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import cli
from bot.settings import Settings
from core.dashscope import DASHSCOPE, V1_TASKS
from sandbox.config import SandboxConfig

ROOT = Path(__file__).resolve().parents[2]


def test_default_is_dashscope_with_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANBOT_DASHSCOPE_GATEWAY", raising=False)
    settings = Settings(_env_file=None)
    assert settings.dialect() is DASHSCOPE and settings.engine_config().list_sweeps is True


def test_a_gateway_without_a_list_turns_sweeps_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_DASHSCOPE_GATEWAY", "v1-tasks")
    settings = Settings(_env_file=None)
    assert settings.dialect() is V1_TASKS and settings.engine_config().list_sweeps is False
    monkeypatch.setenv("WANBOT_DASHSCOPE_GATEWAY", "v1-tasks list={base}/tasks")
    assert Settings(_env_file=None).engine_config().list_sweeps is True


def test_a_bad_value_stops_start_up_with_one_sentence(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WANBOT_DASHSCOPE_GATEWAY", "v1-tasks query=https://elsewhere.example/{task_id}")
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None)
    assert "WANBOT_DASHSCOPE_GATEWAY route query=" in str(err.value)
    assert cli.main(["doctor"]) == 2
    assert "must start with {base}/ or {origin}/" in capsys.readouterr().err


def test_env_example_and_readme_document_it() -> None:
    env = (ROOT / ".env.example").read_text()
    assert "\n# WANBOT_DASHSCOPE_GATEWAY=\n" in env and "v1-tasks" in env
    assert "WANBOT_DASHSCOPE_GATEWAY=v1-tasks" in (ROOT / "README.md").read_text()


async def test_wanbot_sandbox_gateway_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SandboxConfig] = []

    async def fake_serve(host: str, port: int, config: SandboxConfig) -> None:
        seen.append(config)

    monkeypatch.setattr("sandbox.runner.serve", fake_serve)
    for argv, gateway in ((["sandbox", "--gateway"], True), (["sandbox"], False)):
        assert await cli._sandbox(cli._parser().parse_args(argv)) == 0
        assert seen[-1].gateway is gateway


async def test_doctor_probes_a_gateway_at_its_own_task_route(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    from sandbox.runner import Sandbox

    monkeypatch.chdir(tmp_path)
    async with Sandbox(SandboxConfig(api_key="sk-right", gateway=True)) as sandbox:
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", sandbox.origin + "/wan")
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-right")
        monkeypatch.setenv("WANBOT_DASHSCOPE_GATEWAY", "v1-tasks")
        await asyncio.to_thread(cli.main, ["doctor"])
        out = capsys.readouterr().out
        assert "key accepted" in out, out
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-wrong")
        await asyncio.to_thread(cli.main, ["doctor"])
        assert "InvalidApiKey" in capsys.readouterr().out
        routes = sandbox.stats.requests_by_route
        assert routes["gateway.query"] == 2 and routes["gateway.unknown"] == 0


async def test_runtime_speaks_the_gateway_to_a_real_base_and_dashscope_to_the_embedded_sandbox(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from adapters.console.port import PLATFORM
    from bot.runtime import runtime
    from tests.fakes.port import RecordingPort

    monkeypatch.setenv("WANBOT_DASHSCOPE_GATEWAY", "v1-tasks")
    monkeypatch.setenv("WANBOT_DATABASE_URL", f"sqlite:///{tmp_path}/w.db")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", "http://127.0.0.1:9/wan")
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-x")
    async with runtime(Settings(_env_file=None), {PLATFORM: RecordingPort()}, start_engine=False) as rt:
        assert rt.client.dialect is V1_TASKS and rt.client.base_url == "http://127.0.0.1:9/wan/api/v1"
        assert rt.engine.config.list_sweeps is False
    async with runtime(Settings(_env_file=None), {PLATFORM: RecordingPort()}, force_sandbox=True,
                       start_engine=False) as rt:
        assert rt.client.dialect is DASHSCOPE and rt.engine.config.list_sweeps is True
