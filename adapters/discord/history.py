"""``/wan history`` on Discord (issue 13): one ephemeral embed of the entries, and a **Use these settings**
button per entry (``wan:reuse:<job>``, a ``JobButton``) that opens the usual remix form pre-filled from that
job (``Handlers`` → ``ChatActions.remix_start(reuse=True)``). Entry text is shown literally
(``adapters.discord.markup.plain``: a prompt cannot format, link or mention); links stay clickable.
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.buttons import JobButton
from adapters.discord.errors import send_ephemeral
from adapters.discord.markup import fitted
from core.actions.history import HistoryReport
from core.messages import Messages

#: Discord's limits: an embed's title and description; a button's label.
_TITLE, _DESCRIPTION, _LABEL = 256, 4096, 80


def history_embed(report: HistoryReport) -> discord.Embed:
    body = "\n\n".join(entry.text for entry in report.entries)
    return discord.Embed(title=fitted(report.title, _TITLE), description=fitted(body, _DESCRIPTION) or None)


def history_buttons(report: HistoryReport, messages: Messages) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for entry in report.entries:  # at most 10: two rows of five
        label = f"{messages('history.reuse')} · {entry.job_id}"[:_LABEL]
        view.add_item(JobButton("reuse", entry.job_id, label=label))
    return view


async def send_history(interaction: discord.Interaction[Any], report: HistoryReport, messages: Messages) -> None:
    view = history_buttons(report, messages) if report.entries else None
    await send_ephemeral(interaction, embeds=[history_embed(report)], view=view)
