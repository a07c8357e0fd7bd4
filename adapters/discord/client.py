"""``WanClient``: the discord.py client wanbot runs — commands, buttons, readiness, endpoints.

Start-up order (what ``setup_hook`` does, after discord.py's login has fetched ``/users/@me`` and the
application): register the persistent buttons (``add_dynamic_items``), resolve and set the gateway URL
(``adapters.discord.endpoints``), and sync the ``/wan`` group and the message menus — to
``DiscordConfig.guild_id`` only when set (instant, for development), else globally (Discord may take a
while to show changes everywhere). ``on_ready`` releases the port's queued edits and uploads. A click on a
job's button arrives as ``on_job_button`` (``adapters.discord.buttons.JobButtonHandler``) and goes to the
handlers.

Intents: ``guilds`` (channels, roles and the boost tier behind ``filesize_limit``) and, for issue 13's
votes, ``guild_reactions`` (GUILD_MESSAGE_REACTIONS: a reaction on a result is a vote, an approver's ✅
approves; ``adapters.discord.votes``, raw events so uncached messages count); slash commands need neither
message content nor the members list.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.buttons import JobButton
from adapters.discord.caller import adopt_locale
from adapters.discord.commands import WanGroup, message_menus
from adapters.discord.config import DiscordConfig
from adapters.discord.endpoints import resolve_gateway, use_gateway
from adapters.discord.handlers import Handlers
from adapters.discord.port import DiscordPort
from adapters.discord.translator import WanTranslator
from core.messages import Messages

log = logging.getLogger("wanbot.discord")


class WanTree(app_commands.CommandTree["WanClient"]):
    """The command tree: every slash command and message menu is answered in the interaction's language."""

    async def interaction_check(self, interaction: discord.Interaction[WanClient], /) -> bool:
        # In the task discord.py runs this command in, before the command and its error handler.
        adopt_locale(interaction, self.client.config.locale)
        return True


class WanClient(discord.Client):
    def __init__(self, config: DiscordConfig, messages: Messages, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True  # issue 13: votes and ✅ approvals
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options)
        self.config = config
        self.port = DiscordPort(self, messages)
        self.handlers = Handlers(self.port, messages)
        self.tree: WanTree = WanTree(self)
        self.tree_translator = WanTranslator()
        self.tree.add_command(WanGroup(self.handlers))
        for menu in message_menus(self.handlers):
            self.tree.add_command(menu)
        self.tree.error(self._on_command_error)

    async def on_job_button(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None:
        adopt_locale(interaction, self.config.locale)  # the button's own task: answered in the clicker's language
        await self.handlers.on_button(interaction, action, job_id)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.handlers.on_reaction(self, payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.handlers.on_reaction(self, payload, added=False)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(JobButton)
        await self.tree.set_translator(self.tree_translator)  # zh-CN descriptions and choices at sync
        c = self.config
        use_gateway(await resolve_gateway(self.http, c.api_base, c.gateway_url))
        if c.guild_id is not None:
            guild = discord.Object(c.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), c.guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))

    async def on_ready(self) -> None:
        log.info("Discord ready as %s in %d guild(s)", self.user, len(self.guilds))
        self.port.mark_ready()

    async def _on_command_error(
        self, interaction: discord.Interaction[WanClient], error: app_commands.AppCommandError
    ) -> None:
        await self.handlers.fail(interaction, error)
