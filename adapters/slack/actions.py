"""The status message's buttons and the remix modal.

A button's ``value`` is the job id and its ``action_id`` says what to do (``wan_cancel``, ``wan_reroll``,
``wan_remix``, ``wan_upscale``, ``wan_delete``). The job is read from the engine (memory or store), so a
button works on a message posted before a restart. Re-roll, 1080P and remix create a new job for the
person who clicked (their cap, their usage) in the original channel; cancel and delete are for the
requester only.

Remix opens a modal (``views.open`` needs the click's ``trigger_id`` within 3 seconds, so it is opened
right after ``ack()``); its submission is validated before it is acknowledged, so a bad prompt shows as
an error under the field instead of a lost request.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.blocks import ACTION_PREFIX
from adapters.slack.context import Caller
from adapters.slack.port import PLATFORM, SlackPort
from core.engine import Engine
from core.errors import InvalidRequest
from core.jobs import Job
from core.request import MAX_SEED, GenerationRequest

log = logging.getLogger("wanbot.slack")

REMIX_CALLBACK = "wan_remix_modal"
_PROMPT_BLOCK = "prompt"
_PROMPT_INPUT = "prompt"
#: Slack's plain_text_input takes at most 3000 characters.
_INPUT_LIMIT = 3000

Ack = Callable[..., Awaitable[Any]]


class Buttons:
    def __init__(self, engine: Engine, port: SlackPort) -> None:
        self.engine = engine
        self.port = port
        self.messages = engine.messages

    async def on_action(self, ack: Ack, body: dict[str, Any], respond: Callable[..., Awaitable[Any]]) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        kind = str(action.get("action_id", "")).removeprefix(ACTION_PREFIX)
        job_id = str(action.get("value", ""))
        caller = Caller.from_interaction(body, respond)
        try:
            job = await self.engine.get(job_id)
            if job is None or job.requester.platform != PLATFORM:
                await caller.reply(self.port, self.messages("job.not_found", job_id=job_id))
                return
            if kind == "remix":
                await self._open_remix(body, job)
            elif kind == "cancel":
                await caller.reply(self.port, await self.engine.cancel(job.id, user_id=caller.user_id))
            elif kind == "reroll":
                new = await self._again(caller, job, job.request.with_changes(seed=secrets.randbelow(MAX_SEED + 1)))
                await caller.reply(self.port, self.messages("action.rerolled", job_id=job.id, new_job_id=new.id))
            elif kind == "upscale":
                new = await self._again(caller, job, job.request.with_changes(resolution="1080P"))
                await caller.reply(self.port, self.messages("action.upscaled", job_id=job.id, new_job_id=new.id))
            elif kind == "delete":
                await self._delete(caller, job)
        except Exception as exc:
            await caller.fail(self.port, exc, self.messages)

    async def _again(self, caller: Caller, job: Job, request: GenerationRequest) -> Job:
        """A new job for whoever clicked, in the original job's channel."""
        conversation = job.conversation
        await self.port.ensure_member(conversation.channel_id)
        requester = caller.requester(conversation.channel_id)
        return await self.engine.submit(requester, conversation, request)

    async def _delete(self, caller: Caller, job: Job) -> None:
        if caller.user_id != job.requester.user_id:
            await caller.reply(self.port, self.messages("action.not_yours"))
            return
        if job.delivered_ref is not None and job.delivered_ref.message_id.startswith("F"):
            await self.port.delete_file(job.delivered_ref.message_id)
        if job.status_ref is not None:
            await self.port.delete_message(job.status_ref)
        await caller.reply(self.port, self.messages("action.deleted"))

    # -- remix -------------------------------------------------------------------------------------------

    async def _open_remix(self, body: dict[str, Any], job: Job) -> None:
        m = self.messages
        limit = min(_INPUT_LIMIT, job.request.spec.max_prompt)
        # Where to answer after the submission: a modal's own payload has no channel.
        channel = (body.get("channel") or {}).get("id") or job.conversation.channel_id
        view = {
            "type": "modal",
            "callback_id": REMIX_CALLBACK,
            "private_metadata": json.dumps({"job_id": job.id, "channel_id": channel}),
            "title": {"type": "plain_text", "text": m("slack.remix.title", job_id=job.id)[:24]},
            "submit": {"type": "plain_text", "text": m("slack.remix.submit")},
            "close": {"type": "plain_text", "text": m("slack.remix.close")},
            "blocks": [{
                "type": "input",
                "block_id": _PROMPT_BLOCK,
                "label": {"type": "plain_text", "text": m("slack.remix.prompt")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": _PROMPT_INPUT,
                    "multiline": True,
                    "max_length": limit,
                    "initial_value": job.request.prompt[:limit],
                },
            }],
        }
        await self.port.open_view(str(body.get("trigger_id", "")), view)

    async def on_remix_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        job = await self.engine.get(str(meta.get("job_id", "")))
        prompt = str(view["state"]["values"][_PROMPT_BLOCK][_PROMPT_INPUT].get("value") or "")
        if job is None:
            await ack(response_action="errors",
                      errors={_PROMPT_BLOCK: self.messages("job.not_found", job_id=meta.get("job_id", "?"))})
            return
        try:
            request = job.request.with_changes(prompt=prompt)
        except InvalidRequest as exc:
            await ack(response_action="errors", errors={_PROMPT_BLOCK: exc.message})
            return
        await ack()
        caller = Caller.from_interaction(body, None, channel_id=str(meta.get("channel_id") or ""))
        try:
            new = await self._again(caller, job, request)
            await caller.reply(self.port, self.messages("action.remixed", job_id=job.id, new_job_id=new.id))
        except Exception as exc:
            await caller.fail(self.port, exc, self.messages)
