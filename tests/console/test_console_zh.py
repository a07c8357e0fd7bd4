"""``WANBOT_LOCALE=zh-CN`` on the console (issue 14, item 6): the operator's language for every answer, every
status line and the job's record; the default stays English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from adapters.console.app import ConsoleSession, run_try
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import runtime
from bot.settings import Settings
from core.jobs import JobState
from core.request import GenerationRequest
from sandbox.config import SandboxConfig


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                    poll_interval=0.05, sandbox_speed=2000.0, **values)


async def test_the_console_speaks_wanbot_locale(tmp_path: Path) -> None:
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    async with runtime(_settings(tmp_path, locale="zh_CN"), {PLATFORM: port}, force_sandbox=True) as rt:
        session = ConsoleSession(rt.actions, port, Console(record=True))
        assert await session.handle("/wan cancel") == "你没有进行中的任务。"
        assert await session.handle("/wan defaults") == "本频道没有默认设置：视频使用各模型自己的默认值。"
        saved = await session.handle("defaults --duration 3 --no-extend")
        assert saved == "已保存。本频道视频现在默认：3 秒, 提示词扩写关。"  # (the list is joined by core)
        refused = await session.handle("/wan video a fox --variants 7")
        assert refused == "这个请求无法执行：--variants 接受 2 到 4 的数字或 ratio，而不是 7。"
        twice = await session.handle("/wan video a fox --seed 1 --seed 2")  # a parser's own sentence
        assert twice == "这个请求无法执行：--seed 给了两次；只需给一次。"
        assert (await session.handle("/wan dance") or "").startswith("这个请求无法执行：没有 'dance' 这个命令")
        assert await session.handle("/wan video a fox --ratio 2:1") == (
            "这个请求无法执行：宽高比必须是 16:9, 9:16, 1:1, 4:3 或 3:4。")
        assert await session.handle("a lighthouse at dusk") is None
        job = await rt.engine.wait(session.submitted[0], timeout=30)
        assert job.state is JobState.DELIVERED, job.error_message
        assert job.extra["locale"] == "zh-CN"
        assert rt.engine.view(job).title == "🎬 完成"
    text = console.export_text()
    assert "🎬 排队中" in text and "🎬 完成" in text and "Queued" not in text


async def test_try_in_chinese_and_english_by_default(tmp_path: Path) -> None:
    for locale, done in (("zh-CN", "🎬 完成"), (None, "🎬 Done")):
        console = Console(record=True, width=200, force_terminal=False)
        port = ConsolePort(console, tmp_path / f"out-{locale}", live=False)
        settings = _settings(tmp_path, **({"locale": locale} if locale else {}))
        async with runtime(settings, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=300)) as rt:
            job = await run_try(rt.actions, port, GenerationRequest.build(prompt="a fox", duration=2))
        assert job.state is JobState.DELIVERED
        assert done in console.export_text()
