"""Image editing on both image routes: input images fetched and checked like the service, results derived.

Truth: ``shared/docs/dashscope-wan.md`` — ``content`` = one text + 0–9 ``{"image": url | data URI}``; JPEG,
PNG without alpha, BMP, WEBP; 240–8,000 px per side; aspect 1:8–8:1; ≤ 20 MB; 4K only without input images;
with images the output follows the LAST image's aspect.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import pytest

from sandbox import Limits, ManualClock
from sandbox.derive import TINT_ALPHA
from sandbox.inputs import fit_aspect
from sandbox.media import tint_for
from sandbox.validation import ImageJob
from tests.sandbox.conftest import IMAGE_ASYNC_PATH, KEY, Api, StartApi, edit_body
from tests.sandbox.inputs_kit import (
    ImageHost,
    blend,
    close,
    data_uri,
    encoded,
    header_png,
    mean_rgb,
    png,
)

RED = (200, 30, 40)
BLUE = (20, 40, 210)
PROMPT = "make the sky stormy"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def results(api: Api, body: dict[str, Any], route: str) -> tuple[dict[str, Any], list[bytes]]:
    """Run ``body`` on the sync route, or as a task to the end; the answer and the downloaded PNGs."""
    if route == "sync":
        code, answer = await api.image(body)
        assert code == 200, answer
        out = answer["output"]
    else:
        code, created = await api.call("POST", IMAGE_ASYNC_PATH, json=body, async_=True)
        assert code == 200, created
        assert isinstance(api.sandbox.clock, ManualClock)
        api.sandbox.clock.advance(60)  # speed 1000: any image task is done
        _, answer = await api.query(created["output"]["task_id"])
        out = answer["output"]
        assert out["task_status"] == "SUCCEEDED", answer
    pngs = []
    for part in out["choices"][0]["message"]["content"]:
        status, ctype, data = await api.fetch(part["image"])
        assert (status, ctype) == (200, "image/png")
        pngs.append(data)
    return answer, pngs


async def refusal(api: Api, body: dict[str, Any], route: str) -> str:
    """The 400 ``InvalidParameter`` message ``body`` gets on ``route``; nothing is generated."""
    if route == "sync":
        code, answer = await api.image(body)
    else:
        code, answer = await api.call("POST", IMAGE_ASYNC_PATH, json=body, async_=True)
    assert (code, answer["code"]) == (400, "InvalidParameter"), answer
    assert api.sandbox.stats.images_generated(KEY) == 0
    assert api.sandbox.stats.tasks_created(KEY) == 0
    return str(answer["message"])


ROUTES = pytest.mark.parametrize("route", ["sync", "async"])


@ROUTES
async def test_an_edit_is_the_input_image_tinted_at_its_aspect(api: Api, image_host: ImageHost,
                                                               tmp_path: Path, route: str) -> None:
    url = image_host.put("red.png", png(800, 400, RED), "image/png")
    answer, pngs = await results(api, edit_body(PROMPT, [url], n=2, size="1K", seed=5), route)
    width, height = png_size(pngs[0])
    # 1K's pixels (1024²) at the input's 2:1.
    assert abs(width / height - 2.0) < 0.01 and abs(width * height / 1024**2 - 1) < 0.01
    assert answer["usage"]["size"] == f"{width}*{height}" and answer["usage"]["image_count"] == 2
    means = []
    for i, data in enumerate(pngs):
        path = tmp_path / f"out{i}.png"
        path.write_bytes(data)
        means.append(await mean_rgb(path))
        # Each result is the input under its own translucent tint (prompt + the result's seed).
        assert close(means[i], blend(RED, tint_for(PROMPT, 5 * 10 + i), TINT_ALPHA), 6), means[i]
    assert means[0] != means[1]
    assert image_host.hits["red.png"] == 1


@ROUTES
async def test_the_output_follows_the_last_image(api: Api, image_host: ImageHost, route: str) -> None:
    portrait = image_host.put("p.png", png(400, 800, RED))
    wide = image_host.put("w.png", png(900, 300, BLUE))
    _, pngs = await results(api, edit_body(PROMPT, [portrait, wide], size="2K", n=1), route)
    width, height = png_size(pngs[0])
    assert (width, height) == fit_aspect(2048 * 2048, 3.0) and width > height
    _, pngs = await results(api, edit_body(PROMPT, [wide, portrait], size="2K", n=1), route)
    width, height = png_size(pngs[0])
    assert (width, height) == fit_aspect(2048 * 2048, 0.5) and height == 2 * width


@pytest.mark.parametrize("fmt", ["jpeg", "bmp", "webp", "png"])
async def test_every_format_the_reference_allows(api: Api, image_host: ImageHost, tmp_path: Path,
                                                 fmt: str) -> None:
    url = image_host.put(f"in.{fmt}", await encoded(fmt, 640, 480, BLUE))
    _, pngs = await results(api, edit_body(PROMPT, [url], n=1, size="1K", seed=1), "sync")
    path = tmp_path / "out.png"
    path.write_bytes(pngs[0])
    assert close(await mean_rgb(path), blend(BLUE, tint_for(PROMPT, 10), TINT_ALPHA), 8)
    assert png_size(pngs[0]) == fit_aspect(1024 * 1024, 640 / 480)


async def test_a_data_uri_is_decoded(api: Api, tmp_path: Path) -> None:
    _, pngs = await results(api, edit_body(PROMPT, [data_uri(png(300, 300, RED))], n=1, size="1K"), "sync")
    path = tmp_path / "out.png"
    path.write_bytes(pngs[0])
    assert png_size(pngs[0]) == (1024, 1024)
    assert close(await mean_rgb(path), blend(RED, tint_for(PROMPT, 0), TINT_ALPHA), 6)


async def test_the_job_keeps_what_was_sent(api: Api, image_host: ImageHost) -> None:
    url = image_host.put("a.png", png(500, 500, RED))
    code, created = await api.call("POST", IMAGE_ASYNC_PATH, json=edit_body(PROMPT, [url], n=1, size="2K"),
                                   async_=True)
    assert code == 200
    task = api.sandbox.task(created["output"]["task_id"])
    assert task is not None and isinstance(task.job, ImageJob)
    assert task.job.images == (url,) and task.job.thinking_mode is None
    assert (task.job.width, task.job.height) == (2048, 2048)


REFUSED_FILES = {
    "png with alpha": (png(300, 300, RED, alpha=True), "alpha"),
    "side under 240": (png(239, 600, RED), "239x600"),
    "side over 8000": (header_png(8001, 4000), "8001x4000"),
    "aspect past 8:1": (header_png(2700, 300), "between 1:8 and 8:1"),
    "aspect past 1:8": (header_png(250, 2100), "between 1:8 and 8:1"),
    "gif": (b"GIF89a" + b"\x00" * 100, "not supported"),
    "not an image": (b"hello, world " * 50, "not supported"),
    "truncated png": (png(300, 300, RED)[:20], "not supported"),
}


@ROUTES
@pytest.mark.parametrize("case", REFUSED_FILES, ids=list(REFUSED_FILES))
async def test_files_the_reference_refuses(api: Api, image_host: ImageHost, route: str, case: str) -> None:
    data, says = REFUSED_FILES[case]
    good = image_host.put("good.png", png(300, 300, BLUE))
    bad = image_host.put("bad", data)
    message = await refusal(api, edit_body(PROMPT, [good, bad]), route)
    assert says in message and "image 2" in message


def bmp_of_size(total: int) -> bytes:
    header = b"BM" + b"\x00" * 12 + struct.pack("<Iii", 40, 640, 480)
    return header + b"\x00" * (total - len(header))


async def test_over_20_mb_is_refused_without_reading_it_all(api: Api, image_host: ImageHost) -> None:
    # 20 MB is 20,000,000 bytes, as wanbot's own check reads it: the two agree to the byte.
    at_limit = image_host.put("limit.bmp", bmp_of_size(20_000_000))
    code, _ = await api.call("POST", IMAGE_ASYNC_PATH, json=edit_body(PROMPT, [at_limit]), async_=True)
    assert code == 200
    api.sandbox.stats.reset()
    url = image_host.put("big.bmp", bmp_of_size(20_000_001))
    assert "larger than 20MB" in await refusal(api, edit_body(PROMPT, [url]), "sync")
    huge = "data:image/png;base64," + "A" * (28 * 1024 * 1024)
    assert "larger than 20MB" in await refusal(api, edit_body(PROMPT, [huge]), "sync")


@ROUTES
async def test_links_the_service_cannot_read(start: StartApi, image_host: ImageHost, route: str) -> None:
    api = await start(input_timeout=0.2, limits=Limits.unlimited())
    cases = {
        f"{image_host.base}/missing": "Failed to download multimodal content",
        f"{image_host.base}/hang": "Download the media resource timed out",
        "http://127.0.0.1:9/nothing-listens": "Failed to download multimodal content",
        "ftp://example.com/a.png": "does not appear to be valid",
        "data:image/png,notbase64": "data:{mime};base64",
        "data:image/png;base64,@@@@": "not valid base64",
        "oss://dashscope-instant/a.png": "oss://",
    }
    for url, says in cases.items():
        assert says in await refusal(api, edit_body(PROMPT, [url]), route), url


BAD_BODIES = {
    "ten images": (edit_body(PROMPT, [data_uri(png(300, 300, RED))] * 10), "at most 9"),
    "4K with an image": (edit_body(PROMPT, ["http://127.0.0.1:9/a.png"], model="wan2.7-image-pro", size="4K"),
                         "4K"),
    "W*H over 2048² with an image": (edit_body(PROMPT, ["http://127.0.0.1:9/a.png"], size="3000*2000"),
                                     "2048*2048"),
    "W*H under 768² with an image": (edit_body(PROMPT, ["http://127.0.0.1:9/a.png"], size="600*600"),
                                     "768*768"),
    "image not a string": (edit_body(PROMPT, []) | {"input": {"messages": [
        {"role": "user", "content": [{"text": PROMPT}, {"image": 42}]}]}}, "URL or a data URI"),
}


@ROUTES
@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
async def test_parameters_are_checked_before_any_fetch(api: Api, route: str, case: str) -> None:
    body, says = BAD_BODIES[case]
    assert says in await refusal(api, body, route)


async def test_4k_stays_a_text_to_image_size(api: Api) -> None:
    code, answer = await api.image(edit_body(PROMPT, [], model="wan2.7-image-pro", size="4K", n=1))
    assert code == 200 and answer["usage"]["size"] == "4096*4096"


async def test_thinking_mode_is_taken_and_ignored_with_images(api: Api, image_host: ImageHost) -> None:
    url = image_host.put("t.png", png(600, 300, RED))
    answer, _ = await results(api, edit_body(PROMPT, [url], n=1, size="1K", thinking_mode=True), "sync")
    width, height = (int(x) for x in answer["usage"]["size"].split("*"))
    assert math.isclose(width / height, 2.0, rel_tol=0.01)
    # A sync answer leaves no task: the accepted job is kept for assertions on what was sent.
    (job,) = api.sandbox.image_jobs
    assert job.images == (url,) and job.thinking_mode is True and (job.width, job.height) == (width, height)
