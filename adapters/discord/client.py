"""``WanClient``: the discord.py client wanbot runs — commands, buttons, readiness, endpoints.

Start-up order (what ``setup_hook`` does, after discord.py's login has fetched ``/users/@me`` and the
application): register the persistent buttons (``add_dynamic_items``), resolve and set the gateway URL
(``adapters.discord.endpoints``), and sync the ``/wan`` group — to ``DISCORD_GUILD_ID`` only when set
(instant, for development), else globally (Discord may take a while to show changes everywhere).
``on_ready`` releases the port's queued edits and uploads.

Intents: only ``guilds`` (channels, roles and the boost tier behind ``filesize_limit``); slash commands
need neither message content nor the members list.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.actions import Actions
from adapters.discord.buttons import JobButton
from adapters.discord.commands import WanGroup
from adapters.discord.endpoints import resolve_gateway, use_gateway
from adapters.discord.errors import reply_error
from adapters.discord.images import Images
from adapters.discord.port import DiscordPort
from bot.settings import Settings
from core.messages import Messages

log = logging.getLogger("wanbot.discord")


class WanClient(discord.Client):
    def __init__(self, settings: Settings, messages: Messages, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options)
        self.settings = settings
        self.messages = messages
        self.port = DiscordPort(self, messages)
        self.tree: app_commands.CommandTree[WanClient] = app_commands.CommandTree(self)
        self.tree.add_command(WanGroup(self))
        self.tree.error(self._on_command_error)
        self._actions: Actions | None = None
        self._images: Images | None = None

    def attach(self, actions: Actions, images: Images) -> None:
        """Give the handlers the running engine (done by the runner before ``start``)."""
        self._actions = actions
        self._images = images

    @property
    def actions(self) -> Actions:
        if self._actions is None:
            raise RuntimeError("WanClient.attach() was not called")
        return self._actions

    @property
    def images(self) -> Images:
        if self._images is None:
            raise RuntimeError("WanClient.attach() was not called")
        return self._images

    async def setup_hook(self) -> None:
        self.add_dynamic_items(JobButton)
        s = self.settings
        use_gateway(await resolve_gateway(self.http, s.discord_api_base, s.discord_gateway_url))
        if s.discord_guild_id is not None:
            guild = discord.Object(s.discord_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), s.discord_guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))

    async def on_ready(self) -> None:
        log.info("Discord ready as %s in %d guild(s)", self.user, len(self.guilds))
        self.port.mark_ready()

    async def _on_command_error(
        self, interaction: discord.Interaction[WanClient], error: app_commands.AppCommandError
    ) -> None:
        await reply_error(interaction, error, self.messages)
