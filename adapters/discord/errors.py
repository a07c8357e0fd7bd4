"""The one place that turns an exception into what a Discord user reads.

Every handler (slash commands through ``CommandTree.on_error``, buttons, modals) ends here. The reply
is always ephemeral and always one or two short sentences from ``core.messages`` — a DashScope error
becomes its friendly explanation (content filter, rate limit, "ask an admin" for a bad key), a local
cap says when to try again — and never a traceback: anything unexpected is logged with its stack and
the user gets ``error.internal``. A refusal from ``core.access.authorize`` (``ActionRefused``: "not
found", "not yours") is shown as it is. Words that may come from the user (the reason of an invalid
request quotes the value given) are shown as plain text, and nothing ever pings.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.markup import plain
from core.access import ActionRefused
from core.errors import DashScopeError, InvalidRequest, QuotaExceeded, WanbotError
from core.messages import Messages

log = logging.getLogger("wanbot.discord")


class Refusal(Exception):
    """A polite "no" whose text is already written (access denied, not your job)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def explain(exc: BaseException, messages: Messages) -> str:
    """The sentence for ``exc``; unexpected errors are logged here, with their stack."""
    if isinstance(exc, app_commands.CommandInvokeError):
        exc = exc.original
    if isinstance(exc, Refusal):
        return exc.text
    if isinstance(exc, ActionRefused):
        return exc.message
    if isinstance(exc, InvalidRequest):
        return messages("invalid", reason=plain(exc.message))
    if isinstance(exc, QuotaExceeded):
        return exc.message
    if isinstance(exc, DashScopeError):
        return messages.explain(exc.code, None)
    if isinstance(exc, WanbotError):
        log.warning("wanbot error in a Discord handler: %s", exc)
        return messages.explain(exc.code, messages("error.internal"))
    if isinstance(exc, app_commands.CheckFailure):
        return messages("access.denied")
    log.error("unexpected error in a Discord handler", exc_info=exc)
    return messages("error.internal")


async def reply_error(interaction: discord.Interaction[Any], exc: BaseException, messages: Messages) -> None:
    """Answer ``interaction`` ephemerally with the explanation of ``exc`` (initial response or followup)."""
    await send_ephemeral(interaction, explain(exc, messages))


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """An ephemeral answer, whether or not the interaction was already responded to."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException as exc:
        # The token may have expired (3 s / 15 min); there is nobody left to tell.
        log.warning("could not answer interaction %s: %s", interaction.id, exc)
