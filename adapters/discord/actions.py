"""What wanbot does for a Discord user: the flows behind slash commands, buttons and modals.

``Actions`` turns an interaction into engine calls. Its promises:

* the first response is sent within Discord's 3 s: validate, store and queue (``Engine.submit``), then
  answer with the **non-ephemeral** status message, which is the interaction's own response; its id is
  stored so every later edit goes through the channel endpoint (``DiscordPort``), never the token;
* refusals and errors are ephemeral and go through ``adapters.discord.errors``;
* a request without a seed gets one here, so "1080P" can repeat the same video sharper later;
* ``/wan video`` and ``/wan storyboard`` start from the channel's defaults (``channel_defaults``; a thread
  uses its parent channel's, as the allow-lists do); re-roll, remix and 1080P keep the job's request.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord

from adapters.defaults import ChannelDesk
from adapters.discord import PLATFORM
from adapters.discord.access import AccessPolicy, may_act, may_set_defaults
from adapters.discord.errors import Refusal, reply_error, send_ephemeral
from adapters.discord.port import DiscordPort, platform_error
from adapters.discord.render import status_embed
from core.commands import DefaultsCommand
from core.engine import Engine
from core.errors import PlatformError
from core.jobs import Job, Requester
from core.messages import Messages
from core.port import ConversationRef, MessageRef, StatusView
from core.request import MAX_SEED, GenerationRequest

log = logging.getLogger("wanbot.discord")


def random_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


@dataclass(frozen=True)
class Services:
    """What the handlers need from the running wanbot (``bot.runtime.Runtime``)."""

    engine: Engine
    messages: Messages
    access: AccessPolicy


def requester_of(interaction: discord.Interaction[Any]) -> Requester:
    guild = str(interaction.guild_id) if interaction.guild_id else None
    return Requester(platform=PLATFORM, user_id=str(interaction.user.id), channel_id=str(interaction.channel_id),
                     workspace_id=guild, user_name=interaction.user.name)


def defaults_channel_of(interaction: discord.Interaction[Any]) -> str:
    """The channel whose defaults apply: a thread's parent, so a thread behaves like its channel."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return str(channel.parent_id)
    return str(interaction.channel_id)


def conversation_of(interaction: discord.Interaction[Any]) -> ConversationRef:
    guild = str(interaction.guild_id) if interaction.guild_id else None
    return ConversationRef(platform=PLATFORM, channel_id=str(interaction.channel_id), workspace_id=guild)


class Actions:
    def __init__(self, services: Services, port: DiscordPort) -> None:
        self.engine = services.engine
        self.messages = services.messages
        self.access = services.access
        self.port = port
        self.desk = ChannelDesk(self.engine.store, self.messages, PLATFORM)

    # -- checks ------------------------------------------------------------------------------------------

    def check_access(self, interaction: discord.Interaction[Any]) -> None:
        if not self.access.allows(interaction):
            raise Refusal(self.messages("access.denied"))

    async def job_for(self, interaction: discord.Interaction[Any], job_id: str) -> Job:
        """The job, if it belongs to this server (or this DM); otherwise a refusal."""
        job = await self.engine.get(job_id)
        here = str(interaction.guild_id) if interaction.guild_id else None
        if job is None or job.conversation.platform != PLATFORM or job.conversation.workspace_id != here:
            raise Refusal(self.messages("job.not_found", job_id=job_id))
        return job

    # -- the video flow ----------------------------------------------------------------------------------

    async def submit_video(self, interaction: discord.Interaction[Any], request: GenerationRequest) -> Job:
        """Queue ``request`` and answer with its status message (the interaction's public response)."""
        self.check_access(interaction)
        conversation = conversation_of(interaction)

        async def post_status(view: StatusView) -> MessageRef:
            try:
                answer = await interaction.response.send_message(**self.port.status_payload(view))
            except (discord.HTTPException, discord.InteractionResponded, aiohttp.ClientError, TimeoutError) as exc:
                raise platform_error(exc, "status as interaction response") from exc
            message_id = answer.message_id if answer.resource is None else answer.resource.id
            if message_id is None:
                raise PlatformError("the interaction response carried no message", code="NoMessage")
            return MessageRef(conversation, str(message_id))

        job = await self.engine.submit(requester_of(interaction), conversation, request, post_status=post_status)
        if not interaction.response.is_done():
            # The response failed; the engine posts the status through the channel on the next change.
            await send_ephemeral(interaction, self.messages("queued.ack", job_id=job.id))
        return job

    async def channel_defaults(self, interaction: discord.Interaction[Any]) -> dict[str, Any]:
        """The defaults to put under a new ``/wan video`` here (``{}`` when the channel has none)."""
        guild = str(interaction.guild_id) if interaction.guild_id else None
        return await self.desk.defaults(guild, defaults_channel_of(interaction))

    async def defaults(self, interaction: discord.Interaction[Any], command: DefaultsCommand) -> None:
        """``/wan defaults``: show for anyone allowed to use wanbot; change for channel/server managers."""
        self.check_access(interaction)
        guild = str(interaction.guild_id) if interaction.guild_id else None
        refusal = None if may_set_defaults(interaction) else "defaults.denied.discord"
        text = await self.desk.run(command, workspace_id=guild, channel_id=defaults_channel_of(interaction),
                                   by=str(interaction.user.id), refusal=refusal)
        await send_ephemeral(interaction, text)

    async def cancel(self, interaction: discord.Interaction[Any], job_id: str | None) -> None:
        self.check_access(interaction)
        if job_id is None:
            guild = str(interaction.guild_id) if interaction.guild_id else None
            latest = await self.engine.store.latest_active_for_user(PLATFORM, guild, str(interaction.user.id))
            if latest is None:
                raise Refusal(self.messages("job.none_active"))
            job_id = latest.id
        job = await self.job_for(interaction, job_id)
        if not may_act(interaction, job, moderators=True):
            raise Refusal(self.messages("cancel.not_yours", job_id=job.id))
        await send_ephemeral(interaction, await self.engine.cancel(job.id))

    async def status(self, interaction: discord.Interaction[Any], job_id: str | None) -> None:
        self.check_access(interaction)
        if job_id is None:
            guild = str(interaction.guild_id) if interaction.guild_id else None
            recent = await self.engine.store.recent_for_user(PLATFORM, guild, str(interaction.user.id), limit=1)
            if not recent:
                raise Refusal(self.messages("job.none_active"))
            job = recent[0]
        else:
            job = await self.job_for(interaction, job_id.strip().lower())
        embed = status_embed(self.engine.view(job))
        await interaction.response.send_message(embed=embed, ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    async def usage(self, interaction: discord.Interaction[Any]) -> None:
        self.check_access(interaction)
        m = self.messages
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        periods = ((m("usage.today"), today), (m("usage.month"), today.replace(day=1)))
        guild = str(interaction.guild_id) if interaction.guild_id else None
        lines = []
        for who, user_id in ((m("usage.you"), str(interaction.user.id)), (m("usage.everyone"), None)):
            for period, since in periods:
                totals = await self.engine.store.usage(since=since, platform=PLATFORM, workspace_id=guild,
                                                       user_id=user_id)
                label = m("discord.usage.label", who=who, period=period)
                lines.append(m("usage.line", label=label, jobs=totals.jobs, seconds=totals.billed_seconds,
                               cost=totals.cost))
        embed = discord.Embed(title=m("usage.title"), description="\n".join(lines))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- buttons -----------------------------------------------------------------------------------------

    async def on_button(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None:
        try:
            self.check_access(interaction)
            job = await self.job_for(interaction, job_id)
            moderators = action in ("cancel", "delete")
            if not may_act(interaction, job, moderators=moderators):
                raise Refusal(self.messages("action.not_yours"))
            if action == "cancel":
                await send_ephemeral(interaction, await self.engine.cancel(job.id))
            elif action == "delete":
                await self._delete(interaction, job)
            elif action == "reroll":
                await self.submit_video(interaction, job.request.with_changes(seed=random_seed()))
            elif action == "upscale":
                seed = job.request.seed if job.request.seed is not None else random_seed()
                await self.submit_video(interaction, job.request.with_changes(resolution="1080P", seed=seed))
            elif action == "remix":
                from adapters.discord.modals import RemixModal

                await interaction.response.send_modal(RemixModal(self, job))
            else:
                raise Refusal(self.messages("job.not_found", job_id=job_id))
        except Exception as exc:
            await reply_error(interaction, exc, self.messages)

    async def _delete(self, interaction: discord.Interaction[Any], job: Job) -> None:
        await send_ephemeral(interaction, self.messages("action.deleted"))
        for ref in (job.delivered_ref, job.status_ref):
            if ref is None:
                continue
            try:
                await self.port.delete_message(ref)
            except PlatformError as exc:
                log.warning("job %s: could not delete message %s: %s", job.id, ref.message_id, exc)

