"""Who may use wanbot where, and the Discord facts behind who may act on a job.

Allow-lists (``DISCORD_ALLOWED_GUILDS`` / ``_CHANNELS`` / ``_ROLES``) are empty by default, meaning no
restriction. A thread counts as its parent channel. Whether someone may act on a job is decided by
``core.access.authorize`` (called from ``adapters.discord.actions``); this module only says who is a
moderator here: Manage Messages in that channel — Discord's own notion of one. Changing a
channel's ``/wan defaults`` needs Manage Channels or Manage Server, the permissions that already let
someone reconfigure the channel itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.settings import Settings


@dataclass(frozen=True)
class AccessPolicy:
    guilds: frozenset[int] = frozenset()
    channels: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        return cls(
            guilds=Settings.id_list(settings.discord_allowed_guilds),
            channels=Settings.id_list(settings.discord_allowed_channels),
            roles=Settings.id_list(settings.discord_allowed_roles),
        )

    def allows(self, interaction: discord.Interaction[Any]) -> bool:
        """May this person use wanbot in this place at all?"""
        if self.guilds and interaction.guild_id not in self.guilds:
            return False
        if self.channels:
            channel = interaction.channel
            ids = {interaction.channel_id, getattr(channel, "parent_id", None)}
            if not ids & self.channels:
                return False
        if self.roles:
            user = interaction.user
            # In a DM there are no roles: a role allow-list means "guild members with these roles".
            if not isinstance(user, discord.Member) or not {r.id for r in user.roles} & self.roles:
                return False
        return True


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Messages in this channel (interaction permissions include overwrites)."""
    return interaction.guild_id is not None and interaction.permissions.manage_messages


def may_set_defaults(interaction: discord.Interaction[Any]) -> bool:
    """Manage Channels or Manage Server (interaction permissions include overwrites; not in DMs).

    Discord sends an administrator every permission bit, but a client on an older API may not: accept the
    administrator bit as well.
    """
    if interaction.guild_id is None:
        return False
    perms = interaction.permissions
    return perms.manage_channels or perms.manage_guild or perms.administrator
