"""The ``/wan`` slash command.

Bolt runs the listener as a task and answers Slack when ``ack()`` is called, which must happen within
3 seconds. The text is read by ``ChatActions.parse`` (the shared parser, over the channel's defaults).

* Anything that makes a job — ``/wan video``, ``image`` (with ``--image`` links: an edit), ``animate``,
  ``storyboard a | b``, and the buttons typed
  (``reroll``, ``upscale``, ``remix <job> <prompt>``) — acknowledges only once its job is *stored*:
  check the bot can post in the channel (bounded: ``MEMBER_CHECK_BUDGET``), ``ChatActions.run`` (one
  insert; the engine posts the status message in the background), and only then ``ack()``. A kill
  right after Slack got its 200 therefore never loses the job. A request that cannot be taken is
  answered inside the acknowledgement itself (one ephemeral sentence, through ``Reply.fail``), so
  nothing is queued unless the whole request is valid.
* ``/wan storyboard [--flags]`` without shots checks its flags (``ChatActions.storyboard_base``) and
  that the bot may post here, opens the five-shot modal with the command's ``trigger_id``, and then
  acknowledges; the modal's submission makes the video (``adapters.slack.modals``).
* Everything else makes no job: it acknowledges at once and answers with an ephemeral message.
* Whatever it is, the acknowledgement is sent by ``ACK_AFTER`` seconds: bolt answers Slack 404 ("didn't
  call ack()") 3 s after its dispatch and the user reads that the command *failed* — while the listener
  goes on and stores the job, which then runs and is billed. So a command still not done by then is
  acknowledged with a short "working on it" (``slack.working``), and its outcome follows the way any later
  answer does: the job's status message in the channel, or a refusal through ``Reply.say``
  (``chat.postEphemeral``, else ``response_url``). ``ACK_AFTER`` counts from the request's *arrival*
  (``ARRIVED``, put in bolt's context by ``adapters.slack.app.SlackService.handle`` before it reads the
  body), not from when this listener started: under a burst the listener can start a second or more
  after the request came in, and Slack's 3 s run from the request, not from us. Without an arrival time
  (Socket Mode) it counts from the listener's start.

Links in the text (``--image <link>``, ``--first <link>``): Slack may send a URL wrapped as ``<https://…>``
or ``<https://…|label>``, with ``&`` as ``&amp;``; ``unwrap_links`` turns a link flag's value back into the
bare URL.
A typed link is fetched without the bot token, whatever host it names (``adapters.slack.files``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.slack.blocks import safe, shown
from adapters.slack.context import Reply, caller_from_command
from adapters.slack.history import send_history
from adapters.slack.modals import Modals
from adapters.slack.port import MEMBER_CHECK_BUDGET, SlackPort
from adapters.slack.votes import send_top
from core.actions import Caller, ChatActions
from core.actions.history import HistoryReport
from core.actions.votes import TopReport
from core.commands import Command, ImageCommand, JobCommand, StoryboardCommand, VideoCommand
from core.media_commands import AnimateCommand, EditCommand
from core.messages import Messages
from core.votes import PromoteCommand

log = logging.getLogger("wanbot.slack")

#: Seconds after the request's arrival when a command still at work is acknowledged anyway (bolt: 3 s).
ACK_AFTER = 2.0
#: The key in bolt's request context under which the HTTP handler leaves the request's arrival time
#: (the ``clock`` reading before the body was read).
ARRIVED = "wanbot_arrived"

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: A link flag's value as Slack may format it: ``--image <https://…>`` or ``--image <https://…|label>``.
_SLACK_LINK = re.compile(r"(--(?:image|first|last|audio)(?:=|\s+))<(https?://[^<>|\s]+)(?:\|[^<>]*)?>",
                         re.IGNORECASE)


def unwrap_links(text: str) -> str:
    """A link flag's Slack markup back into the bare URL (its ``&amp;`` too); the prompt is left as typed, so
    a disguised link in it is echoed as the inert text it is (``adapters.slack.blocks``)."""
    return _SLACK_LINK.sub(lambda m: m.group(1) + m.group(2).replace("&amp;", "&"), text)


def makes_job(command: Command) -> bool:
    if isinstance(command, JobCommand):
        return command.action != "delete"
    if isinstance(command, StoryboardCommand):
        return bool(command.shots)
    return isinstance(command, VideoCommand | ImageCommand | EditCommand | AnimateCommand | PromoteCommand)


class SlashCommand:
    """Handles one ``/wan ...`` invocation (acknowledging it at the right moment)."""

    def __init__(self, actions: ChatActions, port: SlackPort, messages: Messages, modals: Modals, *,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.actions = actions
        self.port = port
        self.messages = messages
        self.modals = modals
        self.ack_after = ACK_AFTER
        #: The same clock the HTTP handler stamped ``ARRIVED`` with; ``sleep`` waits on it.
        self.clock = clock
        self.sleep = sleep

    async def __call__(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                       respond: Callable[..., Awaitable[Any]], context: Mapping[str, Any] | None = None) -> None:
        started = self.clock()
        arrived = (context or {}).get(ARRIVED)
        since = started if not isinstance(arrived, float | int) else min(float(arrived), started)
        caller = caller_from_command(body, self.port)
        reply = Reply.to(caller, self.port, self.messages, respond=respond, ack=ack, ack_speaks=True)
        work = asyncio.ensure_future(self._handle(caller, body, reply))
        timer = asyncio.ensure_future(self.sleep(max(0.0, self.ack_after - (started - since))))
        try:
            await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done() and reply.ack is not None:
                log.info("slash command from %s still at work %.1f s after it arrived: acknowledged as working "
                         "on it", caller.user_id, self.clock() - since)
                await reply.acknowledge(text=safe(self.messages("slack.working")), response_type="ephemeral")
            await work
        except asyncio.CancelledError:
            work.cancel()
            raise
        finally:
            timer.cancel()
            await reply.acknowledge()

    async def _handle(self, caller: Caller, body: dict[str, Any], reply: Reply) -> None:
        await self.run_text(caller, str(body.get("text") or ""), reply, trigger_id=str(body.get("trigger_id") or ""))

    async def run_text(self, caller: Caller, text: str, reply: Reply, *, trigger_id: str | None) -> None:
        """Parse and run one ``/wan`` command line for ``caller`` (a slash command, or a mention of the bot:
        ``adapters.slack.mentions``); every outcome goes to ``reply``. Without a ``trigger_id`` (a mention)
        no modal can open, so a storyboard must be typed with its shots."""
        try:
            command = await self.actions.parse(caller, unwrap_links(text))
            if isinstance(command, StoryboardCommand) and not command.shots:
                base = await self.actions.storyboard_base(caller, command.typed)
                if not trigger_id:
                    await reply.say(self.messages("slack.mention.storyboard"))
                    return
                await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
                await self.modals.open_storyboard(trigger_id, caller, command.typed, base)
                return
            if makes_job(command):
                await self.port.ensure_member(caller.channel_id, within=MEMBER_CHECK_BUDGET)
            else:
                await reply.acknowledge()
            # A job is stored (durably) before Slack hears anything; the engine posts its status.
            result = await self.actions.run(caller, command)
            if isinstance(result, HistoryReport):  # issue 13: entries with their buttons
                await send_history(reply, self.port, result, self.messages)
            elif isinstance(result, TopReport):  # issue 13 votes: the winners, each with Promote
                await send_top(reply, self.port, result, self.messages)
            elif result.text:
                await reply.say(shown(result))
        except Exception as exc:
            await reply.fail(exc)  # inside the ack when it is still unsent
        finally:
            await reply.acknowledge()


__all__ = ["ACK_AFTER", "ARRIVED", "SlashCommand", "makes_job", "unwrap_links"]
