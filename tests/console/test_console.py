"""The console adapter end to end: the real engine, client, store and transcoder on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession, run_try
from adapters.console.port import PLATFORM, ConsolePort
from bot.cli import main
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.actions import Caller, ChatActions, Result
from core.actions.face import EngineFace
from core.commands import Command, HelpCommand
from core.jobbook import PostStatus
from core.jobs import JobState
from core.messages import Messages
from core.request import GenerationRequest
from core.transcode import probe
from sandbox.config import SandboxConfig

FAST = 2000.0


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                    poll_interval=0.05, sandbox_speed=FAST)


@pytest.fixture
def console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


@pytest.fixture
async def rt(tmp_path: Path, console: Console) -> AsyncIterator[tuple[Runtime, ConsolePort]]:
    port = ConsolePort(console, tmp_path / "out", live=False)
    async with runtime(_settings(tmp_path), {PLATFORM: port}, force_sandbox=True) as r:
        yield r, port


async def test_try_saves_a_real_mp4_of_the_requested_shape(tmp_path: Path, console: Console) -> None:
    # Slow enough (1–2 s) that every state is seen by a 50 ms poll.
    port = ConsolePort(console, tmp_path / "out", live=False)
    async with runtime(_settings(tmp_path), {PLATFORM: port}, sandbox_config=SandboxConfig(speed=150)) as r:
        request = GenerationRequest.build(prompt="a lighthouse at dusk", ratio="9:16", duration=3)
        job = await run_try(r.actions, port, request)
        sandbox = r.sandbox
    assert job.state is JobState.DELIVERED
    info = await probe(port.saved[job.id])
    assert (info.width, info.height) == (720, 1280)
    assert abs(info.duration - 3) < 0.3
    text = console.export_text()
    for title in ("Queued", "Waiting for DashScope", "Generating", "Uploading", "Done"):
        assert title in text
    assert sandbox is not None and sandbox.stats.tasks_created("sk-wanbot-sandbox") == 1


async def test_bad_console_input_gets_a_clear_message_and_queues_nothing(rt: tuple[Runtime, ConsolePort]) -> None:
    runtime_, port = rt
    session = ConsoleSession(runtime_.actions, port, Console(record=True))
    cases = {
        "/wan video a fox --duration 99": "duration must be a whole number of seconds from 2 to 15",
        "/wan video a fox --ratio 2:1": "ratio must be 16:9, 9:16, 1:1, 4:3 or 3:4",
        "/wan video a fox --sed 4": "unknown option --sed",
        "/wan video --ar": "--ar needs a value",
        "/wan video": "the prompt is empty",
        "/wan dance": "unknown command 'dance'",
    }
    for line, expected in cases.items():
        reply = await session.handle(line)
        assert reply is not None and expected in reply, (line, reply)
    assert session.submitted == []
    assert await runtime_.store.active() == []
    assert len(runtime_.engine.queue) == 0


async def test_console_defaults_apply_to_later_videos_under_typed_flags(rt: tuple[Runtime, ConsolePort]) -> None:
    runtime_, port = rt
    session = ConsoleSession(runtime_.actions, port, Console(record=True))
    assert await session.handle("/wan defaults") == "This channel has no defaults: videos use each model's own."
    reply = await session.handle('defaults --res 1080P --ar 9:16 --duration 3 --negative "blurry"')
    assert reply == "Saved. Videos in this channel now default to: 1080P, 9:16, 3 s, avoid “blurry”."
    assert "1080P, 9:16, 3 s" in (await session.handle("/wan defaults") or "")
    assert "duration must be" in (await session.handle("/wan defaults --duration 99") or "")  # nothing changed

    assert await session.handle("/wan video x") is None
    assert await session.handle("a fox --ar 1:1 --duration 2") is None  # the bare-prompt shortcut too
    jobs = [await runtime_.engine.get(job_id) for job_id in session.submitted]
    shapes = [(j.request.resolution, j.request.ratio, j.request.duration, j.request.negative_prompt)
              for j in jobs if j is not None and isinstance(j.request, GenerationRequest)]
    assert shapes == [("1080P", "9:16", 3, "blurry"), ("1080P", "1:1", 2, "blurry")]

    assert await session.handle("/wan defaults --clear") == (
        "Cleared. Videos in this channel use each model's own defaults again.")
    assert await runtime_.store.channels.get(PLATFORM, None, "console") == {}
    await session.drain(timeout=30)


async def test_console_usage_shows_the_rows_every_chat_shows(rt: tuple[Runtime, ConsolePort]) -> None:
    # Issue 10: the console used to word usage its own way ("today: 1 video, 2 s billed, ¥…"); it now shows
    # core's UsageReport, the rows Slack and Discord show: you and everyone here, today and this month.
    runtime_, port = rt
    session = ConsoleSession(runtime_.actions, port, Console(record=True))
    assert await session.handle("a paper boat --duration 2") is None
    await session.drain(timeout=30)
    reply = await session.handle("usage") or ""
    m = runtime_.messages
    assert reply == (await runtime_.actions.usage(CALLER)).text
    lines = reply.splitlines()
    assert lines[0] == m("usage.title") and len(lines) == 5
    assert lines[1].startswith(m("usage.label", who=m("usage.you"), period=m("usage.today")) + ": 1 video")
    assert lines[4].startswith(m("usage.label", who=m("usage.everyone"), period=m("usage.month")) + ": 1 video")
    assert not reply.startswith("today:")


async def test_console_refusals_are_cores_sentences_and_start_nothing(rt: tuple[Runtime, ConsolePort]) -> None:
    runtime_, port = rt
    session = ConsoleSession(runtime_.actions, port, Console(record=True))
    m = runtime_.messages
    assert await session.handle("status") == m("job.none_active")
    assert await session.handle("cancel") == m("job.none_active")
    assert await session.handle("reroll nope") == m("job.not_found", job_id="nope")
    assert await session.handle("upscale nope") == m("job.not_found", job_id="nope")
    assert "needs a job id" in (await session.handle("delete") or "")
    assert "needs the job id and the new prompt" in (await session.handle("remix abc") or "")
    assert "at least one shot" in (await session.handle("storyboard --duration 4") or "")
    assert session.submitted == []
    assert await runtime_.store.active() == []


async def test_an_unexpected_error_is_a_sentence_and_the_session_goes_on(tmp_path: Path) -> None:
    class Broken(ChatActions):
        async def parse(self, caller: Caller, text: str) -> Command:
            return HelpCommand()

        async def run(self, caller: Caller, command: Command, *, post_status: PostStatus | None = None) -> Result:
            raise RuntimeError("secret internals")

    m = Messages()
    port = ConsolePort(Console(record=True), tmp_path, live=False)
    session = ConsoleSession(Broken(cast(EngineFace, None), m), port, Console(record=True))
    assert await session.handle("help") == m("error.internal")
    assert await session.handle("help") == m("error.internal")  # still answering, never a traceback


async def test_console_images_are_jobs_saved_budgeted_and_counted(tmp_path: Path) -> None:
    # Issue 10: `image` in the console used to call DashScope synchronously, past every budget. Now it is a job:
    # its PNGs are saved by the port, the budget refuses the one too many, and usage counts the images.
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    settings = _settings(tmp_path).model_copy(update={"budgets": "user:day=¥6", "per_user_cap": 10})
    async with runtime(settings, {PLATFORM: port}, force_sandbox=True) as r:
        session = ConsoleSession(r.actions, port, Console(record=True))
        line = "image a kite --n 4 --model wan2.7-image-pro --size 4K"
        replies = [await session.handle(line) for _ in range(4)]
        assert replies[:3] == [None, None, None]  # ¥2 each, within ¥6
        assert replies[3] is not None and "daily budget of ¥6.00" in replies[3]
        assert len(session.submitted) == 3
        done = await session.drain(timeout=30)
        assert [job.state for job in done] == [JobState.DELIVERED] * 3
        assert len(list((tmp_path / "out").glob("wan-*.png"))) == 12
        usage = (await session.handle("usage") or "").splitlines()
        assert usage[1].startswith("You, today: 0 video(s), 12 image(s)"), usage


async def test_oversize_video_is_reencoded_with_ffmpeg_to_fit(tmp_path: Path, console: Console) -> None:
    limit = 400_000
    port = ConsolePort(console, tmp_path / "out", upload_limit=limit, live=False)
    config = SandboxConfig(speed=FAST, min_video_bytes=1_500_000)
    async with runtime(_settings(tmp_path), {PLATFORM: port}, sandbox_config=config) as r:
        job = await run_try(r.actions, port, GenerationRequest.build(prompt="big one", duration=2))
    assert job.state is JobState.DELIVERED
    saved = port.saved[job.id]
    assert saved.stat().st_size <= limit
    info = await probe(saved)
    assert abs(info.duration - 2) < 0.3
    assert "Re-encoded" in (job.delivery_note or "")
    assert not any((tmp_path / "work").iterdir())


async def test_cli_try_prints_the_saved_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    monkeypatch.setenv("WANBOT_SANDBOX_SPEED", str(FAST))
    monkeypatch.setenv("WANBOT_POLL_INTERVAL", "0.05")
    code = await _run_cli(["try", "a paper boat", "--duration", "2", "--out", str(tmp_path / "vids")])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert "built-in sandbox" in captured.err and "Done" in captured.err  # progress: stderr
    # Issue 14: stdout is the path alone, so `path=$(wanbot try …)` captures only the path.
    (line,) = captured.out.splitlines()
    saved = Path(line)
    assert saved.exists() and saved.parent == tmp_path / "vids"


async def test_cli_console_reads_lines_and_waits_for_its_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    monkeypatch.setenv("WANBOT_SANDBOX_SPEED", str(FAST))
    monkeypatch.setenv("WANBOT_POLL_INTERVAL", "0.05")
    monkeypatch.setattr("sys.stdin", io.StringIO("a paper boat --duration 2\nreroll nope\nusage\n"))
    code = await _run_cli(["console", "--out", str(tmp_path / "vids")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "I can't find job nope." in out and "You, today:" in out
    assert "all done (" in out and ": delivered)" in out
    assert len(list((tmp_path / "vids").glob("wan-*.mp4"))) == 1


async def test_cli_rejects_bad_input_with_exit_code_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code = await _run_cli(["try", "x", "--duration", "40"])
    assert code == 2
    captured = capsys.readouterr()
    assert "duration must be a whole number of seconds" in captured.err and captured.out == ""
    assert not (tmp_path / "wanbot-sandbox.db").exists()  # nothing stored, nothing started


async def _run_cli(argv: list[str]) -> int:
    import asyncio

    # main() calls asyncio.run; give it a thread of its own since pytest already runs a loop here.
    return await asyncio.to_thread(main, argv)


async def test_a_rewritten_prompt_is_one_secondary_line_and_survives_a_reload(
        rt: tuple[Runtime, ConsolePort], console: Console) -> None:
    # wan2.6 reports prompt extension's rewrite as ``output.actual_prompt`` (the sandbox: prompt_extend on only).
    from sandbox.render import extended_prompt
    runtime_, port = rt
    request = GenerationRequest.build(prompt="a lighthouse at dusk", model="wan2.6-t2v", duration=2)
    job = await run_try(runtime_.actions, port, request)
    assert job.state is JobState.DELIVERED
    rewrite = extended_prompt("a lighthouse at dusk")
    lines = [line.strip() for line in console.export_text().splitlines()]
    assert lines.count(f"Prompt Wan used: {rewrite}") == 1  # on the Done line only
    stored = await runtime_.store.get(job.id)
    assert stored is not None and stored.wan_prompt == rewrite

    off = await run_try(runtime_.actions, port, GenerationRequest.build(
        prompt="a harbour at dawn", model="wan2.6-t2v", duration=2, prompt_extend=False))
    assert off.state is JobState.DELIVERED and off.wan_prompt is None
    assert "a harbour at dawn. " not in console.export_text()
