"""Who asked, and where, on Discord: an interaction read into ``core.actions.Caller``.

The one notion of "where" for this adapter: in a thread, the channel is the thread's parent and the
thread is kept as ``thread_id`` (so jobs, defaults, allow-lists and access are the channel's, while
answers still go to the thread). Roles are the member's role ids (none in a DM). The two permissions,
in Discord's own terms, come from the interaction's permissions (which include channel overwrites, so
no call is needed): a **moderator** has Manage Messages in this channel; a **channel admin** has Manage
Channels or Manage Server — the permissions that already let someone reconfigure the channel — or
Administrator (Discord sends an administrator every bit, but a client on an older API may not). In a DM
nobody is either. The answer's language (``locale_of``) is the person's Discord language, then the
server's, then ``WANBOT_LOCALE``.
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord import PLATFORM
from core.actions import Caller
from core.locale import adopt, pick


def place_of(interaction: discord.Interaction[Any]) -> tuple[str, str | None]:
    """``(channel, thread)`` of an interaction: in a thread, its parent channel and the thread itself."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return str(channel.parent_id), str(channel.id)
    return str(interaction.channel_id), None


def locale_of(interaction: discord.Interaction[Any], default: str) -> str:
    """The language to answer ``interaction`` in: the person's Discord language if wanbot speaks it, else the
    server's (``guild_locale``), else ``default`` (``WANBOT_LOCALE``)."""
    return pick(interaction.locale, interaction.guild_locale, default=default)


def adopt_locale(interaction: discord.Interaction[Any], default: str) -> None:
    """Answer the rest of this interaction's task in its language (``core.locale``): called first thing in
    each of the tasks discord.py runs an interaction in — the command tree's, a button's, a modal's."""
    adopt(locale_of(interaction, default))


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    channel, thread = place_of(interaction)
    in_guild = interaction.guild_id is not None
    perms = interaction.permissions
    user = interaction.user
    roles = frozenset(str(role.id) for role in user.roles) if isinstance(user, discord.Member) else frozenset()
    return Caller(
        platform=PLATFORM,
        workspace_id=str(interaction.guild_id) if in_guild else None,
        channel_id=channel,
        user_id=str(user.id),
        user_name=user.name,
        thread_id=thread,
        roles=roles,
        moderator=in_guild and perms.manage_messages,
        channel_admin=in_guild and (perms.manage_channels or perms.manage_guild or perms.administrator),
        locale=str(interaction.locale),
    )


__all__ = ["adopt_locale", "caller_of", "locale_of", "place_of"]
