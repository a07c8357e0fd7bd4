"""The two modals: remix (a new prompt for a job) and storyboard (five shots for one video).

A modal is opened with ``views.open`` and the ``trigger_id`` of the click or command that asked for it
(valid for 3 seconds). Its ``private_metadata`` — what it is about, the channel it was opened from, who
may submit it, their team — is sealed with an HMAC (``Seal``, keyed from the bot token, so it holds
across restarts and replicas): a submission whose metadata was altered or forged is refused, and the
use case authorizes it again on submit (``ChatActions.remix`` / ``storyboard``).

A submission makes a job, so it is validated and the job stored *before* it is acknowledged: a bad
prompt or a refusal shows as an error under the field in the modal that is still open, instead of a
lost request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.context import Reply, caller_from_interaction
from adapters.slack.errors import reply_for
from adapters.slack.port import MEMBER_CHECK_BUDGET, SlackPort
from core.access import JobNotFound
from core.actions import MAX_SHOTS, Caller, ChatActions
from core.errors import InvalidRequest
from core.jobs import Job
from core.messages import Messages
from core.request import GenerationRequest

log = logging.getLogger("wanbot.slack")

REMIX_CALLBACK = "wan_remix_modal"
STORYBOARD_CALLBACK = "wan_storyboard_modal"
_PROMPT_BLOCK = "prompt"
_PROMPT_INPUT = "prompt"
_SHOT_INPUT = "shot"
#: Slack's plain_text_input takes at most 3000 characters.
_INPUT_LIMIT = 3000
#: Slack's modal title is plain text of at most 24 characters.
_TITLE_LIMIT = 24

Ack = Callable[..., Awaitable[Any]]


def seal_key_for(bot_token: str) -> bytes:
    """A key for sealing modal metadata, stable across restarts and replicas, known only to the bot."""
    return hashlib.sha256(b"wanbot remix modal\0" + bot_token.encode()).digest()


def shot_block(n: int) -> str:
    return f"shot_{n}"


class Seal:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def seal(self, data: dict[str, Any]) -> str:
        text = json.dumps(data, separators=(",", ":"), sort_keys=True)
        mac = hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
        return json.dumps({"d": text, "mac": mac}, separators=(",", ":"))

    def unseal(self, sealed: str) -> dict[str, Any] | None:
        """The metadata ``seal`` made, or ``None`` for anything else (altered, forged, not JSON)."""
        try:
            outer = json.loads(sealed)
            text, mac = str(outer["d"]), str(outer["mac"])
            expected = hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, mac):
                return None
            data = json.loads(text)
        except (ValueError, TypeError, KeyError):
            return None
        return data if isinstance(data, dict) else None


def text_object(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def input_block(block_id: str, action_id: str, label: str, *, limit: int, initial: str | None = None,
           placeholder: str | None = None, optional: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "multiline": True,
                               "max_length": limit}
    if initial:
        element["initial_value"] = initial[:limit]
    if placeholder:
        element["placeholder"] = text_object(placeholder)
    return {"type": "input", "block_id": block_id, "optional": optional, "label": text_object(label),
            "element": element}


def value_of(view: dict[str, Any], block_id: str, action_id: str) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(block_id) or {}).get(action_id) or {}).get("value") or "")


class Modals:
    def __init__(self, actions: ChatActions, port: SlackPort, messages: Messages, *,
                 seal_key: bytes | None = None) -> None:
        self.actions = actions
        self.port = port
        self.messages = messages
        self._seal = Seal(seal_key)

    def _meta(self, caller: Caller, **about: Any) -> str:
        # Where it was opened from (the use case authorizes from there) and who may submit it, sealed.
        return self._seal.seal({**about, "channel_id": caller.channel_id, "user_id": caller.user_id,
                                "team_id": caller.workspace_id})

    def _submitted(self, body: dict[str, Any], view: dict[str, Any], kind: str) -> tuple[Caller, dict[str, Any]]:
        """Who submitted, from where the modal was opened, and its metadata; ``ActionRefused`` for a modal
        someone else opened, or one whose metadata is not the one we sealed."""
        meta = self._seal.unseal(str(view.get("private_metadata") or ""))
        caller = caller_from_interaction(body, self.port, channel_id=str((meta or {}).get("channel_id") or ""))
        if (meta is None or meta.get("kind", "remix") != kind or meta.get("user_id") != caller.user_id
                or meta.get("team_id") != caller.workspace_id):
            if kind == "storyboard":
                raise JobNotFound(self.messages("slack.storyboard.stale"))
            job_id = str((meta or {}).get("job_id") or "?")
            raise JobNotFound(self.messages("job.not_found", job_id=job_id))
        return caller, meta

    async def _refuse(self, ack: Ack, block_id: str, exc: Exception) -> None:
        """Under the field, in the modal that is still open: nothing was made."""
        error = exc.message if isinstance(exc, InvalidRequest) else reply_for(exc, self.messages)
        await ack(response_action="errors", errors={block_id: error})

    # -- remix -------------------------------------------------------------------------------------------

    async def open_remix(self, trigger_id: str, caller: Caller, job: Job, *, prompt: str | None = None,
                         wan: bool = False, reuse: bool = False) -> None:
        """A prompt in a form (``job``: what ``ChatActions.remix_start`` allowed this caller; ``prompt``: the
        one to start from, the job's own by default; ``wan``: it is the prompt Wan rendered)."""
        m = self.messages
        limit = min(_INPUT_LIMIT, job.request.spec.max_prompt)
        view = {
            "type": "modal",
            "callback_id": REMIX_CALLBACK,
            # ``reuse``: history's "Use these settings" (issue 13), authorized as such again on submit.
            "private_metadata": self._meta(caller, kind="remix", job_id=job.id, **({"reuse": True} if reuse else {})),
            "title": text_object(m("slack.remix.title_wan" if wan else "slack.remix.title",
                                   job_id=job.id)[:_TITLE_LIMIT]),
            "submit": text_object(m("slack.remix.submit")),
            "close": text_object(m("slack.remix.close")),
            "blocks": [input_block(_PROMPT_BLOCK, _PROMPT_INPUT, m("slack.remix.prompt"), limit=limit,
                              initial=job.request.prompt if prompt is None else prompt)],
        }
        await self.port.open_view(trigger_id, view)

    async def on_remix_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            caller, meta = self._submitted(body, view, "remix")
            await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
            started = await self.actions.remix(caller, str(meta.get("job_id") or ""),
                                               value_of(view, _PROMPT_BLOCK, _PROMPT_INPUT),
                                               reuse=meta.get("reuse") is True)
        except Exception as exc:
            await self._refuse(ack, _PROMPT_BLOCK, exc)
            return
        await ack()
        await Reply.to(caller, self.port, self.messages, respond=None, ack=None).say(started.text)

    # -- storyboard --------------------------------------------------------------------------------------

    async def open_storyboard(self, trigger_id: str, caller: Caller, typed: dict[str, Any],
                              base: GenerationRequest) -> None:
        """Five shot fields (the first required) for a storyboard whose flags ``base`` already checked."""
        m = self.messages
        limit = min(_INPUT_LIMIT, base.spec.max_prompt)
        blocks = [input_block(shot_block(n), _SHOT_INPUT, m("slack.storyboard.shot", n=n), limit=limit,
                         placeholder=m("slack.storyboard.placeholder") if n == 1 else None, optional=n > 1)
                  for n in range(1, MAX_SHOTS + 1)]
        view = {
            "type": "modal",
            "callback_id": STORYBOARD_CALLBACK,
            "private_metadata": self._meta(caller, kind="storyboard", typed=typed),
            "title": text_object(m("slack.storyboard.title", duration=base.duration)[:_TITLE_LIMIT]),
            "submit": text_object(m("slack.storyboard.submit")),
            "close": text_object(m("slack.remix.close")),
            "blocks": blocks,
        }
        await self.port.open_view(trigger_id, view)

    async def on_storyboard_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            caller, meta = self._submitted(body, view, "storyboard")
            typed = meta.get("typed")
            shots = [value_of(view, shot_block(n), _SHOT_INPUT) for n in range(1, MAX_SHOTS + 1)]
            await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
            await self.actions.storyboard(caller, shots, typed if isinstance(typed, dict) else {})
        except Exception as exc:
            await self._refuse(ack, shot_block(1), exc)
            return
        await ack()  # the status message, posted by the engine, says the rest


__all__ = ["REMIX_CALLBACK", "STORYBOARD_CALLBACK", "Modals", "Seal", "input_block", "seal_key_for", "shot_block",
           "text_object", "value_of"]
