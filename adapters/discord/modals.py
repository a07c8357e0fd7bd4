"""The two modals: Remix (the prompt, pre-filled, to edit) and Storyboard (up to five shots).

A storyboard becomes Wan 2.7's multi-shot prompt, the shots sharing the total duration in whole seconds:
``Shot 1 [0-3 seconds] wide shot: … Shot 2 [3-6 seconds] …``. Submitting either modal queues a new
job whose status message is the modal's (public) response, exactly like ``/wan video``. Submitting a
Remix is checked again (``Actions.authorized``) with the submit's own user and channel: a modal's id
can be replayed from elsewhere. The pre-filled prompt is a text input's value, which Discord shows as
typed (no markup), so it is the prompt itself, unescaped: what is submitted is what is generated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.errors import reply_error
from core.access import JobAction
from core.errors import InvalidRequest
from core.jobs import Job
from core.messages import Messages
from core.request import GenerationRequest
from core.text import has_visible, strip_invisible

if TYPE_CHECKING:
    from adapters.discord.actions import Actions

MAX_SHOTS = 5  # a modal holds at most five inputs
#: Discord's cap on a text input; the model's own prompt limit is checked when the request is built.
_MAX_INPUT = 4000


def compose_storyboard(shots: list[str], duration: int, messages: Messages) -> str:
    """``Shot i [a-b seconds] text`` for each non-empty shot, splitting ``duration`` evenly."""
    # A shot of only invisible characters is an empty shot: it must not make a "Shot 2 [3-6 seconds]" with
    # nothing to film. Control characters are left in, so building the request refuses them by name.
    texts = [" ".join(s.split()) for s in shots if s and has_visible(strip_invisible(s))]
    if not texts:
        raise InvalidRequest(messages("discord.storyboard.empty"), field="shots")
    if duration < len(texts):
        raise InvalidRequest(messages("discord.storyboard.too_short", shots=len(texts), duration=duration),
                             field="duration")
    bounds = [round(i * duration / len(texts)) for i in range(len(texts) + 1)]
    return " ".join(
        f"Shot {i + 1} [{bounds[i]}-{bounds[i + 1]} seconds] {text}" for i, text in enumerate(texts)
    )


def _input(label: str, *, default: str | None = None, required: bool = True,
           placeholder: str | None = None) -> tuple[discord.ui.Label[Any], discord.ui.TextInput[Any]]:
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        style=discord.TextStyle.paragraph, default=default, required=required, max_length=_MAX_INPUT,
        placeholder=placeholder,
    )
    return discord.ui.Label(text=label[:45], component=field), field


class _JobModal(discord.ui.Modal):
    def __init__(self, actions: Actions, title: str) -> None:
        super().__init__(title=title[:45], timeout=15 * 60)
        self.actions = actions

    # discord.py's Modal.on_error drops the View's ``item`` argument; its stubs do not say so.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await reply_error(interaction, error, self.actions.messages)


class RemixModal(_JobModal):
    """The job's prompt to edit; submitting queues the edited request with a new seed."""

    def __init__(self, actions: Actions, job: Job) -> None:
        super().__init__(actions, actions.messages("discord.remix.title"))
        self.job = job
        label, self.prompt = _input(actions.messages("discord.remix.prompt"),
                                    default=job.request.prompt[:_MAX_INPUT])
        self.add_item(label)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        from adapters.discord.actions import random_seed

        job = await self.actions.authorized(interaction, self.job.id, JobAction.REMIX)
        request = job.request.with_changes(prompt=self.prompt.value, seed=random_seed())
        await self.actions.submit_video(interaction, request)


class StoryboardModal(_JobModal):
    """Five shot fields (the first required); the other options came with ``/wan storyboard``."""

    def __init__(self, actions: Actions, base: GenerationRequest) -> None:
        m = actions.messages
        super().__init__(actions, m("discord.storyboard.title", duration=base.seconds))
        self.base = base
        self.shots: list[discord.ui.TextInput[Any]] = []
        for n in range(1, MAX_SHOTS + 1):
            label, field = _input(m("discord.storyboard.shot", n=n), required=n == 1,
                                  placeholder=m("discord.storyboard.placeholder") if n == 1 else None)
            self.shots.append(field)
            self.add_item(label)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        prompt = compose_storyboard([s.value for s in self.shots], self.base.seconds, self.actions.messages)
        changes: dict[str, Any] = {"prompt": prompt}
        if "multi" in self.base.spec.shot_types:
            changes["shot_type"] = "multi"  # wan2.6 needs the flag; 2.7 reads the shots from the prompt
        await self.actions.submit_video(interaction, self.base.with_changes(**changes))
