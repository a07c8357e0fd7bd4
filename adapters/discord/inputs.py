"""Files people hand wanbot on Discord, as ``core.inputs.InputFile``: attachment options and a message's images.

The adapter passes on what Discord says — the attachment's CDN link (signed, valid for about a day: long
enough for core to fetch it now, which is all that is needed, since core keeps its own copy), its filename,
content type and size — and decides nothing about the content: ``core`` fetches each file and checks it
(a PDF given as an image is refused there, in one sentence, before anything is spent).

Which files of a message are its *images* (the message menus "Edit with Wan" and "Animate with Wan") is
Discord's business, so it is decided here: attachments whose content type is ``image/*`` (or, when Discord
gave none, whose name says so), then the images of its embeds (an embed's ``image``, or the thumbnail of
an ``image`` embed — what Discord shows for a posted image link). All of them are passed on, in order, so
core's own limit (at most 9) answers a message carrying more.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from urllib.parse import urlsplit

import discord

from core.inputs import InputFile


def input_of(attachment: discord.Attachment) -> InputFile:
    """An attachment as Discord describes it."""
    return InputFile(url=attachment.url, filename=attachment.filename, content_type=attachment.content_type,
                     size=attachment.size)


def inputs_of(attachments: Sequence[discord.Attachment | None]) -> list[InputFile]:
    """The attachments given (options left empty are ``None``), in option order."""
    return [input_of(a) for a in attachments if a is not None]


def _is_image(attachment: discord.Attachment) -> bool:
    kind = attachment.content_type or mimetypes.guess_type(attachment.filename)[0] or ""
    return kind.split(";")[0].strip().lower().startswith("image/")


def _embed_image(embed: discord.Embed) -> str | None:
    if embed.image.url:
        return embed.image.url
    if embed.type == "image" and embed.thumbnail.url:
        return embed.thumbnail.url
    return None


def message_images(message: discord.Message) -> list[InputFile]:
    """Every image of ``message``: image attachments first, then embed images (see the module docstring)."""
    found = [input_of(a) for a in message.attachments if _is_image(a)]
    for embed in message.embeds:
        url = _embed_image(embed)
        if url is not None:
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            found.append(InputFile(url=url, filename=name))  # Discord says no type for an embed's image
    return found


__all__ = ["input_of", "inputs_of", "message_images"]
