"""The one place that turns an exception into what a Discord user reads.

Every handler (slash commands through ``CommandTree.on_error``, buttons, modals) ends here. First what
only discord.py raises: a ``CommandInvokeError`` is unwrapped to the error the handler raised, and a
failed check (``app_commands.CheckFailure``) is "not enabled for you here". Everything else becomes the
sentence every surface shows (``core.actions.sentence_for``: refusals as they are, a DashScope error
explained — or in DashScope's own words when the catalogue has no explanation —, anything unexpected
logged there with its stack and answered with a short apology). The sentence is then shown as plain
text (``adapters.discord.markup``: a typed job id or DashScope's words may carry markup) within
Discord's limit, always ephemeral, and nothing ever pings.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.markup import fitted
from adapters.discord.port import MAX_CONTENT, NO_MENTIONS
from adapters.discord.spend import show_pending
from core.actions import sentence_for
from core.messages import Messages
from core.spend import SpendPending

log = logging.getLogger("wanbot.discord")


def explain(exc: BaseException, messages: Messages) -> str:
    """The sentence for ``exc``, escaped for Discord."""
    if isinstance(exc, app_commands.CommandInvokeError):
        exc = exc.original
    if isinstance(exc, app_commands.CheckFailure):
        return fitted(messages("access.denied"), MAX_CONTENT)
    return fitted(sentence_for(exc, messages), MAX_CONTENT)


async def reply_error(interaction: discord.Interaction[Any], exc: BaseException, messages: Messages) -> None:
    """Answer ``interaction`` ephemerally with the explanation of ``exc`` (initial response or followup)."""
    if isinstance(exc, app_commands.CommandInvokeError) and isinstance(exc.original, SpendPending):
        exc = exc.original
    if isinstance(exc, SpendPending):  # issue 13: not an error — the price, with its buttons
        await show_pending(interaction, exc, messages)
        return
    await send_ephemeral(interaction, explain(exc, messages))


async def send_ephemeral(interaction: discord.Interaction[Any], text: str | None = None, *,
                         embeds: list[discord.Embed] | None = None, view: discord.ui.View | None = None) -> None:
    """An ephemeral answer, whether or not the interaction was already responded to."""
    extra: dict[str, Any] = {"embeds": embeds} if embeds else {}
    if text is not None:
        extra["content"] = text
    if view is not None:
        extra["view"] = view
    try:
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)
        else:
            await interaction.response.send_message(ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)
    except discord.HTTPException as exc:
        # The token may have expired (3 s / 15 min); there is nobody left to tell.
        log.warning("could not answer interaction %s: %s", interaction.id, exc)
