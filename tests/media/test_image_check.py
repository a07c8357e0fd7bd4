"""``core.image_check.ImageCheck``: real images (made with Pillow) over a loopback host and as data: URIs."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from core.errors import InvalidMedia
from core.image_check import MAX_IMAGE_BYTES, ImageCheck
from core.inputs import InputFile
from core.messages import Messages
from tests.fakes.net import free_port

M = Messages()


def image(fmt: str, size: tuple[int, int] = (320, 240), mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 0).save(out, fmt, **save)
    return out.getvalue()


def palette_png_with_transparency() -> bytes:
    out = io.BytesIO()
    Image.new("P", (300, 300), 0).save(out, "PNG", transparency=0)
    return out.getvalue()


def data_uri(data: bytes, ctype: str = "image/png") -> str:
    return f"data:{ctype};base64,{base64.b64encode(data).decode()}"


@dataclass
class Host:
    base: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    #: (path, Authorization header or None) of every request.
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base}/f/{name}"


@pytest.fixture
async def host() -> AsyncIterator[Host]:
    h = Host()

    async def serve(request: web.Request) -> web.StreamResponse:
        h.seen.append((request.path, request.headers.get("Authorization")))
        name = request.match_info["name"]
        if name not in h.files:
            raise web.HTTPNotFound()
        return web.Response(body=h.files[name], content_type="application/octet-stream")

    async def hop(request: web.Request) -> web.StreamResponse:
        h.seen.append((request.path, request.headers.get("Authorization")))
        raise web.HTTPFound(request.query["to"])

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(200):  # 50 MB if read to the end
            await response.write(bytes(256 * 1024))
        return response

    app = web.Application()
    app.router.add_get("/f/{name}", serve)
    app.router.add_get("/hop", hop)
    app.router.add_get("/endless", endless)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    h.base = f"http://127.0.0.1:{port}"
    try:
        yield h
    finally:
        await runner.cleanup()


@pytest.fixture
async def check() -> AsyncIterator[ImageCheck]:
    async with aiohttp.ClientSession() as session:
        yield ImageCheck(session, M, public_only=False)


async def refusal(check: ImageCheck, file: InputFile) -> str:
    with pytest.raises(InvalidMedia) as refused:
        await check.load(file)
    assert refused.value.field == "images"
    return refused.value.message


@pytest.mark.parametrize(("fmt", "ctype"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("BMP", "image/bmp"),
                                            ("WEBP", "image/webp")])
async def test_the_four_formats_pass_judged_by_content_not_name(check: ImageCheck, host: Host, fmt: str,
                                                               ctype: str) -> None:
    data = image(fmt)
    host.files["photo.gif"] = data  # the name lies; the content decides
    checked = await check.load(InputFile(host.url("photo.gif"), filename="photo.gif", content_type="image/gif"))
    assert (checked.content_type, checked.width, checked.height, checked.data) == (ctype, 320, 240, data)


async def test_a_data_uri_is_checked_the_same_way(check: ImageCheck) -> None:
    data = image("PNG", (240, 1920))  # exactly 1:8 and the smallest side: both bounds are allowed
    checked = await check.load(InputFile(data_uri(data, "text/plain")))
    assert (checked.content_type, checked.width, checked.height) == ("image/png", 240, 1920)
    assert await refusal(check, InputFile("data:image/png;base64,@@@")) == M("image.bad_data_uri")
    assert await refusal(check, InputFile("data:image/png,rawtext")) == M("image.bad_data_uri")


@pytest.mark.parametrize(("data", "key", "fields"), [
    (image("GIF"), "image.not_image", {}),
    (b"<html>sign in</html>", "image.not_image", {}),
    (image("PNG", mode="RGBA"), "image.alpha", {}),
    (image("PNG", mode="LA"), "image.alpha", {}),
    (palette_png_with_transparency(), "image.alpha", {}),
    (image("PNG", (239, 400)), "image.side", {"width": 239, "height": 400, "low": 240, "high": "8,000"}),
    (image("PNG", (8001, 1200)), "image.side", {"width": 8001, "height": 1200, "low": 240, "high": "8,000"}),
    (image("PNG", (2000, 249)), "image.aspect", {"width": 2000, "height": 249}),
])
async def test_what_dashscope_refuses_is_one_sentence(check: ImageCheck, data: bytes, key: str,
                                                      fields: dict[str, object]) -> None:
    assert await refusal(check, InputFile(data_uri(data))) == M(key, **fields)


async def test_webp_and_jpeg_alpha_rules_apply_to_png_only(check: ImageCheck) -> None:
    checked = await check.load(InputFile(data_uri(image("WEBP", mode="RGBA"))))
    assert checked.content_type == "image/webp"


async def test_the_size_cap_stops_the_download(check: ImageCheck, host: Host) -> None:
    assert await refusal(check, InputFile(f"{host.base}/endless")) == M("image.too_big", limit="20 MB")
    big = "A" * ((MAX_IMAGE_BYTES // 3 + 10) * 4)
    assert await refusal(check, InputFile(f"data:image/png;base64,{big}")) == M("image.too_big", limit="20 MB")


async def test_a_missing_file_and_a_private_address(host: Host) -> None:
    async with aiohttp.ClientSession() as session:
        local = ImageCheck(session, M, public_only=False)
        assert await refusal(local, InputFile(host.url("gone.png"))) == M("image.http_status", status=404)
        public = ImageCheck(session, M)  # real DashScope: this machine's addresses are refused unfetched
        assert await refusal(public, InputFile(host.url("a.png"))) == M("image.private")
    assert host.seen == [("/f/gone.png", None)]


async def test_headers_go_to_the_handing_host_only(check: ImageCheck, host: Host) -> None:
    host.files["a.png"] = image("PNG")
    token = {"Authorization": "Bearer xoxb-secret"}
    await check.load(InputFile(host.url("a.png"), headers=token))
    # The same file through a redirect to another host name (localhost, not 127.0.0.1): no token there.
    other = host.url("a.png").replace("127.0.0.1", "localhost")
    await check.load(InputFile(f"{host.base}/hop?to={other}", headers=token))
    assert host.seen == [("/f/a.png", "Bearer xoxb-secret"), ("/hop", "Bearer xoxb-secret"), ("/f/a.png", None)]


async def test_headers_do_not_follow_a_redirect_to_another_port_of_the_same_host(check: ImageCheck,
                                                                                 host: Host) -> None:
    seen: list[str | None] = []

    async def stranger(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(body=image("PNG"))

    app = web.Application()
    app.router.add_get("/x.png", stranger)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await check.load(InputFile(f"{host.base}/hop?to=http://127.0.0.1:{port}/x.png",
                                   headers={"Authorization": "Bearer xoxb-secret"}))
    finally:
        await runner.cleanup()
    assert seen == [None] and host.seen == [("/hop", "Bearer xoxb-secret")]


def test_the_token_is_not_in_the_files_repr() -> None:
    assert "xoxb" not in repr(InputFile("https://files.slack.com/x", headers={"Authorization": "Bearer xoxb-1"}))
