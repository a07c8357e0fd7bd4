"""Issue 13 on Discord: how a held-back command is shown (``core.spend.SpendPending``), with its buttons.

A confirmation is the requester's alone: an **ephemeral** answer with the price and **Confirm** /
**Cancel**. An approval is the channel's: the requester reads one ephemeral sentence, and a public message
(a followup of the same interaction) shows the price and who asked, with **✅ Approve** / **Decline**.
The buttons are ``JobButton``s (``wan:confirm:<ask id>`` …): they work after a restart, and the click goes
to ``ChatActions.decide``, which decides who may press them.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord.buttons import JobButton
from adapters.discord.markup import fitted
from adapters.discord.port import MAX_CONTENT, NO_MENTIONS
from core.messages import Messages
from core.spend import SpendPending

log = logging.getLogger("wanbot.discord")

CONFIRM_BUTTONS = ("confirm", "dismiss")
APPROVE_BUTTONS = ("approve", "decline")


def ask_buttons(ask_id: str, actions: tuple[str, ...], messages: Messages) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(JobButton(action, ask_id, label=messages(f"spend.button.{action}")))
    return view


async def show_pending(interaction: discord.Interaction[Any], pending: SpendPending, messages: Messages) -> None:
    """Answer a held-back command: the price with Confirm / Cancel, or the approval request in the channel."""
    ask = pending.ask
    buttons = CONFIRM_BUTTONS if ask.kind == "confirm" else ()
    extra: dict[str, Any] = {"view": ask_buttons(ask.id, buttons, messages)} if buttons else {}
    content = fitted(pending.price, MAX_CONTENT)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)
        else:
            await interaction.response.send_message(content, ephemeral=True, allowed_mentions=NO_MENTIONS,
                                                    **extra)
        if pending.approval is not None:
            # Our own words and a mention (shown, never pinging): nothing typed by anyone, so not escaped.
            await interaction.followup.send(pending.approval[:MAX_CONTENT], allowed_mentions=NO_MENTIONS,
                                            view=ask_buttons(ask.id, APPROVE_BUTTONS, messages))
    except discord.HTTPException as exc:
        log.warning("could not show the pending request %s: %s", ask.id, exc)


__all__ = ["APPROVE_BUTTONS", "CONFIRM_BUTTONS", "ask_buttons", "show_pending"]
