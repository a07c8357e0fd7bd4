"""Issue 13 on Slack: a held-back command (``core.spend.SpendPending``) shown with its buttons.

A confirmation is the requester's: an ephemeral message (inside the slash command's acknowledgement when
it is still unsent, else ``chat.postEphemeral``) with the price and **Confirm** / **Cancel**. An approval
is the channel's: the requester reads one ephemeral sentence, and a channel message shows the price and
who asked with **✅ Approve** / **Decline**. Each button's ``value`` is the ask's id and its
``action_id`` ``wan_confirm`` / ``wan_dismiss`` / ``wan_approve`` / ``wan_decline``; ``ChatActions.decide``
decides who may press it.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import ACTION_PREFIX, escape
from core.messages import Messages

#: A held-back command's buttons: the requester's pair, then the approvers'.
SPEND_ACTIONS = ("confirm", "dismiss", "approve", "decline")
CONFIRM_BUTTONS = ("confirm", "dismiss")
APPROVE_BUTTONS = ("approve", "decline")


def ask_blocks(text: str, ask_id: str, actions: tuple[str, ...], messages: Messages, *,
               keep_mentions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The price (our own words, escaped; the requester's mention kept) and the buttons."""
    shown = escape(text)
    for user_id in keep_mentions:
        shown = shown.replace(f"&lt;@{user_id}&gt;", f"<@{user_id}>")
    buttons = []
    for action in actions:
        button: dict[str, Any] = {"type": "button", "action_id": f"{ACTION_PREFIX}{action}", "value": ask_id,
                                  "text": {"type": "plain_text", "text": messages(f"spend.button.{action}")}}
        if action in ("confirm", "approve"):
            button["style"] = "primary"
        buttons.append(button)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": shown, "verbatim": True}},
            {"type": "actions", "block_id": f"wan_ask_{ask_id}", "elements": buttons}]


__all__ = ["APPROVE_BUTTONS", "CONFIRM_BUTTONS", "SPEND_ACTIONS", "ask_blocks"]
