"""Signed result URLs (OSS-style answers) and the files behind them: real MP4s and PNGs."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from sandbox import ManualClock
from sandbox.media import Probe, probe
from tests.sandbox.conftest import Api, StartApi, image_body, video_body

PROMPT = "a red fox in a trench coat, rain on the window"


async def _video_url(api: Api, clock: ManualClock, body: dict[str, object] | None = None) -> str:
    task_id = await api.create_id(body or video_body(PROMPT))
    task = api.sandbox.task(task_id)
    assert task is not None
    clock.set(task.finished)
    _, data = await api.query(task_id)
    return str(data["output"]["video_url"])


async def _probe_bytes(data: bytes) -> Probe:
    with tempfile.NamedTemporaryFile(suffix=".mp4", delete=False) as fh:
        fh.write(data)
    try:
        return await probe(Path(fh.name))
    finally:
        Path(fh.name).unlink()


@pytest.mark.parametrize(("params", "size", "seconds"), [
    ({"resolution": "720P", "ratio": "16:9", "duration": 5}, (1280, 720), 5),
    ({"resolution": "1080P", "ratio": "9:16", "duration": 2}, (1080, 1920), 2),
])
async def test_downloaded_mp4_is_real(api: Api, clock: ManualClock, params: dict[str, Any],
                                      size: tuple[int, int], seconds: int) -> None:
    url = await _video_url(api, clock, video_body(PROMPT, **params))
    assert urlsplit(url).path.endswith(".mp4")
    assert set(parse_qs(urlsplit(url).query)) == {"Expires", "OSSAccessKeyId", "Signature"}
    status, ctype, data = await api.fetch(url)
    assert (status, ctype) == (200, "video/mp4")
    assert data[4:8] == b"ftyp" and b"moov" in data[:4096]  # +faststart: index first
    assert len(data) < 400_000
    info = await _probe_bytes(data)
    assert (info.width, info.height) == size
    assert abs(info.duration - seconds) < 0.25
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")


async def test_same_parameters_are_cached(api: Api, clock: ManualClock) -> None:
    for _ in range(2):
        status, _, _ = await api.fetch(await _video_url(api, clock))
        assert status == 200
    assert api.sandbox.state.media.generated <= 1


async def test_url_uses_the_host_the_client_used(api: Api, clock: ManualClock) -> None:
    url = await _video_url(api, clock)
    assert url.startswith(api.sandbox.origin + "/results/")


async def test_public_origin_overrides_host(start: StartApi, clock: ManualClock) -> None:
    api = await start(public_origin="https://sandbox.example:9000/")
    assert (await _video_url(api, clock)).startswith("https://sandbox.example:9000/results/")


async def test_expired_url_is_403_access_denied(api: Api, clock: ManualClock) -> None:
    url = await _video_url(api, clock)
    expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
    assert 86 <= expires - clock() <= 88  # 24 h / speed 1000
    clock.set(expires + 1)
    status, ctype, data = await api.fetch(url)
    assert status == 403 and ctype == "application/xml"
    assert b"<Code>AccessDenied</Code>" in data and b"<Message>Request has expired.</Message>" in data
    assert b"<RequestId>" in data


async def test_authorization_header_is_signature_mismatch(api: Api, clock: ManualClock) -> None:
    url = await _video_url(api, clock)
    status, ctype, data = await api.fetch(url, headers={"Authorization": "Bearer sk-sandbox-test"})
    assert (status, ctype) == (403, "application/xml")
    assert b"<Code>SignatureDoesNotMatch</Code>" in data


@pytest.mark.parametrize("tamper", ["signature", "expires", "object"])
async def test_tampered_url_is_403(api: Api, clock: ManualClock, tamper: str) -> None:
    url = await _video_url(api, clock)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = parts.path
    if tamper == "signature":
        query["Signature"] = "AAAA" + query["Signature"][4:]
    elif tamper == "expires":
        query["Expires"] = str(int(query["Expires"]) + 3600)
    else:
        path = path.replace(".mp4", "0.mp4")
    status, _, data = await api.fetch(f"{parts.scheme}://{parts.netloc}{path}?{urlencode(query)}")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in data


async def test_unsigned_url_is_403(api: Api, clock: ManualClock) -> None:
    url = await _video_url(api, clock)
    status, _, data = await api.fetch(url.split("?")[0])
    assert status == 403 and b"<Code>AccessDenied</Code>" in data


async def test_min_video_bytes_pads_and_stays_playable(start: StartApi, clock: ManualClock) -> None:
    api = await start(min_video_bytes=3_000_000)
    status, _, data = await api.fetch(await _video_url(api, clock))
    assert status == 200 and len(data) >= 3_000_000
    tail_box = data.rfind(b"free")
    assert tail_box > 0 and struct.unpack(">I", data[tail_box - 4:tail_box])[0] == len(data) - tail_box + 4
    info = await _probe_bytes(data)
    assert abs(info.duration - 5) < 0.25 and (info.width, info.height) == (1280, 720)


async def test_sync_image_returns_real_png_urls(api: Api) -> None:
    code, body = await api.image(image_body(n=2, size="1K", watermark=False, thinking_mode=True))
    assert code == 200
    choice = body["output"]["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert len(content) == 2 and all(c["type"] == "image" for c in content)
    assert body["output"]["finished"] is True
    assert body["usage"]["image_count"] == 2 and body["usage"]["size"] == "1024*1024"
    status, ctype, data = await api.fetch(content[0]["image"])
    assert (status, ctype) == (200, "image/png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1024, 1024)
    assert api.sandbox.stats.images_generated("sk-sandbox-test") == 2


async def test_image_default_n_is_four(api: Api) -> None:
    body = image_body()
    body["parameters"] = {"size": "1K"}
    _, data = await api.image(body)
    assert len(data["output"]["choices"][0]["message"]["content"]) == 4


async def test_async_image_task(api: Api, clock: ManualClock) -> None:
    code, data = await api.call("POST", "/services/aigc/image-generation/generation", async_=True,
                                json=image_body(n=1, size="1024*768"))
    assert code == 200 and data["output"]["task_status"] == "PENDING"
    task_id = data["output"]["task_id"]
    clock.advance(60)
    _, data = await api.query(task_id)
    assert data["output"]["task_status"] == "SUCCEEDED"
    url = data["output"]["choices"][0]["message"]["content"][0]["image"]
    assert data["usage"]["size"] == "1024*768"
    status, _, png = await api.fetch(url)
    assert status == 200 and struct.unpack(">II", png[16:24]) == (1024, 768)
