"""Result downloads: no auth header, capped, atomic, OSS errors mapped, timeouts and retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from core.dashscope import DashScopeClient, RetryPolicy
from core.errors import DownloadError, DownloadTooLarge, ResultDenied, ResultExpired

from .conftest import T0, FakeSleep, Handler, Scripted

Serve = Callable[[dict[str, Handler]], Awaitable[Scripted]]
MakeClient = Callable[..., DashScopeClient]
VIDEO = bytes(range(256)) * 1024  # 256 KiB
SIGNED = "?Expires={exp}&OSSAccessKeyId=LTAIxxxx&Signature=abc%2Bdef"

EXPIRED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>AccessDenied</Code>
  <Message>Request has expired.</Message>
  <RequestId>65F0A1B2C3D4E5F6</RequestId>
  <HostId>dashscope-result-bj.oss-accelerate.aliyuncs.com</HostId>
  <Expires>2026-04-17T03:52:35.000Z</Expires>
</Error>"""
SIGNATURE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the
signature you provided.</Message><RequestId>AB12</RequestId></Error>"""


async def video(request: web.Request) -> web.StreamResponse:
    return web.Response(body=VIDEO, content_type="video/mp4")


def chunked(total: int, *, stall_after: int | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = 0
        while sent < total:
            if stall_after is not None and sent >= stall_after:
                await asyncio.sleep(5)
            await resp.write(b"x" * 8192)
            sent += 8192
        await resp.write_eof()
        return resp
    return handler


def xml(status: int, body: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=body, content_type="application/xml")
    return handler


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())



async def test_a_file_of_several_write_batches_arrives_byte_for_byte(serve: Serve, make_client: MakeClient,
                                                                     tmp_path: Path) -> None:
    # 1 MiB reads, batches handed to the file as a list of chunks: order and every byte kept across them.
    body = bytes(i * 7 % 251 for i in range(5 * 1024 * 1024 + 3))

    async def big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, content_type="video/mp4")

    srv = await serve({"GET /r/big.mp4": big})
    target = tmp_path / "out.mp4"
    size = await make_client(srv.base).download_to(srv.url("/r/big.mp4"), target, max_bytes=1 << 23)
    assert size == len(body) and target.read_bytes() == body

async def test_download_writes_atomically_without_auth(serve: Serve, make_client: MakeClient,
                                                      tmp_path: Path) -> None:
    srv = await serve({"GET /r/video.mp4": video})
    target = tmp_path / "out.mp4"
    url = srv.url("/r/video.mp4") + SIGNED.format(exp=int(T0) + 3600)
    size = await make_client(srv.base).download_to(url, target, max_bytes=1 << 20)
    assert size == len(VIDEO) and target.read_bytes() == VIDEO
    assert leftovers(tmp_path) == ["out.mp4"]
    assert "Authorization" not in srv.hits[0].headers
    assert srv.hits[0].query["Signature"] == "abc+def"  # the signed query reaches storage intact


async def test_cap_via_content_length(serve: Serve, make_client: MakeClient, tmp_path: Path) -> None:
    srv = await serve({"GET /r/video.mp4": video})
    with pytest.raises(DownloadTooLarge) as info:
        await make_client(srv.base).download_to(srv.url("/r/video.mp4"), tmp_path / "o.mp4", max_bytes=1000)
    assert info.value.code == "TooLarge" and not info.value.retryable
    assert leftovers(tmp_path) == [] and len(srv.hits) == 1


async def test_cap_while_streaming_chunked(serve: Serve, make_client: MakeClient, tmp_path: Path) -> None:
    srv = await serve({"GET /r/big": chunked(3 * 1024 * 1024)})
    with pytest.raises(DownloadTooLarge) as info:
        await make_client(srv.base).download_to(srv.url("/r/big"), tmp_path / "o.mp4", max_bytes=2_000_000)
    assert info.value.code == "TooLarge"
    assert leftovers(tmp_path) == []  # the partial file (past the 1 MiB write batch) is removed


async def test_403_expired_xml(serve: Serve, make_client: MakeClient, tmp_path: Path) -> None:
    srv = await serve({"GET /r/video.mp4": xml(403, EXPIRED_XML)})
    url = srv.url("/r/video.mp4") + SIGNED.format(exp=int(T0) + 60)
    with pytest.raises(ResultExpired) as info:
        await make_client(srv.base).download_to(url, tmp_path / "o.mp4", max_bytes=1 << 20)
    err = info.value
    assert err.code == "Expired" and not err.retryable and err.http_status == 403
    assert err.request_id == "65F0A1B2C3D4E5F6" and "Request has expired" in err.message
    assert "Signature" not in str(err) and len(srv.hits) == 1 and leftovers(tmp_path) == []


async def test_403_past_expires_per_clock(serve: Serve, make_client: MakeClient, tmp_path: Path) -> None:
    srv = await serve({"GET /r/v": xml(403, "<Error><Code>AccessDenied</Code><Message>denied</Message></Error>")})
    base = srv.url("/r/v")
    client = make_client(srv.base)
    with pytest.raises(ResultExpired) as expired:
        await client.download_to(base + SIGNED.format(exp=int(T0) - 1), tmp_path / "o", max_bytes=10)
    assert expired.value.code == "Expired"
    with pytest.raises(ResultDenied) as denied:
        await client.download_to(base + SIGNED.format(exp=int(T0) + 999), tmp_path / "o", max_bytes=10)
    assert denied.value.code == "AccessDenied" and not denied.value.retryable


async def test_403_signature_mismatch_and_json_errors(serve: Serve, make_client: MakeClient,
                                                      tmp_path: Path) -> None:
    async def json_403(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"code": "Forbidden", "message": "nope"}}, status=403)

    srv = await serve({"GET /r/sig": xml(403, SIGNATURE_XML), "GET /r/json": json_403})
    client = make_client(srv.base)
    with pytest.raises(DownloadError) as sig:
        await client.download_to(srv.url("/r/sig"), tmp_path / "o", max_bytes=10)
    assert sig.value.code == "SignatureDoesNotMatch" and not sig.value.retryable
    with pytest.raises(DownloadError) as js:
        await client.download_to(srv.url("/r/json"), tmp_path / "o", max_bytes=10)
    assert js.value.code == "Forbidden"


async def test_5xx_is_retried_with_backoff(serve: Serve, make_client: MakeClient, tmp_path: Path,
                                           sleep: FakeSleep) -> None:
    calls = {"n": 0}

    async def flaky(request: web.Request) -> web.StreamResponse:
        calls["n"] += 1
        if calls["n"] < 3:
            return web.Response(status=503, text="<Error><Code>ServiceUnavailable</Code></Error>")
        return web.Response(body=VIDEO)

    srv = await serve({"GET /r/v": flaky})
    size = await make_client(srv.base).download_to(srv.url("/r/v"), tmp_path / "o.mp4", max_bytes=1 << 20)
    assert size == len(VIDEO) and len(sleep.delays) == 2 and leftovers(tmp_path) == ["o.mp4"]


async def test_timeouts(serve: Serve, make_client: MakeClient, tmp_path: Path) -> None:
    async def silent(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response(body=b"late")

    srv = await serve({"GET /r/silent": silent, "GET /r/stall": chunked(1 << 20, stall_after=16384)})
    client = make_client(srv.base, download_read_timeout=0.1, retry=RetryPolicy(attempts=2))
    for path in ("/r/silent", "/r/stall"):
        with pytest.raises(DownloadError) as info:
            await client.download_to(srv.url(path), tmp_path / "o.mp4", max_bytes=1 << 21)
        assert info.value.code == "Timeout" and info.value.retryable
    assert leftovers(tmp_path) == [] and len(srv.hits) == 4


async def test_stream_chunks_and_cap(serve: Serve, make_client: MakeClient) -> None:
    srv = await serve({"GET /r/v": video, "GET /r/big": chunked(1 << 20)})
    client = make_client(srv.base)
    got = b"".join([c async for c in client.stream(srv.url("/r/v"), max_bytes=1 << 20, chunk_size=4096)])
    assert got == VIDEO
    seen = 0
    with pytest.raises(DownloadTooLarge) as info:
        async for chunk in client.stream(srv.url("/r/big"), max_bytes=100_000):
            seen += len(chunk)
    assert info.value.code == "TooLarge" and seen <= 100_000
    assert all("Authorization" not in h.headers for h in srv.hits)


async def test_missing_directory_is_a_non_retryable_write_failure(serve: Serve, make_client: MakeClient,
                                                                  tmp_path: Path) -> None:
    srv = await serve({"GET /r/v": video})
    with pytest.raises(DownloadError) as info:
        await make_client(srv.base).download_to(srv.url("/r/v"), tmp_path / "no" / "o.mp4", max_bytes=1 << 20)
    assert info.value.code == "WriteFailed" and not info.value.retryable
