"""The status message's buttons.

A button's ``value`` is the job id and its ``action_id`` says what to do (``wan_cancel``, ``wan_reroll``,
``wan_remix``, ``wan_remixwan``, ``wan_upscale``, ``wan_animate``, ``wan_delete``): each is one
``ChatActions`` use case, which finds the job (memory or store, so a button works on a message posted
before a restart) and decides who may do it.
Nothing in a payload is trusted: anyone can send any job id, and a refusal is one sentence through
``Reply.fail``. New jobs (re-roll, 1080P, remix) go into the job's own channel — the one the click came
from.

Re-roll and 1080P make a job, so they are acknowledged only once it is stored, like ``/wan video``
(after checking, bounded, that the bot may post there). Cancel and delete acknowledge at once. Remix
acknowledges, asks ``ChatActions.remix_start`` whether this person may see the prompt, and only then
opens the modal (``adapters.slack.modals``) with the click's ``trigger_id``; "Remix Wan's prompt" does the
same with the prompt Wan rendered (prompt extension's rewrite) pre-filled. Animate (on an image result)
acknowledges, checks the person may (``adapters.slack.shortcuts``), and opens a modal with an optional
prompt; its submission animates the job's first image.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.blocks import ACTION_PREFIX, ACTIONS, shown
from adapters.slack.context import Reply, caller_from_interaction
from adapters.slack.modals import Modals
from adapters.slack.port import MEMBER_CHECK_BUDGET, SlackPort
from adapters.slack.shortcuts import Shortcuts
from adapters.slack.spend import SPEND_ACTIONS
from core.actions import Caller, ChatActions
from core.messages import Messages

log = logging.getLogger("wanbot.slack")

Ack = Callable[..., Awaitable[Any]]

#: The buttons that make a job: acknowledged only once it is stored.
_MAKING = ("reroll", "upscale", "promote")  # promote: a /wan top entry at 1080P (issue 13 votes)


class Buttons:
    def __init__(self, actions: ChatActions, port: SlackPort, messages: Messages, modals: Modals,
                 shortcuts: Shortcuts) -> None:
        self.actions = actions
        self.port = port
        self.messages = messages
        self.modals = modals
        self.shortcuts = shortcuts

    async def on_action(self, ack: Ack, body: dict[str, Any], respond: Callable[..., Awaitable[Any]]) -> None:
        action = (body.get("actions") or [{}])[0]
        kind = str(action.get("action_id", "")).removeprefix(ACTION_PREFIX)
        job_id = str(action.get("value", ""))
        caller = caller_from_interaction(body, self.port)
        reply = Reply.to(caller, self.port, self.messages, respond=respond, ack=ack)
        try:
            if kind in SPEND_ACTIONS:  # issue 13: a held-back command's buttons
                await self._decide(caller, kind, job_id, reply)
                return
            if kind not in ACTIONS:
                return
            if kind in _MAKING:
                await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
                made = {"reroll": self.actions.reroll, "upscale": self.actions.upscale,
                        "promote": self.actions.promote}[kind]
                started = await made(caller, job_id)  # stored before the click is acknowledged
                await reply.say(started.text)
                return
            await reply.acknowledge()  # nothing to store first
            if kind in ("remix", "remixwan", "reuse"):  # remixwan: from Wan's prompt; reuse: history's entry
                wan, reuse = kind == "remixwan", kind == "reuse"
                job, prompt = await self.actions.remix_start(caller, job_id, wan=wan, reuse=reuse)
                await self.modals.open_remix(str(body.get("trigger_id", "")), caller, job, prompt=prompt, wan=wan,
                                             reuse=reuse)
            elif kind == "animate":
                await self.shortcuts.open_animate_job(str(body.get("trigger_id", "")), caller, job_id)
            elif kind == "cancel":
                await reply.say(shown(await self.actions.cancel(caller, job_id)))
            else:
                await reply.say(shown(await self.actions.delete(caller, job_id)))
        except Exception as exc:
            await reply.fail(exc)
        finally:
            await reply.acknowledge()

    async def _decide(self, caller: Caller, kind: str, ask_id: str, reply: Reply) -> None:
        """Confirm / Approve start the job (stored before the click is acknowledged); Cancel / Decline don't."""
        if kind in ("confirm", "approve"):
            await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
        else:
            await reply.acknowledge()
        decide = self.actions.confirm if kind in ("confirm", "dismiss") else self.actions.approve
        result = await decide(caller, ask_id, yes=kind in ("confirm", "approve"))
        if result.text:
            await reply.say(result.text)


__all__ = ["Buttons"]
