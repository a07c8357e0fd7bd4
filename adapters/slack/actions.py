"""The status message's buttons and the remix modal.

A button's ``value`` is the job id and its ``action_id`` says what to do (``wan_cancel``, ``wan_reroll``,
``wan_remix``, ``wan_upscale``, ``wan_delete``). The job is read from the engine (memory or store), so a
button works on a message posted before a restart.

Nothing in a payload is trusted: anyone can send any job id. Every action goes through
``Caller.authorize`` (``core.access.authorize``): the job must belong to this workspace and to the
channel the click came from; cancel and delete are for the requester or a workspace admin, re-roll,
1080P and remix for the requester only. A refusal is one sentence through ``Caller.fail``. New jobs
(re-roll, 1080P, remix) go into the job's own channel — the one the click came from.

Re-roll and 1080P make a job, so they are acknowledged only once it is stored (``engine.accept``), like
``/wan video``. Remix opens a modal (``views.open`` needs the click's ``trigger_id`` within 3 seconds, so
it is opened right after the check, and the prompt is only pre-filled for someone allowed to see it).
The modal's ``private_metadata`` is sealed with an HMAC (``seal_key``): a submission whose metadata
was altered is refused, and the sealed job is authorized again on submit. Its submission is validated
and the job stored before it is acknowledged, so a bad prompt or a refusal shows as an error under the
field instead of a lost request.

Delete removes what it can (the status message, the video file) and says in one sentence what Slack
would not let it remove.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.blocks import ACTION_PREFIX, ACTIONS
from adapters.slack.context import Caller
from adapters.slack.errors import reply_for
from adapters.slack.port import MEMBER_CHECK_BUDGET, SlackPort
from core.access import ActionRefused, JobAction
from core.actions.chat import cancel_sentence
from core.engine import Engine
from core.errors import InvalidRequest, PlatformError
from core.jobs import Job
from core.request import MAX_SEED, GenerationRequest

log = logging.getLogger("wanbot.slack")

REMIX_CALLBACK = "wan_remix_modal"
_PROMPT_BLOCK = "prompt"
_PROMPT_INPUT = "prompt"
#: Slack's plain_text_input takes at most 3000 characters.
_INPUT_LIMIT = 3000
#: Slack's modal title is plain text of at most 24 characters.
_TITLE_LIMIT = 24

Ack = Callable[..., Awaitable[Any]]


def seal_key_for(bot_token: str) -> bytes:
    """A key for sealing modal metadata, stable across restarts and replicas, known only to the bot."""
    return hashlib.sha256(b"wanbot remix modal\0" + bot_token.encode()).digest()


class Buttons:
    def __init__(self, engine: Engine, port: SlackPort, *, seal_key: bytes | None = None) -> None:
        self.engine = engine
        self.port = port
        self.messages = engine.messages
        self._seal_key = seal_key or secrets.token_bytes(32)

    async def on_action(self, ack: Ack, body: dict[str, Any], respond: Callable[..., Awaitable[Any]]) -> None:
        action = (body.get("actions") or [{}])[0]
        kind = str(action.get("action_id", "")).removeprefix(ACTION_PREFIX)
        job_id = str(action.get("value", ""))
        caller = Caller.from_interaction(body, respond, ack=ack)
        m = self.messages
        try:
            if kind not in ACTIONS:
                await caller.acknowledge()
                return
            if kind not in (JobAction.REROLL, JobAction.UPSCALE):
                await caller.acknowledge()  # nothing to store first
            job = await caller.authorize(self.port, await self.engine.get(job_id), JobAction(kind), m,
                                         job_id=job_id)
            if kind == JobAction.REMIX:
                await self._open_remix(body, caller, job)
            elif kind == JobAction.CANCEL:
                await caller.reply(self.port, cancel_sentence(await self.engine.cancel(job.id), job.id, self.messages))
            elif kind == JobAction.REROLL:
                new = await self._again(caller, job, job.request.with_changes(seed=secrets.randbelow(MAX_SEED + 1)))
                await caller.reply(self.port, m("action.rerolled", job_id=job.id, new_job_id=new.id))
            elif kind == JobAction.UPSCALE:
                new = await self._again(caller, job, job.request.with_changes(resolution="1080P"))
                await caller.reply(self.port, m("action.upscaled", job_id=job.id, new_job_id=new.id))
            elif kind == JobAction.DELETE:
                await caller.reply(self.port, await self._delete(job))
        except Exception as exc:
            await caller.fail(self.port, exc, m)
        finally:
            await caller.acknowledge()

    async def _again(self, caller: Caller, job: Job, request: GenerationRequest) -> Job:
        """A new job for whoever clicked, in the job's own channel (authorized: where the click came from);
        stored before the click is acknowledged."""
        conversation = job.conversation
        await self.port.ensure_member(conversation.channel_id, within=MEMBER_CHECK_BUDGET)
        new = await self.engine.accept(caller.requester(conversation.channel_id), conversation, request)
        await caller.acknowledge()
        return new

    async def _delete(self, job: Job) -> str:
        """Delete the video file and the status message, each whatever became of the other."""
        m = self.messages
        targets: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        delivered, status = job.delivered_ref, job.status_ref
        if delivered is not None and delivered.message_id.startswith("F"):
            targets.append((m("slack.delete.the_video"), lambda: self.port.delete_file(delivered.message_id)))
        if status is not None:
            targets.append((m("slack.delete.the_status"), lambda: self.port.delete_message(status)))
        kept: list[str] = []
        for what, delete in targets:
            try:
                await delete()
            except PlatformError as exc:
                log.warning("job %s: could not delete %s: %s", job.id, what, exc.code)
                kept.append(what)
        if not kept:
            return m("action.deleted")
        if len(kept) == len(targets) > 1:
            return m("slack.delete.failed")
        return m("slack.delete.partial", what=kept[0])

    # -- remix -------------------------------------------------------------------------------------------

    async def _open_remix(self, body: dict[str, Any], caller: Caller, job: Job) -> None:
        m = self.messages
        limit = min(_INPUT_LIMIT, job.request.spec.max_prompt)
        view = {
            "type": "modal",
            "callback_id": REMIX_CALLBACK,
            # Where the click came from (authorized: the job's own channel) and who may submit it, sealed.
            "private_metadata": self._seal({"job_id": job.id, "channel_id": caller.channel_id,
                                            "user_id": caller.user_id, "team_id": caller.team_id}),
            "title": {"type": "plain_text", "text": m("slack.remix.title", job_id=job.id)[:_TITLE_LIMIT]},
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
        m = self.messages
        meta = self._unseal(str(view.get("private_metadata") or ""))
        job_id = str(meta.get("job_id") or "?") if meta else "?"
        caller = Caller.from_interaction(body, None, channel_id=str((meta or {}).get("channel_id") or ""), ack=ack)
        try:
            if meta is None or meta.get("user_id") != caller.user_id or meta.get("team_id") != caller.team_id:
                raise ActionRefused(m("job.not_found", job_id=job_id), code="NotFound")
            job = await caller.authorize(self.port, await self.engine.get(job_id), JobAction.REMIX, m,
                                         job_id=job_id)
            prompt = str(view["state"]["values"][_PROMPT_BLOCK][_PROMPT_INPUT].get("value") or "")
            request = job.request.with_changes(prompt=prompt)
            new = await self._again(caller, job, request)
        except Exception as exc:
            # Under the field, in the modal that is still open: nothing was made.
            error = exc.message if isinstance(exc, InvalidRequest) else reply_for(exc, m)
            await caller.acknowledge(response_action="errors", errors={_PROMPT_BLOCK: error})
            return
        await caller.reply(self.port, m("action.remixed", job_id=job.id, new_job_id=new.id))

    def _seal(self, data: dict[str, Any]) -> str:
        text = json.dumps(data, separators=(",", ":"), sort_keys=True)
        mac = hmac.new(self._seal_key, text.encode(), hashlib.sha256).hexdigest()
        return json.dumps({"d": text, "mac": mac}, separators=(",", ":"))

    def _unseal(self, sealed: str) -> dict[str, Any] | None:
        """The metadata ``_seal`` made, or ``None`` for anything else (altered, forged, not JSON)."""
        try:
            outer = json.loads(sealed)
            text, mac = str(outer["d"]), str(outer["mac"])
            expected = hmac.new(self._seal_key, text.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, mac):
                return None
            data = json.loads(text)
        except (ValueError, TypeError, KeyError):
            return None
        return data if isinstance(data, dict) else None

