"""Local files in console commands: ``image … --image ./cat.png``, ``animate --first ~/a.jpg``.

At the console the person is the operator, so a path names a file on this machine. Core never reads a
path (a chat user must not make the bot read its files): the console reads it here, in a thread and
under a cap, and hands core a ``data:`` URI, checked like any other input.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import mimetypes
from pathlib import Path

from core.commands import Command
from core.errors import InvalidMedia
from core.image_check import MAX_IMAGE_BYTES
from core.media_commands import AnimateCommand, EditCommand
from core.messages import Messages, human_bytes


def _is_path(value: str) -> bool:
    return not value.startswith(("https://", "http://", "data:"))


def read_as_data_uri(value: str, messages: Messages, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The file at ``value`` as a ``data:`` URI (blocking: call through ``asyncio.to_thread``)."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise InvalidMedia(messages("image.no_file", name=value), field="media")
    if path.stat().st_size > max_bytes:
        raise InvalidMedia(messages("image.too_big", limit=human_bytes(max_bytes)), field="media")
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{ctype};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


async def with_local_files(command: Command, messages: Messages) -> Command:
    """``command`` with every path among its input files replaced by that file's ``data:`` URI."""

    async def load(value: str | None) -> str | None:
        if value is None or not _is_path(value):
            return value
        return await asyncio.to_thread(read_as_data_uri, value, messages)

    if isinstance(command, EditCommand):
        images = [await load(link) for link in command.images]
        return dataclasses.replace(command, images=tuple(i for i in images if i is not None))
    if isinstance(command, AnimateCommand):
        return dataclasses.replace(command, first=await load(command.first), last=await load(command.last),
                                   audio=await load(command.audio))
    return command


__all__ = ["read_as_data_uri", "with_local_files"]
