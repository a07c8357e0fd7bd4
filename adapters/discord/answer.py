"""The first answer to an interaction that makes a job: the status message itself, or a defer, then the status.

Discord drops an interaction not answered within 3 s of its creation (10062). wanbot answers a new job's
interaction with its status message, which exists only once the job is stored; normally that is a few
milliseconds. When it is not (a loaded machine, a slow database), ``FirstAnswer`` *defers* the
interaction at ``DEFER_AFTER`` seconds after its creation — Discord shows "wanbot is thinking…", publicly,
as the interaction's original response — and the status is then written **into that same message**
(``edit_original_response``), whose id is stored like any status message's, so every later edit goes
through the channel endpoint as usual: still one message per job, edited in place.

If the job is refused after a defer, the "thinking…" message is deleted and the refusal goes out as an
ephemeral followup (``adapters.discord.errors``), exactly as a refusal without a defer reads.

The deferral and the status post never race: whichever comes first claims the response (no await
between the check and the claim); the status post waits for a defer already on its way and edits it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord

from adapters.discord.port import NO_MENTIONS, DiscordPort
from core.port import ConversationRef, MessageRef, StatusView

log = logging.getLogger("wanbot.discord")

#: Seconds after the interaction's creation when a job not yet stored gets a defer instead (Discord: 3 s).
DEFER_AFTER = 1.5

_SENDING = (discord.HTTPException, discord.InteractionResponded, aiohttp.ClientError, TimeoutError)


class FirstAnswer:
    """One job-making interaction's response (create with ``start``; hand ``post`` to the engine)."""

    def __init__(self, interaction: discord.Interaction[Any], port: DiscordPort,
                 conversation: ConversationRef) -> None:
        self.interaction = interaction
        self.port = port
        self.conversation = conversation
        #: Set by whichever of the status post and the defer took the response first.
        self._claimed = False
        self._deferred = False
        self._timer: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, interaction: discord.Interaction[Any], port: DiscordPort, conversation: ConversationRef,
              *, defer_after: float = DEFER_AFTER) -> FirstAnswer:
        answer = cls(interaction, port, conversation)
        age = (datetime.now(UTC) - interaction.created_at).total_seconds()
        # A clock behind Discord's gives a negative age: never wait longer than the bound itself.
        delay = min(defer_after, max(0.0, defer_after - age))
        answer._timer = asyncio.create_task(answer._defer_in(delay, defer_after),
                                            name=f"wanbot-defer-{interaction.id}")
        return answer

    async def _defer_in(self, delay: float, bound: float) -> None:
        await asyncio.sleep(delay)
        if self._claimed:
            return
        self._claimed = True
        try:
            await self.interaction.response.defer(thinking=True)
        except _SENDING as exc:
            log.warning("interaction %s: the defer failed (%s)", self.interaction.id, exc)
            return
        self._deferred = True
        log.info("interaction %s: deferred (no status %.1f s after it was created)", self.interaction.id, bound)

    async def _settled(self) -> None:
        """Claim the response, or wait for the defer that claimed it to be sent."""
        if not self._claimed:
            self._claimed = True
            if self._timer is not None:
                self._timer.cancel()  # still asleep: nothing was sent
            return
        if self._timer is not None:
            await asyncio.gather(self._timer, return_exceptions=True)

    async def post(self, view: StatusView) -> MessageRef:
        """The engine's ``PostStatus``: the status as the response, or into the deferred response."""
        await self._settled()
        try:
            if self._deferred:
                edited = await self.interaction.edit_original_response(**self.port.status_payload(view))
                return MessageRef(self.conversation, str(edited.id))
            if not self.interaction.response.is_done():
                answer = await self.interaction.response.send_message(**self.port.status_payload(view))
                message_id = answer.message_id if answer.resource is None else answer.resource.id
                if message_id is not None:
                    return MessageRef(self.conversation, str(message_id))
                log.warning("job %s: the interaction response carried no message id", view.job_id)
        except _SENDING as exc:
            log.warning("job %s: the interaction response failed (%s); posting in the channel", view.job_id, exc)
        # A lost answer does not mean no message: adopt the one it made rather than post a second.
        found = await self.port.find_status(self.conversation, view.job_id)
        return found if found is not None else await self.port.post_status(self.conversation, view)

    async def elsewhere(self, text: str) -> None:
        """The job's status message went elsewhere (into an idea's thread, posted by the engine): answer with
        ``text`` for the person alone, or put it into a "thinking…" answer already given."""
        await self._settled()
        try:
            if self._deferred:
                await self.interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
            elif not self.interaction.response.is_done():
                await self.interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except _SENDING as exc:
            log.warning("interaction %s: could not say where the job went (%s)", self.interaction.id, exc)

    async def abandon(self) -> None:
        """No job after all (a refusal): take back a "thinking…" response, so only the refusal remains."""
        await self._settled()
        if self._deferred:
            with contextlib.suppress(*_SENDING):
                await self.interaction.delete_original_response()


__all__ = ["DEFER_AFTER", "FirstAnswer"]
