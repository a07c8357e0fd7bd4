"""``/wan image``: synchronous text-to-image, answered in place of a public "thinking…" message.

Image generation takes seconds, not minutes, so unlike videos this flow may use the interaction token:
defer (public), generate, download each PNG into the work folder, then edit the original response with
the files. A PNG over the channel's upload limit is posted as its link instead. Files are always removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from pathlib import Path
from typing import Any, Protocol

import discord

from adapters.discord.errors import reply_error
from adapters.discord.markup import plain
from adapters.discord.port import open_binary
from core.dashscope import ImageResult
from core.jobs import new_job_id
from core.messages import Messages, shorten
from core.request import ImageRequest

log = logging.getLogger("wanbot.discord")

#: Images are a few MB; anything past this is not an image we asked for.
MAX_IMAGE_BYTES = 64 * 1024 * 1024


class ImageAPI(Protocol):
    async def generate_image(self, request: ImageRequest) -> ImageResult: ...
    async def download_to(self, url: str, path: Path, *, max_bytes: int, timeout: float = ...) -> int: ...


class Images:
    def __init__(self, api: ImageAPI, *, workdir: Path, messages: Messages) -> None:
        self.api = api
        self.workdir = workdir
        self.messages = messages

    async def make(self, interaction: discord.Interaction[Any], request: ImageRequest) -> None:
        await interaction.response.defer(thinking=True)
        paths: list[Path] = []
        handles: list[io.BufferedReader] = []
        try:
            result = await self.api.generate_image(request)
            self.workdir.mkdir(parents=True, exist_ok=True)
            stem = f"wan-image-{new_job_id()}"
            files: list[discord.File] = []
            links: list[str] = []
            for i, url in enumerate(result.urls, start=1):
                path = self.workdir / f"{stem}-{i}.png"
                paths.append(path)
                size = await self.api.download_to(url, path, max_bytes=MAX_IMAGE_BYTES)
                if size > interaction.filesize_limit:
                    links.append(self.messages("discord.image.link", n=i, url=url))
                else:
                    handles.append(await asyncio.to_thread(open_binary, path))  # no blocking open on the loop
                    files.append(discord.File(handles[-1], filename=path.name))
            text = self.messages("image.done", prompt_short=plain(shorten(request.prompt, 80)), size=request.size,
                                 n=len(result.urls), cost=request.estimated_cost())
            await interaction.edit_original_response(
                content="\n".join([text, *links]), attachments=files, allowed_mentions=discord.AllowedMentions.none()
            )
        except Exception as exc:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            await reply_error(interaction, exc, self.messages)
        finally:
            for handle in handles:
                handle.close()
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
