"""The message shortcuts "Edit with Wan" and "Animate with Wan", and the image result's **Animate** button.

* **Edit with Wan** (``EDIT_SHORTCUT``) on a message with image files: acknowledged at once; a message
  with no image Wan can read gets one ephemeral sentence and nothing else. Otherwise (after checking,
  bounded, that the bot may post here) a modal asks for the edit prompt; its submission calls
  ``ChatActions.edit_image`` with the message's images (the first ``MAX_IMAGES``).
* **Animate with Wan** (``ANIMATE_SHORTCUT``): the same, with an optional prompt, and the message's first
  image as the first frame (``ChatActions.animate(first_frame=…)``).
* **Animate** on a delivered image result (action ``animate``, ``adapters.slack.actions``): a modal with
  an optional prompt, then ``ChatActions.animate(from_job=…)``.

The modal's ``private_metadata`` is sealed (``adapters.slack.modals.Seal``): who opened it, where (the
channel, and the thread of the message it was opened on, where the result goes), and only the files'
*ids*. On submit each file is read again with ``files.info`` — Slack's own, current word on its URL and
type, so the metadata stays small (Slack caps it at 3,000 characters; nine long URL-encoded names would
not fit) and a URL cannot be smuggled in. Each becomes a ``core.inputs.InputFile`` carrying the bot
token only if it is on Slack's file host (``adapters.slack.files``).

A submission makes a job only after core fetched and checked every file, which may take longer than
the 3 s Slack gives a ``view_submission``. So it waits up to ``ACK_AFTER`` seconds from the request's
arrival: a refusal by then is shown under the field in the modal still open; a job started by then
closes it. Still at work then, the modal is closed (acknowledged) and the outcome follows as the job's
status message, or a refusal as one ephemeral sentence.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from adapters.slack.commands import ACK_AFTER, ARRIVED, Clock, Sleep
from adapters.slack.context import Reply, caller_from_interaction
from adapters.slack.errors import reply_for
from adapters.slack.files import MAX_IMAGES, FileHost, images_of, input_file, is_image
from adapters.slack.modals import Seal, input_block, text_object, value_of
from adapters.slack.port import MEMBER_CHECK_BUDGET, SlackPort
from core.access import JobAction, JobNotFound
from core.actions import Caller, ChatActions, Started
from core.errors import InvalidRequest, PlatformError
from core.messages import Messages

log = logging.getLogger("wanbot.slack")

#: The message shortcuts' callback ids (``slack-manifest.yml``).
EDIT_SHORTCUT = "wan_edit_image"
ANIMATE_SHORTCUT = "wan_animate_image"
#: The modals they (and the Animate button) open.
EDIT_MODAL = "wan_edit_modal"
ANIMATE_MODAL = "wan_animate_modal"
_PROMPT_BLOCK = "prompt"
_PROMPT_INPUT = "prompt"
#: Slack's plain_text_input holds at most 3000 characters; a modal title 24.
_INPUT_LIMIT = 3000
_TITLE_LIMIT = 24
#: How many file names the modal lists (a context block takes ten elements; one says how many more).
_LISTED = 9

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "plain_text", "text": text[:_INPUT_LIMIT]}]}


class Shortcuts:
    def __init__(self, actions: ChatActions, port: SlackPort, messages: Messages, *, seal_key: bytes,
                 file_host: FileHost, bot_token: str, clock: Clock, sleep: Sleep) -> None:
        self.actions = actions
        self.port = port
        self.messages = messages
        self.file_host = file_host
        self._token = bot_token
        self._seal = Seal(seal_key)
        self.clock = clock
        self.sleep = sleep
        #: Seconds from a submission's arrival when it is acknowledged whatever the state of its work.
        self.ack_after = ACK_AFTER

    # -- the shortcuts -----------------------------------------------------------------------------------

    async def on_message_action(self, ack: Ack, body: dict[str, Any], respond: Respond | None) -> None:
        """A message shortcut picked on a message: refuse in one sentence, or open its modal."""
        message = body.get("message") or {}
        caller = self._in_thread(caller_from_interaction(body, self.port), message)
        reply = Reply.to(caller, self.port, self.messages, respond=respond, ack=ack)
        await reply.acknowledge()  # nothing is stored here: the modal's submission makes the job
        kind = "edit" if body.get("callback_id") == EDIT_SHORTCUT else "animate"
        try:
            self.actions.check_allowed(caller)
            files = [f for f in message.get("files") or [] if isinstance(f, dict)]
            images = images_of(files)
            if not images:
                key = "slack.shortcut.not_images" if files else "slack.shortcut.no_images"
                raise InvalidRequest(self.messages(key), field="files")
            await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
            used = images[:MAX_IMAGES] if kind == "edit" else images[:1]
            await self._open(str(body.get("trigger_id") or ""), caller, kind, files=used, total=len(images))
        except Exception as exc:
            await reply.fail(exc)

    async def open_animate_job(self, trigger_id: str, caller: Caller, job_id: str) -> None:
        """The Animate button: the job's first image as the first frame, after an optional prompt. Asked
        first whether this person may (like a re-roll), so nobody types a prompt to be refused."""
        job = await self.actions.job_for(caller, job_id, JobAction.REROLL)
        await self._open(trigger_id, caller, "animate_job", job_id=job.id)

    async def _open(self, trigger_id: str, caller: Caller, kind: str, *, files: Sequence[Mapping[str, Any]] = (),
                    total: int = 0, job_id: str | None = None) -> None:
        m = self.messages
        edit = kind == "edit"
        about: dict[str, Any] = {"kind": kind, "channel_id": caller.channel_id, "thread_ts": caller.thread_id,
                                 "user_id": caller.user_id, "team_id": caller.workspace_id}
        blocks: list[dict[str, Any]] = []
        if job_id is not None:
            about["job_id"] = job_id
            blocks.append(_context(m("slack.animate.from_job", job_id=job_id)))
        else:
            about["files"] = [str(f["id"]) for f in files]
            names = ", ".join(str(f.get("name") or f["id"]) for f in files[:_LISTED])
            key = "slack.edit.images" if edit else "slack.animate.first_frame"
            blocks.append(_context(m(key, names=names, n=len(files), total=total)))
        label = m("slack.edit.prompt" if edit else "slack.animate.prompt")
        blocks.append(input_block(_PROMPT_BLOCK, _PROMPT_INPUT, label, limit=_INPUT_LIMIT, optional=not edit,
                                  placeholder=m("slack.edit.placeholder" if edit else "slack.animate.placeholder")))
        view = {
            "type": "modal",
            "callback_id": EDIT_MODAL if edit else ANIMATE_MODAL,
            "private_metadata": self._seal.seal(about),
            "title": text_object(m("slack.edit.title" if edit else "slack.animate.title")[:_TITLE_LIMIT]),
            "submit": text_object(m("slack.edit.submit" if edit else "slack.animate.submit")),
            "close": text_object(m("slack.remix.close")),
            "blocks": blocks,
        }
        await self.port.open_view(trigger_id, view)

    # -- the submissions ---------------------------------------------------------------------------------

    async def on_edit_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                             context: Mapping[str, Any] | None = None) -> None:
        await self._submit(ack, body, view, context, ("edit",))

    async def on_animate_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                                context: Mapping[str, Any] | None = None) -> None:
        await self._submit(ack, body, view, context, ("animate", "animate_job"))

    async def _submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                      context: Mapping[str, Any] | None, kinds: tuple[str, ...]) -> None:
        arrived = (context or {}).get(ARRIVED)
        since = float(arrived) if isinstance(arrived, float | int) else self.clock()
        try:
            caller, meta = self._submitted(body, view, kinds)
        except Exception as exc:
            await self._refuse(ack, exc)
            return
        prompt = value_of(view, _PROMPT_BLOCK, _PROMPT_INPUT)
        work = asyncio.ensure_future(self._start(caller, meta, prompt))
        timer = asyncio.ensure_future(self.sleep(max(0.0, self.ack_after - (self.clock() - since))))
        try:
            await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            work.cancel()
            raise
        finally:
            timer.cancel()
        if work.done():
            failed = work.exception()
            if failed is not None:
                await self._refuse(ack, failed)
                return
            await ack()
            await self._said(caller, work.result())
            return
        log.info("%s submission from %s still at work after %.1f s: the modal is closed, the outcome follows",
                 meta.get("kind"), caller.user_id, self.clock() - since)
        await ack()
        try:
            started = await work
        except Exception as exc:
            await Reply.to(caller, self.port, self.messages, respond=None, ack=None).fail(exc)
            return
        await self._said(caller, started)

    async def _said(self, caller: Caller, started: Started) -> None:
        if started.text:  # a new job says nothing: its status message does
            await Reply.to(caller, self.port, self.messages, respond=None, ack=None).say(started.text)

    def _start(self, caller: Caller, meta: Mapping[str, Any], prompt: str) -> Coroutine[Any, Any, Started]:
        async def start() -> Started:
            await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
            kind = meta.get("kind")
            if kind == "animate_job":
                typed = {"prompt": prompt} if prompt.strip() else {}
                return await self.actions.animate(caller, typed, from_job=str(meta.get("job_id") or ""))
            files = await self._files(meta.get("files"))
            if kind == "edit":
                return await self.actions.edit_image(caller, {"prompt": prompt}, files)
            typed = {"prompt": prompt} if prompt.strip() else {}
            return await self.actions.animate(caller, typed, first_frame=files[0])

        return start()

    async def _files(self, ids: Any) -> list[Any]:
        """The sealed file ids, read again from Slack, as ``InputFile`` s (the images among them)."""
        wanted = [str(i) for i in ids] if isinstance(ids, list) else []
        try:
            found = await asyncio.gather(*(self.port.file_info(i) for i in wanted[:MAX_IMAGES]))
        except PlatformError as exc:
            if exc.code in ("file_not_found", "file_deleted"):
                raise InvalidRequest(self.messages("slack.shortcut.gone"), field="files") from exc
            raise
        images = [f for f in found if is_image(f)]
        if not images:
            raise InvalidRequest(self.messages("slack.shortcut.not_images"), field="files")
        return [input_file(f, self.file_host, self._token) for f in images]

    # -- plumbing ----------------------------------------------------------------------------------------

    @staticmethod
    def _in_thread(caller: Caller, message: Mapping[str, Any]) -> Caller:
        """A message inside a thread: the result goes into that thread (a thread's parent is top level)."""
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message.get("ts"):
            return dataclasses.replace(caller, thread_id=str(thread_ts))
        return caller

    def _submitted(self, body: dict[str, Any], view: dict[str, Any],
                   kinds: tuple[str, ...]) -> tuple[Caller, dict[str, Any]]:
        """Who submitted, from where the modal was opened, and its metadata; refused for a modal someone
        else opened, or one whose metadata is not what we sealed."""
        meta = self._seal.unseal(str(view.get("private_metadata") or ""))
        caller = caller_from_interaction(body, self.port, channel_id=str((meta or {}).get("channel_id") or ""))
        if (meta is None or meta.get("kind") not in kinds or meta.get("user_id") != caller.user_id
                or meta.get("team_id") != caller.workspace_id):
            raise JobNotFound(self.messages("slack.shortcut.stale"))
        thread = meta.get("thread_ts")
        return dataclasses.replace(caller, thread_id=str(thread) if thread else None), meta

    async def _refuse(self, ack: Ack, exc: BaseException) -> None:
        """Under the field, in the modal that is still open: nothing was made."""
        error = exc.message if isinstance(exc, InvalidRequest) else reply_for(exc, self.messages)
        await ack(response_action="errors", errors={_PROMPT_BLOCK: error})


__all__ = ["ANIMATE_MODAL", "ANIMATE_SHORTCUT", "EDIT_MODAL", "EDIT_SHORTCUT", "Shortcuts"]
