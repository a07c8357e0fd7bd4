"""What wanbot does for a Discord user: the flows behind slash commands, buttons and modals.

``Actions`` turns an interaction into engine calls. Its promises:

* a new job is stored before Discord hears anything (``Engine.accept``: validate, insert, return); the
  engine then posts the first status in the background, through this module's poster, as the
  interaction's own **non-ephemeral** response — well inside Discord's 3 s, since only the insert came
  first. Its id is stored, so every later edit goes through the channel endpoint (``DiscordPort``), never
  the token. If the response fails, the poster adopts the message it may have made anyway
  (``DiscordPort.find_status``) or posts the status in the channel, so the person still gets a word;
* every action on an existing job — a button, the Remix modal (opening and submitting), ``/wan status``
  and ``/wan cancel`` with or without an id — is checked by ``core.access.authorize`` against an
  ``Actor`` built here (``actor_of``), so a forged payload for a job elsewhere is "not found";
* a thread counts as its parent channel, for the allow-lists, the channel defaults, access and the job's
  ``ConversationRef`` alike (``place_of``); the thread itself is kept as the conversation's ``thread_id``,
  so messages still go there;
* refusals and errors are ephemeral and go through ``adapters.discord.errors``; nothing echoed pings or
  renders as markup (``adapters.discord.markup``);
* a request without a seed gets one here, so "1080P" can repeat the same video sharper later;
* ``/wan video`` and ``/wan storyboard`` start from the channel's defaults (``channel_defaults``); re-roll,
  remix and 1080P keep the job's request.
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
from adapters.discord.access import AccessPolicy, is_moderator, may_set_defaults
from adapters.discord.errors import Refusal, reply_error, send_ephemeral
from adapters.discord.markup import fitted, plain
from adapters.discord.port import NO_MENTIONS, DiscordPort
from adapters.discord.render import status_embed
from core.access import Actor, JobAction, authorize
from core.actions.chat import cancel_sentence
from core.commands import DefaultsCommand
from core.engine import Engine
from core.errors import PlatformError
from core.jobbook import PostStatus
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


def guild_of(interaction: discord.Interaction[Any]) -> str | None:
    return str(interaction.guild_id) if interaction.guild_id else None


def place_of(interaction: discord.Interaction[Any]) -> tuple[str, str | None]:
    """``(channel, thread)`` of an interaction: in a thread, its parent channel and the thread itself.

    The one notion of "where" for this adapter: jobs are stored under the channel (with the thread as
    ``thread_id``), clicks are checked against the channel, defaults and allow-lists are the channel's.
    """
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return str(channel.parent_id), str(channel.id)
    return str(interaction.channel_id), None


def requester_of(interaction: discord.Interaction[Any]) -> Requester:
    return Requester(platform=PLATFORM, user_id=str(interaction.user.id), channel_id=place_of(interaction)[0],
                     workspace_id=guild_of(interaction), user_name=interaction.user.name)


def defaults_channel_of(interaction: discord.Interaction[Any]) -> str:
    """The channel whose defaults apply: a thread's parent, so a thread behaves like its channel."""
    return place_of(interaction)[0]


def conversation_of(interaction: discord.Interaction[Any]) -> ConversationRef:
    channel, thread = place_of(interaction)
    return ConversationRef(platform=PLATFORM, channel_id=channel, workspace_id=guild_of(interaction),
                           thread_id=thread)


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """Who acts, and where, for ``core.access.authorize``: the same channel notion as ``conversation_of``;
    a moderator has Manage Messages in that channel (Discord computes the permissions for it)."""
    return Actor(platform=PLATFORM, workspace_id=guild_of(interaction), channel_id=place_of(interaction)[0],
                 user_id=str(interaction.user.id), moderator=is_moderator(interaction))


#: What a typed or forged job id may show of itself in a reply.
_SHOWN_ID = 40


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

    async def authorized(self, interaction: discord.Interaction[Any], job_id: str,
                         action: JobAction | str) -> Job:
        """The job, if this person may take ``action`` on it from here; else ``ActionRefused``."""
        job = await self.engine.get(job_id)
        return authorize(job, actor_of(interaction), action, self.messages,
                         job_id=fitted(job_id, _SHOWN_ID))

    # -- the video flow ----------------------------------------------------------------------------------

    async def submit_video(self, interaction: discord.Interaction[Any], request: GenerationRequest) -> Job:
        """Store and queue ``request``; the engine then answers with its status message (see the top)."""
        self.check_access(interaction)
        conversation = conversation_of(interaction)
        return await self.engine.accept(requester_of(interaction), conversation, request,
                                        post_status=self.status_poster(interaction, conversation))

    def status_poster(self, interaction: discord.Interaction[Any], conversation: ConversationRef) -> PostStatus:
        """Post a new job's first status as the interaction's response, or else in the channel."""

        async def post_status(view: StatusView) -> MessageRef:
            try:
                answer = await interaction.response.send_message(**self.port.status_payload(view))
            except (discord.HTTPException, discord.InteractionResponded, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("job %s: the interaction response failed (%s); posting in the channel", view.job_id,
                            exc)
            else:
                message_id = answer.message_id if answer.resource is None else answer.resource.id
                if message_id is not None:
                    return MessageRef(conversation, str(message_id))
                log.warning("job %s: the interaction response carried no message id", view.job_id)
            # A lost answer does not mean no message: adopt the one it made rather than post a second.
            found = await self.port.find_status(conversation, view.job_id)
            return found if found is not None else await self.port.post_status(conversation, view)

        return post_status

    async def channel_defaults(self, interaction: discord.Interaction[Any]) -> dict[str, Any]:
        """The defaults to put under a new ``/wan video`` here (``{}`` when the channel has none)."""
        return await self.desk.defaults(guild_of(interaction), defaults_channel_of(interaction))

    async def defaults(self, interaction: discord.Interaction[Any], command: DefaultsCommand) -> None:
        """``/wan defaults``: show for anyone allowed to use wanbot; change for channel/server managers."""
        self.check_access(interaction)
        refusal = None if may_set_defaults(interaction) else "defaults.denied.discord"
        text = await self.desk.run(command, workspace_id=guild_of(interaction),
                                   channel_id=defaults_channel_of(interaction), by=str(interaction.user.id),
                                   refusal=refusal)
        await send_ephemeral(interaction, plain(text))  # it quotes the stored negative prompt

    async def cancel(self, interaction: discord.Interaction[Any], job_id: str | None) -> None:
        self.check_access(interaction)
        if job_id is None:
            latest = await self.engine.store.latest_active_for_user(PLATFORM, guild_of(interaction),
                                                                    str(interaction.user.id))
            if latest is None:
                raise Refusal(self.messages("job.none_active"))
            job_id = latest.id
        job = await self.authorized(interaction, job_id, JobAction.CANCEL)
        await send_ephemeral(interaction, cancel_sentence(await self.engine.cancel(job.id), job.id, self.messages))

    async def status(self, interaction: discord.Interaction[Any], job_id: str | None) -> None:
        self.check_access(interaction)
        if job_id is None:
            recent = await self.engine.store.recent_for_user(PLATFORM, guild_of(interaction),
                                                             str(interaction.user.id), limit=1)
            if not recent:
                raise Refusal(self.messages("job.none_active"))
            job_id = recent[0].id
        job = await self.authorized(interaction, job_id.strip().lower(), JobAction.STATUS)
        embed = status_embed(self.engine.view(job))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def usage(self, interaction: discord.Interaction[Any]) -> None:
        self.check_access(interaction)
        m = self.messages
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        periods = ((m("usage.today"), today), (m("usage.month"), today.replace(day=1)))
        guild = guild_of(interaction)
        lines = []
        for who, user_id in ((m("usage.you"), str(interaction.user.id)), (m("usage.everyone"), None)):
            for period, since in periods:
                totals = await self.engine.store.usage(since=since, platform=PLATFORM, workspace_id=guild,
                                                       user_id=user_id)
                label = m("discord.usage.label", who=who, period=period)
                lines.append(m("usage.line", label=label, jobs=totals.jobs, seconds=totals.billed_seconds,
                               cost=totals.cost))
        embed = discord.Embed(title=m("usage.title"), description="\n".join(lines))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- buttons -----------------------------------------------------------------------------------------

    async def on_button(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None:
        try:
            self.check_access(interaction)
            if action not in set(JobAction) - {JobAction.STATUS}:
                raise Refusal(self.messages("job.not_found", job_id=job_id))
            job = await self.authorized(interaction, job_id, action)
            if action == "cancel":
                outcome = await self.engine.cancel(job.id)
                await send_ephemeral(interaction, cancel_sentence(outcome, job.id, self.messages))
            elif action == "delete":
                await self._delete(interaction, job)
            elif action == "reroll":
                await self.submit_video(interaction, job.request.with_changes(seed=random_seed()))
            elif action == "upscale":
                seed = job.request.seed if job.request.seed is not None else random_seed()
                await self.submit_video(interaction, job.request.with_changes(resolution="1080P", seed=seed))
            else:  # remix
                from adapters.discord.modals import RemixModal

                await interaction.response.send_modal(RemixModal(self, job))
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

