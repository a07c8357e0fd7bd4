"""``/wan image`` in the console: generate synchronously, save each PNG into the output folder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from core.dashscope import DashScopeClient
from core.jobs import new_job_id
from core.request import ImageRequest

#: Images are a few MB; anything past this is not an image we asked for.
MAX_IMAGE_BYTES = 64 * 1024 * 1024


def image_saver(client: DashScopeClient, out_dir: Path) -> Callable[[ImageRequest], Awaitable[list[Path]]]:
    async def save(request: ImageRequest) -> list[Path]:
        result = await client.generate_image(request)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"wan-image-{new_job_id()}"
        paths = []
        for i, url in enumerate(result.urls, start=1):
            path = out_dir / f"{stem}-{i}.png"
            await client.download_to(url, path, max_bytes=MAX_IMAGE_BYTES)
            paths.append(path)
        return paths

    return save
