"""Who serves kept attachments to DashScope, per configuration, and that the runtime mounts it there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from rich.console import Console

from adapters.console.port import PLATFORM, ConsolePort
from bot.cli import main
from bot.http import HttpServer
from bot.runtime import MediaMode, loopback_base, media_mode, runtime
from bot.settings import Settings
from core.errors import ConfigError
from sandbox.config import SandboxConfig
from tests.fakes.net import free_port

REAL = "https://dashscope.aliyuncs.com/api/v1"


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                    poll_interval=0.05, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(("public", "base", "on_sandbox", "mode"), [
    ("https://wanbot.example.com", REAL, False, MediaMode.PUBLIC),
    ("https://wanbot.example.com", "http://127.0.0.1:8790/api/v1", True, MediaMode.PUBLIC),
    (None, "http://127.0.0.1:8790/api/v1", True, MediaMode.LOOPBACK),  # the embedded sandbox
    (None, "http://localhost:8790/api/v1", False, MediaMode.LOOPBACK),  # `wanbot sandbox` on this machine
    (None, "http://10.1.2.3:8790/api/v1", False, MediaMode.LOOPBACK),  # ... or on this network
    (None, REAL, False, None),  # real DashScope and no public URL: nobody can serve it
    (None, "https://gateway.example.com/wan/api/v1", False, None),
])
def test_media_mode(tmp_path: Path, public: str | None, base: str, on_sandbox: bool, mode: MediaMode | None) -> None:
    assert media_mode(_settings(tmp_path, public_url=public), base, on_sandbox=on_sandbox) is mode


async def test_loopback_base_is_the_real_port_and_never_the_any_address() -> None:
    assert loopback_base(HttpServer("0.0.0.0", 3000)) == "http://127.0.0.1:3000"  # configured, not yet listening
    assert loopback_base(HttpServer("10.0.0.5", 3000)) == "http://10.0.0.5:3000"
    server = HttpServer("0.0.0.0", 0)
    assert loopback_base(server) is None
    await server.start()
    try:
        assert server.url is not None
        port = server.url.rsplit(":", 1)[1]
        assert loopback_base(server) == f"http://127.0.0.1:{port}"
    finally:
        await server.close()


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status


async def test_the_console_opens_a_loopback_port_for_the_media_route_alone(tmp_path: Path) -> None:
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    async with runtime(_settings(tmp_path), {PLATFORM: port}, sandbox_config=SandboxConfig(speed=2000)) as rt:
        assert rt.http is None and rt.media is not None and rt.media_host is not None
        ref = await rt.media.keep(b"RIFF fake wav bytes", "audio/wav")
        url = await rt.media.resolve(ref)
        assert url.startswith("http://127.0.0.1:") and "/media/" in url and "&sig=" in url
        assert await _status(url) == 200
        assert await _status(url.replace("sig=", "sig=0")) == 403
    assert (tmp_path / "wanbot-media").is_dir()  # beside the SQLite file


async def test_wanbot_run_serves_the_media_route_on_its_one_port(tmp_path: Path) -> None:
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    settings = _settings(tmp_path, http_host="127.0.0.1", http_port=0)
    async with runtime(settings, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=2000), with_http=True) as rt:
        assert rt.http is not None and rt.media is not None
        await rt.http.start()
        ref = await rt.media.keep(b"\x89PNG\r\n\x1a\n fake", "image/png")
        url = await rt.media.resolve(ref)
        assert url.startswith(f"{loopback_base(rt.http)}/media/")
        assert await _status(url) == 200


async def test_with_a_public_url_links_are_under_it(tmp_path: Path) -> None:
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    settings = _settings(tmp_path, public_url="https://wanbot.example.com/bot", http_host="127.0.0.1",
                         http_port=0, media_secret="a-long-configured-secret")
    async with runtime(settings, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=2000), with_http=True) as rt:
        assert rt.media is not None
        ref = await rt.media.keep(b"ID3 fake mp3", "audio/mpeg")
        url = await rt.media.resolve(ref)
        assert url.startswith("https://wanbot.example.com/bot/media/") and "exp=" in url


async def test_without_a_host_images_go_inline(tmp_path: Path) -> None:
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    # A real DashScope base (never contacted here: the engine is not started) and no public URL.
    settings = _settings(tmp_path, dashscope_api_key="sk-x", dashscope_base_url=REAL)
    async with runtime(settings, {PLATFORM: port}, start_engine=False) as rt:
        assert rt.media is not None and rt.media_host is None
        ref = await rt.media.keep(b"\x89PNG\r\n\x1a\n fake", "image/png")
        assert (await rt.media.resolve(ref)).startswith("data:image/png;base64,")


async def test_an_unusable_media_directory_stops_start_up_with_one_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    with pytest.raises(ConfigError, match="media directory .* cannot be used .* set WANBOT_MEDIA_DIR"):
        async with runtime(_settings(tmp_path, media_dir=blocker / "media"), {PLATFORM: port},
                           sandbox_config=SandboxConfig(speed=2000)):
            raise AssertionError("started")
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_HTTP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANBOT_MEDIA_DIR", str(blocker / "media"))
    code = await asyncio.to_thread(main, ["try", "a fox", "--out", str(tmp_path / "vids")])
    out = " ".join(capsys.readouterr().err.split())
    assert code == 2, out
    assert "Configuration problem:" in out and "set WANBOT_MEDIA_DIR to a writable directory" in out
    assert "Traceback" not in out


async def test_the_console_with_a_public_url_serves_media_on_the_bots_port(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = ConsolePort(Console(record=True), tmp_path / "out", live=False)
    http_port = free_port()
    settings = _settings(tmp_path, public_url="https://wanbot.example.com", http_host="127.0.0.1",
                         http_port=http_port)
    async with runtime(settings, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=2000)) as rt:
        assert rt.media is not None
        url = await rt.media.resolve(await rt.media.keep(b"RIFF fake", "audio/wav"))
        assert url.startswith("https://wanbot.example.com/media/")
        # The public URL leads to WANBOT_HTTP_PORT: the console serves the route there itself.
        assert await _status(url.replace("https://wanbot.example.com", f"http://127.0.0.1:{http_port}")) == 200

        # A second one on the same port (a `wanbot run` already there): it says so and starts anyway.
        with caplog.at_level("WARNING", logger="wanbot"):
            async with runtime(_settings(tmp_path / "b", public_url="https://wanbot.example.com",
                                         http_host="127.0.0.1", http_port=http_port), {PLATFORM: port},
                               sandbox_config=SandboxConfig(speed=2000)) as second:
                assert second.media_host is not None
        assert "cannot serve /media/ on 127.0.0.1" in caplog.text
