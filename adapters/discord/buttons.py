"""The status message's buttons: one ``DynamicItem`` whose ``custom_id`` carries the action and the job.

``wan:<action>:<job id>`` (e.g. ``wan:reroll:abcd2345``) is all a click needs: discord.py matches the
template registered with ``add_dynamic_items`` and rebuilds the button, so buttons keep working after a
restart and no view lives in memory. What a click does is the client's business: the button hands the
click to ``interaction.client.on_job_button`` (``JobButtonHandler``; ``adapters.discord.client`` routes it
to ``adapters.discord.handlers``), so this module, which the renderer and the port use, imports neither.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

ACTIONS: tuple[str, ...] = ("cancel", "reroll", "remix", "remixwan", "upscale", "animate", "delete")

_STYLES: dict[str, discord.ButtonStyle] = {
    "cancel": discord.ButtonStyle.secondary,
    "reroll": discord.ButtonStyle.primary,
    "remix": discord.ButtonStyle.secondary,
    "remixwan": discord.ButtonStyle.secondary,
    "upscale": discord.ButtonStyle.success,
    "animate": discord.ButtonStyle.primary,
    "delete": discord.ButtonStyle.danger,
    # issue 13: a held-back command's buttons (the id is the ask's, ``core.spend``)
    "confirm": discord.ButtonStyle.success,
    "dismiss": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "decline": discord.ButtonStyle.danger,
    # issue 13 votes: a /wan top entry's Promote (1080P, same seed)
    "promote": discord.ButtonStyle.success,
}

_EMOJI: dict[str, str] = {"cancel": "✖️", "reroll": "🎲", "remix": "✏️", "remixwan": "📝", "upscale": "⬆️",
                          "animate": "🎞️", "delete": "🗑️", "promote": "🏆"}


class JobButtonHandler(Protocol):
    """What the client does with a click on a job's button (``adapters.discord.client.WanClient``)."""

    async def on_job_button(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None: ...


#: ``custom_id`` template (≤ 100 characters); job ids are short lower-case strings (``core.jobs.new_job_id``).
TEMPLATE = r"wan:(?P<action>[a-z]+):(?P<job>[a-z0-9]{4,32})"


def custom_id(action: str, job_id: str) -> str:
    return f"wan:{action}:{job_id}"


def parse_custom_id(value: str) -> tuple[str, str] | None:
    """``(action, job id)`` of a button's ``custom_id``, or ``None`` if it is not one of ours."""
    match = re.fullmatch(TEMPLATE, value)
    return (match["action"], match["job"]) if match else None


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """A button acting on one job; rebuilt from its custom_id on every click."""

    def __init__(self, action: str, job_id: str, *, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=_STYLES.get(action, discord.ButtonStyle.secondary),
                emoji=_EMOJI.get(action),
                custom_id=custom_id(action, job_id),
            )
        )
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobButton:
        label = getattr(item, "label", None)
        return cls(match["action"], match["job"], label=label if isinstance(label, str) else None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler = cast(JobButtonHandler, interaction.client)
        await handler.on_job_button(interaction, self.action, self.job_id)
