"""Votes and winners on Slack (issue 13): ``reaction_added`` / ``reaction_removed`` in, ``/wan top`` out.

* **Reactions** arrive as Events API callbacks (the app subscribes to both events; ``reactions:read``).
  The bot's own are dropped, and so is an added reaction on an item someone else posted (``item_user``):
  only the bot's status messages can be votes or approvals. The rest become ``ChatActions.react`` with a
  ``Caller`` (the workspace, the item's channel, the person; a workspace admin is a channel admin, asked
  lazily with ``users.info``) and the reaction's short name (``+1``, ``white_check_mark``: ``core.votes``
  reads it). A ✅ asks, only then, which pending approval the message is: ``conversations.history`` at
  the message's ``ts`` and its **✅ Approve** button's value (an approval is posted in the channel).
  A result's video is a file shared in a thread: a reaction on a message of the bot's that is no status
  message asks, only then, which files that message shares (``conversations.replies``), and a result's
  file makes it a vote too.
* ``/wan top`` answers ephemerally as Block Kit: one section per entry with its link and a **Promote**
  accessory button (``wan_promote``, value: the job id) where it applies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from adapters.slack.blocks import ACTION_PREFIX
from adapters.slack.context import Reply, caller_from_event
from adapters.slack.history import entry_section, send_list, title_section
from adapters.slack.port import SlackPort
from core.actions import ChatActions
from core.actions.votes import TopReport
from core.errors import PlatformError
from core.messages import Messages
from core.votes import APPROVE_EMOJI, emoji_key

log = logging.getLogger("wanbot.slack")

REACTION_EVENTS = ("reaction_added", "reaction_removed")


async def approval_of(port: SlackPort, channel: str, ts: str) -> str | None:
    """The pending approval the bot's message at ``ts`` carries (its ✅ Approve button), or ``None``."""
    try:
        data = await port.message_at(channel, ts)
    except PlatformError as exc:
        log.info("reaction on %s %s: could not read the message (%s)", channel, ts, exc.code)
        return None
    if data is None or data.get("user") != await port.bot_user():
        return None
    for block in data.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == f"{ACTION_PREFIX}approve" and element.get("value"):
                return str(element["value"])
    return None


async def on_reaction(actions: ChatActions, port: SlackPort, event: Mapping[str, Any],
                      body: Mapping[str, Any]) -> None:
    """One ``reaction_added`` / ``reaction_removed``: to ``ChatActions.react``, or dropped. Never raises."""
    item = event.get("item") or {}
    user, reaction = str(event.get("user") or ""), str(event.get("reaction") or "")
    if item.get("type") != "message" or not user or not reaction:
        return
    me = await port.bot_user()
    if user == me:
        return
    added = event.get("type") == "reaction_added"
    if added and event.get("item_user") not in (None, me):
        return
    channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
    team = body.get("team_id") or event.get("team")
    caller = caller_from_event(port, user, channel, str(team) if team else None)

    async def approval() -> str | None:
        return await approval_of(port, channel, ts)

    async def files() -> list[str]:
        try:
            return await port.files_at(channel, ts)
        except PlatformError as exc:
            log.info("reaction on %s %s: could not read its files (%s)", channel, ts, exc.code)
            return []

    try:
        await actions.react(caller, ts, reaction, added=added, aliases=files,
                            approval=approval if emoji_key(reaction) == APPROVE_EMOJI else None)
    except Exception:
        log.exception("reaction on %s %s failed", channel, ts)


def top_blocks(report: TopReport, messages: Messages) -> list[dict[str, Any]]:
    blocks = [title_section(report.title)]
    for entry in report.entries:
        section = entry_section(entry.text, entry.link, messages)
        if entry.promotable:
            section["accessory"] = {
                "type": "button", "action_id": f"{ACTION_PREFIX}promote", "value": entry.job_id, "style": "primary",
                "text": {"type": "plain_text", "text": messages("top.promote")},
            }
        blocks.append(section)
    return blocks


async def send_top(reply: Reply, port: SlackPort, report: TopReport, messages: Messages) -> None:
    await send_list(reply, port, report.title, report.text, top_blocks(report, messages))


__all__ = ["REACTION_EVENTS", "approval_of", "on_reaction", "send_top", "top_blocks"]
