"""What wanbot does for a Discord user: every slash command, button and modal is one ``ChatActions`` call.

A handler reads the interaction into a ``Caller`` (``adapters.discord.caller``), calls one method of
``core.actions.ChatActions`` — which checks the operator's allow-list, authorizes against the job's
guild and channel, and decides everything else — and renders what comes back. Only Discord's mechanics
live here:

* a new job (``/wan video``, ``/wan image``, ``/wan storyboard``, Re-roll, 1080P, Remix) is stored before
  Discord hears anything: ``ChatActions`` hands the engine the poster of a ``FirstAnswer``
  (``adapters.discord.answer``), and the engine posts the first status through it as the interaction's
  own **non-ephemeral** response, right after the (group-committed) insert. Should that not have happened
  ``DEFER_AFTER`` seconds after the interaction was created, it is deferred instead and the status then
  fills that same response. Its id is stored, so every later edit goes through the channel endpoint
  (``DiscordPort``), never the token. If the response fails, the poster adopts the message it may have
  made anyway (``DiscordPort.find_status``) or posts the status in the channel, so the person still gets
  a word;
* ``/wan storyboard`` opens its modal only after ``ChatActions.storyboard_base`` accepted the options,
  and Remix only after ``ChatActions.remix_prompt`` authorized the click; each submit is a new call (a
  modal's id can be replayed from elsewhere, so it is authorized again with the submit's own caller);
* images in: ``/wan image`` with attachments is ``ChatActions.edit_image``, ``/wan animate`` is
  ``ChatActions.animate``, each with the files as Discord describes them (``adapters.discord.inputs``;
  core fetches and checks them). The message menus **Edit with Wan** and **Animate with Wan** take the
  target message's images, refuse a message with none in one sentence, and ask for the prompt in a modal
  (required to edit, optional to animate); the **Animate** button (a delivered image job) opens the
  optional-prompt modal once ``ChatActions.job_for`` allowed the click, and its submit animates the job's
  first image (``from_job``: authorized again in ``ChatActions.animate``);
* an option whose values depend on the model is completed as it is typed (``suggest``: Discord's
  autocomplete, from ``ChatActions.suggest``);
* answers are ephemeral — status as embeds, usage as one embed, the rest as text; refusals and errors
  go through ``adapters.discord.errors`` (the one error path); nothing echoed pings or renders as markup.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import discord
from discord import app_commands

from adapters.discord.answer import DEFER_AFTER, FirstAnswer
from adapters.discord.caller import caller_of
from adapters.discord.errors import reply_error, send_ephemeral
from adapters.discord.history import send_history
from adapters.discord.inputs import input_of, inputs_of, message_images
from adapters.discord.markup import fitted
from adapters.discord.modals import AnimateModal, EditModal, RemixModal, StoryboardModal
from adapters.discord.port import MAX_CONTENT, DiscordPort
from adapters.discord.render import status_embeds
from adapters.discord.votes import on_reaction, send_top
from adapters.host import AdapterHost
from core.access import ActionRefused, JobAction, JobNotFound
from core.actions import Caller, ChatActions, Started
from core.commands import DefaultsCommand
from core.errors import InvalidRequest
from core.inputs import InputFile
from core.messages import Messages
from core.port import PostStatus
from core.request import MAX_INPUT_IMAGES, ImageRequest
from core.spend_commands import SettingsCommand
from core.votes import parse_window

log = logging.getLogger("wanbot.discord")


class Handlers:
    def __init__(self, port: DiscordPort, messages: Messages) -> None:
        self.port = port
        self.messages = messages
        self._actions: ChatActions | None = None
        #: Seconds after an interaction's creation when a job still not stored is deferred (tests: 0).
        self.defer_after = DEFER_AFTER

    def attach(self, host: AdapterHost) -> None:
        """Give the handlers the running use cases (done by the runner before the client starts)."""
        self._actions = host.actions
        self.messages = host.messages

    @property
    def actions(self) -> ChatActions:
        if self._actions is None:
            raise RuntimeError("Handlers.attach() was not called")
        return self._actions

    # -- making something ---------------------------------------------------------------------------------

    async def video(self, interaction: discord.Interaction[Any], typed: Mapping[str, Any], *,
                    audio: discord.Attachment | None = None, variants: str | None = None) -> None:
        caller = caller_of(interaction)
        sound = input_of(audio) if audio is not None else None
        if variants is not None:
            await self._making(interaction, caller, lambda post: self.actions.variants(
                caller, typed, variants, audio=sound, post_status=post))
            return
        await self._making(interaction, caller,
                           lambda post: self.actions.video(caller, typed, audio=sound, post_status=post))

    async def image(self, interaction: discord.Interaction[Any], typed: Mapping[str, Any]) -> None:
        caller = caller_of(interaction)
        request = ImageRequest.build(**typed)
        await self._making(interaction, caller, lambda post: self.actions.image(caller, request, post_status=post))

    async def storyboard(self, interaction: discord.Interaction[Any], typed: Mapping[str, Any]) -> None:
        # Everything but the shots is checked now, so a wrong option is refused before anyone types five shots.
        base = await self.actions.storyboard_base(caller_of(interaction), typed)

        async def submit(submitted: discord.Interaction[Any], shots: list[str]) -> None:
            caller = caller_of(submitted)
            await self._making(submitted, caller,
                               lambda post: self.actions.storyboard(caller, shots, typed, post_status=post))

        await interaction.response.send_modal(StoryboardModal(self.messages, base.seconds, submit, self.fail))

    # -- from images ----------------------------------------------------------------------------------------

    async def edit_image(self, interaction: discord.Interaction[Any], typed: Mapping[str, Any],
                         files: Sequence[discord.Attachment | None]) -> None:
        caller = caller_of(interaction)
        images = inputs_of(files)
        await self._making(interaction, caller,
                           lambda post: self.actions.edit_image(caller, typed, images, post_status=post))

    async def animate(self, interaction: discord.Interaction[Any], typed: Mapping[str, Any], *,
                      first: discord.Attachment | None, last: discord.Attachment | None,
                      audio: discord.Attachment | None, job_id: str | None) -> None:
        caller = caller_of(interaction)
        first_frame, last_frame, sound = (input_of(a) if a is not None else None for a in (first, last, audio))
        await self._making(interaction, caller, lambda post: self.actions.animate(
            caller, typed, first_frame=first_frame, last_frame=last_frame, audio=sound, from_job=job_id,
            post_status=post))

    async def edit_menu(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """The "Edit with Wan" menu on ``message``: the edit prompt in a modal, then its images edited."""
        images = self._images_of(interaction, message)
        if len(images) > MAX_INPUT_IMAGES:  # before the form: nobody types a prompt to be refused after
            raise InvalidRequest(self.messages("edit.count", most=MAX_INPUT_IMAGES, count=len(images)),
                                 field="images")

        async def submit(submitted: discord.Interaction[Any], values: list[str]) -> None:
            caller = caller_of(submitted)
            await self._making(submitted, caller, lambda post: self.actions.edit_image(
                caller, {"prompt": values[0]}, images, post_status=post))

        await interaction.response.send_modal(EditModal(self.messages, len(images), submit, self.fail))

    async def animate_menu(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """The "Animate with Wan" menu on ``message``: an optional prompt in a modal, then its first image
        animated."""
        first = self._images_of(interaction, message)[0]

        async def submit(submitted: discord.Interaction[Any], values: list[str]) -> None:
            caller = caller_of(submitted)
            await self._making(submitted, caller, lambda post: self.actions.animate(
                caller, _prompt(values[0]), first_frame=first, post_status=post))

        await interaction.response.send_modal(AnimateModal(self.messages, submit, self.fail))

    def _images_of(self, interaction: discord.Interaction[Any], message: discord.Message) -> list[InputFile]:
        """The message's images, once the caller may use wanbot here (no form for someone who may not)."""
        self.actions.check_allowed(caller_of(interaction))
        images = message_images(message)
        if not images:
            raise ActionRefused(self.messages("discord.menu.no_images"), code="NoImages")
        return images

    # -- asking and changing ------------------------------------------------------------------------------

    async def status(self, interaction: discord.Interaction[Any], job_id: str | None) -> None:
        report = await self.actions.status(caller_of(interaction), job_id)
        await send_ephemeral(interaction, embeds=status_embeds(report.views))

    async def cancel(self, interaction: discord.Interaction[Any], job_id: str | None) -> None:
        cancelled = await self.actions.cancel(caller_of(interaction), job_id)
        await send_ephemeral(interaction, cancelled.text)

    async def usage(self, interaction: discord.Interaction[Any]) -> None:
        report = await self.actions.usage(caller_of(interaction))
        embed = discord.Embed(title=report.title, description="\n".join(row.text for row in report.rows))
        await send_ephemeral(interaction, embeds=[embed])

    async def defaults(self, interaction: discord.Interaction[Any], command: DefaultsCommand) -> None:
        report = await self.actions.defaults(caller_of(interaction), command)
        await send_ephemeral(interaction, fitted(report.text, MAX_CONTENT))  # it quotes the stored negative prompt

    async def history(self, interaction: discord.Interaction[Any], user_id: str | None, text: str | None) -> None:
        """Issue 13: ``/wan history [user] [text]``, ephemeral, with a Use these settings button per entry."""
        report = await self.actions.history(caller_of(interaction), user_id=user_id, text=text)
        await send_history(interaction, report, self.messages)

    async def top(self, interaction: discord.Interaction[Any], window: str | None) -> None:
        """Issue 13: ``/wan top [window]``, ephemeral, with a Promote button per entry."""
        report = await self.actions.top(caller_of(interaction), parse_window(window))
        await send_top(interaction, report, self.messages)

    async def on_reaction(self, client: discord.Client, payload: discord.RawReactionActionEvent, *,
                          added: bool) -> None:
        """Issue 13: a reaction (a vote, or an approver's ✅) — ``adapters.discord.votes``."""
        if self._actions is not None:
            await on_reaction(client, self._actions, payload, added=added)

    async def settings(self, interaction: discord.Interaction[Any], name: str | None, value: str | None) -> None:
        """Issue 13: ``/wan settings`` — all of them, or set ``name`` to ``value``."""
        if name is not None and value is None:
            value = ""  # core says which value the setting takes
        command = SettingsCommand() if name is None else SettingsCommand(name, value)
        report = await self.actions.settings(caller_of(interaction), command)
        await send_ephemeral(interaction, fitted(report.text, MAX_CONTENT))

    async def help(self, interaction: discord.Interaction[Any]) -> None:
        await send_ephemeral(interaction, self.actions.help(caller_of(interaction), typed_options=True).text)

    # -- autocomplete -------------------------------------------------------------------------------------

    async def suggest(self, interaction: discord.Interaction[Any], option: str,
                      current: Any) -> list[app_commands.Choice[Any]]:
        """Issue 14: the values to offer while ``option`` is typed, for the model picked in the same command
        (``interaction.namespace``: what is filled in so far). A failure offers nothing rather than an
        error: the command itself still says what is wrong."""
        command = interaction.command.name if interaction.command is not None else ""
        given = {name: value if isinstance(value := getattr(interaction.namespace, name, None), str) else None
                 for name in ("model", "resolution")}
        try:
            found = await self.actions.suggest(caller_of(interaction), command, option,
                                               "" if current is None else str(current), given)
        except Exception:
            log.warning("autocomplete for /wan %s %s failed", command, option, exc_info=True)
            return []
        return [app_commands.Choice(name=s.label[:100], value=s.value) for s in found]

    # -- buttons ------------------------------------------------------------------------------------------

    async def on_button(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None:
        try:
            await self._button(interaction, caller_of(interaction), action, job_id)
        except Exception as exc:
            await self.fail(interaction, exc)

    async def _button(self, interaction: discord.Interaction[Any], caller: Caller, action: str, job_id: str) -> None:
        actions = self.actions
        if action == "cancel":
            await self._defer(interaction)  # a pending task's cancel asks DashScope: may outlast the 3 s
            await send_ephemeral(interaction, (await actions.cancel(caller, job_id)).text)
        elif action == "delete":
            await self._defer(interaction)  # two message deletes may outlast the 3 s
            await send_ephemeral(interaction, (await actions.delete(caller, job_id)).text)
        elif action == "reroll":
            await self._making(interaction, caller, lambda post: actions.reroll(caller, job_id, post_status=post))
        elif action == "upscale":
            await self._making(interaction, caller, lambda post: actions.upscale(caller, job_id, post_status=post))
        elif action == "promote":  # issue 13: a /wan top entry at 1080P
            await self._making(interaction, caller, lambda post: actions.promote(caller, job_id, post_status=post))
        elif action == "animate":  # a delivered image job: its first image, animated
            job = await actions.job_for(caller, job_id, JobAction.REROLL)  # no form for whom may not
            if not isinstance(job.request, ImageRequest):  # a hand-made custom id on a video job
                raise InvalidRequest(self.messages("animate.not_image_job", job_id=job.id), field="job")

            async def animate(submitted: discord.Interaction[Any], values: list[str]) -> None:
                again = caller_of(submitted)
                await self._making(submitted, again, lambda post: self.actions.animate(
                    again, _prompt(values[0]), from_job=job.id, post_status=post))

            await interaction.response.send_modal(AnimateModal(self.messages, animate, self.fail))
        elif action in ("remix", "remixwan", "reuse"):  # remixwan: from Wan's prompt; reuse: a history entry
            reuse = action == "reuse"
            job, prompt = await actions.remix_start(caller, job_id, wan=action == "remixwan", reuse=reuse)

            async def submit(submitted: discord.Interaction[Any], values: list[str]) -> None:
                again = caller_of(submitted)
                await self._making(submitted, again, lambda post: self.actions.remix(
                    again, job.id, values[0], post_status=post, reuse=reuse))

            await interaction.response.send_modal(
                RemixModal(self.messages, prompt, submit, self.fail, wan=action == "remixwan"))
        elif action in ("confirm", "approve"):  # issue 13: a held-back command starts now
            decide = actions.confirm if action == "confirm" else actions.approve
            await self._making(interaction, caller, lambda post: decide(caller, job_id, post_status=post))
        elif action in ("dismiss", "decline"):
            decide = actions.confirm if action == "dismiss" else actions.approve
            await send_ephemeral(interaction, (await decide(caller, job_id, yes=False)).text)
        else:  # a hand-made custom id with an action no button has
            raise JobNotFound(self.messages("job.not_found", job_id=job_id))

    # -- plumbing -----------------------------------------------------------------------------------------

    @staticmethod
    async def _defer(interaction: discord.Interaction[Any]) -> None:
        """Answer "thinking…" (ephemeral) now; the reply follows when the work is done."""
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:  # the token died already: there is nobody to answer
            log.warning("could not defer interaction %s: %s", interaction.id, exc)

    async def fail(self, interaction: discord.Interaction[Any], exc: BaseException) -> None:
        await reply_error(interaction, exc, self.messages)

    async def _making(self, interaction: discord.Interaction[Any], caller: Caller,
                      make: Callable[[PostStatus], Awaitable[object]]) -> None:
        """Run a use case that makes a job, its first status being the interaction's response."""
        answer = FirstAnswer.start(interaction, self.port, caller.conversation, defer_after=self.defer_after)
        try:
            made = await make(answer.post)
        except BaseException:
            await answer.abandon()  # a "thinking…" answer goes; the error path answers ephemerally
            raise
        if isinstance(made, Started) and made.elsewhere:
            await answer.elsewhere(made.text)  # its status is in the idea's thread: tell only the clicker


def _prompt(typed: str) -> dict[str, Any]:
    """An optional prompt from a form: left empty, it is not given (the model animates without one)."""
    return {"prompt": typed} if typed.strip() else {}


__all__ = ["Handlers"]
