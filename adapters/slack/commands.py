"""The ``/wan`` slash command.

Bolt runs the listener as a task and answers Slack when ``ack()`` is called, which must happen within
3 seconds. ``/wan video`` acknowledges only once its job is *stored*: parse the text with the shared
``core.commands.parse_command`` over the channel's defaults (``/wan defaults``, set by workspace admins
and owners), check the bot can post in the channel (bounded: ``MEMBER_CHECK_BUDGET``), then
``engine.accept`` — one insert; the status message is posted in the background — and only then
``ack()``. A kill right after Slack got its 200 therefore never loses the job. A request that cannot
be taken is answered inside the acknowledgement itself (one ephemeral sentence, through
``Caller.fail``), so nothing is queued unless the whole request is valid.

The other subcommands make no job: they acknowledge at once and answer with an ephemeral message.
``/wan status <id>`` and ``/wan cancel <id>`` go through ``core.access.authorize`` like the buttons.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.defaults import ChannelDesk
from adapters.slack.blocks import Mrkdwn, escape
from adapters.slack.context import Caller
from adapters.slack.port import MEMBER_CHECK_BUDGET, PLATFORM, SlackPort
from core.access import JobAction
from core.actions.chat import cancel_sentence
from core.commands import (
    HELP_TEXT,
    CancelCommand,
    Command,
    DefaultsCommand,
    HelpCommand,
    ImageCommand,
    StatusCommand,
    UsageCommand,
    VideoCommand,
    parse_command,
)
from core.engine import Engine
from core.messages import shorten
from core.request import ImageRequest

log = logging.getLogger("wanbot.slack")

#: How many of a user's latest jobs ``/wan cancel`` (no id) looks through: the per-user cap keeps the
#: unfinished ones among the newest few.
RECENT_FOR_CANCEL = 20

#: Generates an image request and returns the PNG files (``rt.client.generate_image`` + downloads).
ImageMaker = Callable[[ImageRequest, Path], Awaitable[list[Path]]]


class SlashCommand:
    """Handles one ``/wan ...`` invocation (acknowledging it at the right moment)."""

    def __init__(self, engine: Engine, port: SlackPort, *, images: ImageMaker | None = None) -> None:
        self.engine = engine
        self.port = port
        self.messages = engine.messages
        self.images = images
        self.desk = ChannelDesk(engine.store, self.messages, PLATFORM)

    async def __call__(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                       respond: Callable[..., Awaitable[Any]]) -> None:
        caller = Caller.from_command(body, respond, ack)
        try:
            defaults = await self.desk.defaults(caller.team_id, caller.channel_id)
            command = parse_command(str(body.get("text") or ""), defaults=defaults)
            if isinstance(command, VideoCommand):
                await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
                # Stored (durably) before Slack hears anything; the engine posts the status in the background.
                await self.engine.accept(caller.requester(), caller.conversation, command.request)
            await caller.acknowledge()
            await self.run(caller, command)
        except Exception as exc:
            await caller.fail(self.port, exc, self.messages)  # inside the ack when it is still unsent
        finally:
            await caller.acknowledge()

    async def run(self, caller: Caller, command: Command) -> None:
        """A command that made no job (``/wan video`` was accepted before the ack)."""
        if isinstance(command, ImageCommand):
            await self._image(caller, command.request)
        elif isinstance(command, StatusCommand):
            await caller.reply(self.port, await self._status(caller, command.job_id))
        elif isinstance(command, CancelCommand):
            await caller.reply(self.port, await self._cancel(caller, command.job_id))
        elif isinstance(command, UsageCommand):
            await caller.reply(self.port, await self._usage(caller))
        elif isinstance(command, HelpCommand):
            await caller.reply(self.port, Mrkdwn(f"```{escape(HELP_TEXT)}```"))
        elif isinstance(command, DefaultsCommand):
            await caller.reply(self.port, await self._defaults(caller, command))

    async def _defaults(self, caller: Caller, command: DefaultsCommand) -> str:
        # Only a change needs users.info: showing the defaults is for everyone and costs no Slack call.
        refusal = None
        if command.action != "show" and not await self.port.is_admin(caller.user_id):
            refusal = "defaults.denied.slack"
        return await self.desk.run(command, workspace_id=caller.team_id, channel_id=caller.channel_id,
                                   by=caller.user_id, refusal=refusal)

    async def _status(self, caller: Caller, job_id: str | None) -> str:
        if job_id is not None:
            jobs = [await caller.authorize(self.port, await self.engine.get(job_id), JobAction.STATUS,
                                           self.messages, job_id=job_id)]
        else:
            jobs = await self.engine.store.recent_for_user(PLATFORM, caller.team_id, caller.user_id, limit=5)
            if not jobs:
                return self.messages("job.none_active")
        return "\n".join(self.engine.view(j).as_text() for j in jobs)

    async def _cancel(self, caller: Caller, job_id: str | None) -> str:
        if job_id is None:
            # The caller's latest unfinished job *here*: a job is cancelled from its own channel only.
            recent = await self.engine.store.recent_for_user(PLATFORM, caller.team_id, caller.user_id,
                                                             limit=RECENT_FOR_CANCEL)
            active = [j for j in recent if not j.state.terminal]
            here = [j for j in active if j.conversation.channel_id == caller.channel_id]
            if not here:
                return self.messages("slack.cancel.none_here" if active else "job.none_active")
            job_id = here[0].id
        job = await caller.authorize(self.port, await self.engine.get(job_id), JobAction.CANCEL, self.messages,
                                     job_id=job_id)
        # Authorized above (owner or a moderator of the channel): the engine need not check the owner again.
        return cancel_sentence(await self.engine.cancel(job.id), job.id, self.messages)

    async def _usage(self, caller: Caller) -> Mrkdwn:
        m = self.messages
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        lines = [f"*{escape(m('usage.title'))}*"]
        for who, user_id in ((m("usage.you"), caller.user_id), (m("usage.everyone"), None)):
            for period, since in ((m("usage.today"), today), (m("usage.month"), today.replace(day=1))):
                totals = await self.engine.store.usage(since=since, platform=PLATFORM,
                                                       workspace_id=caller.team_id, user_id=user_id)
                line = m("usage.line", label=f"{who}, {period}", jobs=totals.jobs,
                         seconds=totals.billed_seconds, cost=totals.cost)
                lines.append(escape(line))
        return Mrkdwn("\n".join(lines))

    async def _image(self, caller: Caller, request: ImageRequest) -> None:
        if self.images is None:
            raise RuntimeError("image generation is not wired")
        await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
        await caller.reply(self.port, self.messages("slack.image.working", n=request.n))
        workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="wanbot-slack-image-"))
        try:
            paths = await self.images(request, workdir)
            caption = self.messages("image.done", prompt_short=shorten(request.prompt, 80), size=request.size,
                                    n=len(paths), cost=request.estimated_cost())
            for i, path in enumerate(paths):
                await self.port.upload_file(caller.conversation, path, caption=caption if i == 0 else "")
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)
