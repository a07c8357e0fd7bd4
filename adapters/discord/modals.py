"""The modals, as forms only: Remix (the prompt, pre-filled, to edit — the job's own, or the one Wan
rendered when prompt extension rewrote it), Storyboard (up to five shots), Edit (the required edit prompt
for a message's images) and Animate (an optional prompt for animating an image).

A modal knows its fields and nothing of what submitting does: it hands the typed values to the
``submit`` coroutine it was built with (``adapters.discord.handlers``: ``ChatActions.remix``,
``storyboard``, ``edit_image`` or ``animate``, the new job's status message being the submit's public
response) and any error to ``fail`` (the adapter's one error path). The pre-filled prompt is a text input's value, which
Discord shows as typed (no markup), so it is the prompt itself, unescaped: what is submitted is what is
generated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord.caller import adopt_locale
from core.actions import MAX_SHOTS
from core.messages import Messages

#: Discord's cap on a text input; the model's own prompt limit is checked when the request is built.
_MAX_INPUT = 4000

#: What a submitted form does with its values (in the order of its fields).
Submit = Callable[[discord.Interaction[Any], list[str]], Awaitable[None]]
Fail = Callable[[discord.Interaction[Any], Exception], Awaitable[None]]


def _input(label: str, *, default: str | None = None, required: bool = True,
           placeholder: str | None = None) -> tuple[discord.ui.Label[Any], discord.ui.TextInput[Any]]:
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        style=discord.TextStyle.paragraph, default=default, required=required, max_length=_MAX_INPUT,
        placeholder=placeholder,
    )
    return discord.ui.Label(text=label[:45], component=field), field


class _Form(discord.ui.Modal):
    def __init__(self, messages: Messages, title: str, submit: Submit, fail: Fail) -> None:
        super().__init__(title=title[:45], timeout=15 * 60)
        self._submit = submit
        self._fail = fail
        self._default_locale = messages.locale
        self.fields: list[discord.ui.TextInput[Any]] = []

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # The submit's own task: answered (and its job recorded) in the submitter's language.
        adopt_locale(interaction, self._default_locale)
        return True

    def add_field(self, label: str, **options: Any) -> None:
        wrapper, field = _input(label, **options)
        self.fields.append(field)
        self.add_item(wrapper)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self._submit(interaction, [field.value for field in self.fields])

    # discord.py's Modal.on_error drops the View's ``item`` argument; its stubs do not say so.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await self._fail(interaction, error)


class RemixModal(_Form):
    """The job's prompt to edit (``wan``: the prompt Wan rendered, under its own title)."""

    def __init__(self, messages: Messages, prompt: str, submit: Submit, fail: Fail, *, wan: bool = False) -> None:
        super().__init__(messages, messages("discord.remix.title_wan" if wan else "discord.remix.title"), submit, fail)
        self.add_field(messages("discord.remix.prompt"), default=prompt[:_MAX_INPUT])


class StoryboardModal(_Form):
    """Five shot fields (the first required); the other options came with ``/wan storyboard``."""

    def __init__(self, messages: Messages, seconds: int, submit: Submit, fail: Fail) -> None:
        super().__init__(messages, messages("discord.storyboard.title", duration=seconds), submit, fail)
        for n in range(1, MAX_SHOTS + 1):
            self.add_field(messages("discord.storyboard.shot", n=n), required=n == 1,
                           placeholder=messages("discord.storyboard.placeholder") if n == 1 else None)


class EditModal(_Form):
    """What to change in the images of a message ("Edit with Wan"): one required prompt."""

    def __init__(self, messages: Messages, count: int, submit: Submit, fail: Fail) -> None:
        super().__init__(messages, messages("discord.edit.title", count=count), submit, fail)
        self.add_field(messages("discord.edit.prompt"), placeholder=messages("discord.edit.placeholder"))


class AnimateModal(_Form):
    """What happens when an image comes to life (the message menu, the Animate button): optional."""

    def __init__(self, messages: Messages, submit: Submit, fail: Fail) -> None:
        super().__init__(messages, messages("discord.animate.title"), submit, fail)
        self.add_field(messages("discord.animate.prompt"), required=False,
                       placeholder=messages("discord.animate.placeholder"))


__all__ = ["AnimateModal", "EditModal", "Fail", "RemixModal", "StoryboardModal", "Submit"]
