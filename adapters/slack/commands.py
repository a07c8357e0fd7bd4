"""The ``/wan`` slash command.

Bolt runs the listener as a task and answers Slack as soon as ``ack()`` is called, so the listener acks
first (Slack's 3-second deadline) and then does the work: parse the text with the shared
``core.commands.parse_command`` over the channel's defaults (``/wan defaults``, set by workspace admins
and owners), check the bot can post in the channel, and hand the request to the engine, which posts
and edits the status message. Every problem becomes one ephemeral sentence through
``Caller.fail``; nothing is queued unless the whole request is valid.
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
from adapters.slack.port import PLATFORM, SlackPort
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
from core.jobs import Job
from core.messages import shorten
from core.request import ImageRequest

log = logging.getLogger("wanbot.slack")

#: Generates an image request and returns the PNG files (``rt.client.generate_image`` + downloads).
ImageMaker = Callable[[ImageRequest, Path], Awaitable[list[Path]]]


class SlashCommand:
    """Handles one ``/wan ...`` invocation after it has been acknowledged."""

    def __init__(self, engine: Engine, port: SlackPort, *, images: ImageMaker | None = None) -> None:
        self.engine = engine
        self.port = port
        self.messages = engine.messages
        self.images = images
        self.desk = ChannelDesk(engine.store, self.messages, PLATFORM)

    async def __call__(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                       respond: Callable[..., Awaitable[Any]]) -> None:
        await ack()
        caller = Caller.from_command(body, respond)
        try:
            defaults = await self.desk.defaults(caller.team_id, caller.channel_id)
            command = parse_command(str(body.get("text") or ""), defaults=defaults)
            await self.run(caller, command)
        except Exception as exc:
            await caller.fail(self.port, exc, self.messages)

    async def run(self, caller: Caller, command: Command) -> None:
        if isinstance(command, VideoCommand):
            await self.port.ensure_member(caller.channel_id)
            await self.engine.submit(caller.requester(), caller.conversation, command.request)
        elif isinstance(command, ImageCommand):
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
            job = await self._visible_job(caller, job_id)
            if job is None:
                return self.messages("job.not_found", job_id=job_id)
            jobs = [job]
        else:
            jobs = await self.engine.store.recent_for_user(PLATFORM, caller.team_id, caller.user_id, limit=5)
            if not jobs:
                return self.messages("job.none_active")
        return "\n".join(self.engine.view(j).as_text() for j in jobs)

    async def _cancel(self, caller: Caller, job_id: str | None) -> str:
        if job_id is None:
            latest = await self.engine.store.latest_active_for_user(PLATFORM, caller.team_id, caller.user_id)
            if latest is None:
                return self.messages("job.none_active")
            job_id = latest.id
        elif await self._visible_job(caller, job_id) is None:
            return self.messages("job.not_found", job_id=job_id)
        return await self.engine.cancel(job_id, user_id=caller.user_id)

    async def _visible_job(self, caller: Caller, job_id: str) -> Job | None:
        """A job of this Slack workspace (ids of other platforms or workspaces are "not found")."""
        job = await self.engine.get(job_id)
        if job is None or job.requester.platform != PLATFORM or job.requester.workspace_id != caller.team_id:
            return None
        return job

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
        await self.port.ensure_member(caller.channel_id)
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
