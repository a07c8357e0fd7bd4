"""Votes and winners on Discord (issue 13): reactions in, ``/wan top`` out.

* **Reactions** arrive as raw gateway events (``on_raw_reaction_add`` / ``_remove``: the message need not be
  in discord.py's cache), which Discord sends only with the ``GUILD_MESSAGE_REACTIONS`` intent
  (``adapters.discord.client``). The bot's own are dropped; so is an added reaction on a message someone
  else wrote (``message_author_id``: only the bot's status and result messages can be votes or approvals),
  before anything is read. The rest become ``ChatActions.react`` with a ``Caller`` read from the event: in a
  thread (known to the cache) the channel is its parent; the member's roles; a channel admin when the
  cached channel's permissions say so. A ✅ asks, only then, which pending approval the message is: it
  fetches the message and reads its **✅ Approve** button's ``wan:approve:<ask id>``.
* ``/wan top`` answers ephemerally: one embed of the entries (plain text, links clickable) and a
  **Promote** button per entry that can be promoted (``wan:promote:<job>``, a ``JobButton``).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord import PLATFORM
from adapters.discord.buttons import JobButton, parse_custom_id
from adapters.discord.errors import send_ephemeral
from adapters.discord.markup import fitted
from core.actions import Caller, ChatActions
from core.actions.votes import TopReport
from core.messages import Messages
from core.votes import APPROVE_EMOJI, emoji_key

log = logging.getLogger("wanbot.discord")

#: Discord's limits: an embed's title and description; a button's label.
_TITLE, _DESCRIPTION, _LABEL = 256, 4096, 80


def reaction_caller(client: discord.Client, payload: discord.RawReactionActionEvent) -> Caller:
    """Who reacted and where, as ``core.actions`` reads it."""
    channel_id, thread_id = str(payload.channel_id), None
    channel = client.get_channel(payload.channel_id)
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        channel_id, thread_id = str(channel.parent_id), str(channel.id)
    member = payload.member
    roles = frozenset(str(role.id) for role in member.roles) if member is not None else frozenset()
    admin = False
    if member is not None and isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        perms = channel.permissions_for(member)
        admin = perms.manage_channels or perms.manage_guild or perms.administrator
    return Caller(platform=PLATFORM, workspace_id=str(payload.guild_id) if payload.guild_id else None,
                  channel_id=channel_id, user_id=str(payload.user_id),
                  user_name=member.name if member is not None else None, thread_id=thread_id, roles=roles,
                  channel_admin=admin)


async def approval_of(client: discord.Client, payload: discord.RawReactionActionEvent) -> str | None:
    """The pending approval a message of the bot's carries (its ✅ Approve button), or ``None``."""
    channel = client.get_partial_messageable(payload.channel_id, guild_id=payload.guild_id)
    try:
        message = await channel.fetch_message(payload.message_id)
    except discord.HTTPException as exc:
        log.info("reaction on message %s: could not read it (%s)", payload.message_id, exc)
        return None
    if client.user is None or message.author.id != client.user.id:
        return None
    for row in message.components:
        for item in getattr(row, "children", ()):
            parsed = parse_custom_id(str(getattr(item, "custom_id", "") or ""))
            if parsed is not None and parsed[0] == "approve":
                return parsed[1]
    return None


async def on_reaction(client: discord.Client, actions: ChatActions, payload: discord.RawReactionActionEvent, *,
                      added: bool) -> None:
    """A raw reaction event: to ``ChatActions.react``, or dropped (see the module docstring). Never raises."""
    me = client.user
    if me is None or payload.user_id == me.id:
        return
    if added and payload.message_author_id is not None and payload.message_author_id != me.id:
        return
    emoji = payload.emoji.name or ""
    if not emoji:
        return
    caller = reaction_caller(client, payload)

    async def approval() -> str | None:
        return await approval_of(client, payload)

    try:
        await actions.react(caller, str(payload.message_id), emoji, added=added,
                            approval=approval if emoji_key(emoji) == APPROVE_EMOJI else None)
    except Exception:
        log.exception("reaction on message %s failed", payload.message_id)


def top_embed(report: TopReport) -> discord.Embed:
    body = "\n\n".join(entry.text for entry in report.entries)
    return discord.Embed(title=fitted(report.title, _TITLE), description=fitted(body, _DESCRIPTION) or None)


def top_buttons(report: TopReport, messages: Messages) -> discord.ui.View | None:
    promotable = [entry for entry in report.entries if entry.promotable]
    if not promotable:
        return None
    view = discord.ui.View(timeout=None)
    for entry in promotable:  # at most 10: two rows of five
        view.add_item(JobButton("promote", entry.job_id, label=f"{messages('top.promote')} · {entry.job_id}"[:_LABEL]))
    return view


async def send_top(interaction: discord.Interaction[Any], report: TopReport, messages: Messages) -> None:
    await send_ephemeral(interaction, embeds=[top_embed(report)], view=top_buttons(report, messages))


__all__ = ["approval_of", "on_reaction", "reaction_caller", "send_top", "top_buttons", "top_embed"]
