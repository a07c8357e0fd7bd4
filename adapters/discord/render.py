"""How a job's ``StatusView`` looks on Discord: one embed plus a row of persistent buttons.

The engine decides the words (``core.status``); this module only lays them out. A sample per state::

    🎬 Queued                                   (title; colour: grey)
    > a lighthouse at dusk, slow push-in        (the prompt, quoted, as plain text)
    Model wan2.7-t2v · Format 720P · 16:9 · 5s · Seed 42 · Estimate ¥3.00 · Job abcd2345
    position 2 in line · 3s                     (footer: queue position or elapsed time)
    [Cancel]

A finished job whose prompt Wan rewrote adds a full-width "Prompt Wan used" field (the rewrite, cut to fit)
and a "Remix Wan's prompt" button next to Remix.

Buttons carry the job id in their ``custom_id`` (``adapters.discord.buttons``), so a click works after a
restart; a state with no actions sends an empty component list, which removes old buttons.

Everything that may carry someone's text — the prompt, field values (the "Avoid" negative prompt), the
detail (DashScope's own sentence can echo input) — goes through ``adapters.discord.markup.plain``, so no
masked link, header or mention survives in it. Titles and footers are wanbot's own words (and footers
render no markdown); the link is DashScope's URL, left clickable.
"""

from __future__ import annotations

import discord

from adapters.discord.buttons import JobButton
from adapters.discord.markup import fitted, plain
from core.locale import speaking
from core.messages import Messages
from core.port import StatusView

#: Discord takes at most 4096 characters of description (prompts can be 5000) and 1024 per field value;
#: escaping can double a text, so the quoted prompt gets a budget that leaves room for the detail.
_MAX_PROMPT = 2500
_MAX_FIELD = 1024
_MAX_DETAIL = 1000
#: A message holds at most 6000 characters of embeds in all: ``/wan status`` shows up to five jobs, each
#: compact (shorter prompt, detail and field values), so the five together always fit.
EMBEDS_TOTAL = 6000
_COMPACT_PROMPT = 300
_COMPACT_DETAIL = 300
_COMPACT_FIELD = 150

_COLOURS: dict[str, discord.Colour] = {
    "QUEUED": discord.Colour.light_grey(),
    "SUBMITTING": discord.Colour.light_grey(),
    "PENDING": discord.Colour.blurple(),
    "RUNNING": discord.Colour.blue(),
    "SUCCEEDED": discord.Colour.purple(),
    "DELIVERED": discord.Colour.green(),
    "FAILED": discord.Colour.red(),
    "CANCELED": discord.Colour.dark_grey(),
    "EXPIRED": discord.Colour.orange(),
}


def _quoted(prompt: str) -> str:
    return "\n".join(f"> {plain(line)}" for line in prompt.splitlines() or [""])


def quote_prompt(prompt: str, limit: int = _MAX_PROMPT) -> str:
    """The prompt as a block quote of plain text (each line escaped as its own line, then quoted)."""
    return fitted(prompt, limit, _quoted)


def status_embed(view: StatusView, *, compact: bool = False) -> discord.Embed:
    """The status embed; ``compact`` for one of several in a message (see ``EMBEDS_TOTAL``)."""
    parts = [quote_prompt(view.prompt, _COMPACT_PROMPT if compact else _MAX_PROMPT)]
    if view.since is not None:
        # Discord renders <t:…:R> as "2 minutes ago" in the reader's own language and keeps it ticking, so
        # an unfinished job's elapsed time moves without a single edit (footers do not render it: here).
        parts.append(view.ticking(f"<t:{int(view.since.timestamp())}:R>"))
    if view.detail:
        parts.append(fitted(view.detail, _COMPACT_DETAIL if compact else _MAX_DETAIL))
    if view.link:
        parts.append(view.link)
    embed = discord.Embed(
        title=view.title,
        description="\n\n".join(parts),
        colour=_COLOURS.get(view.state, discord.Colour.default()),
    )
    for item in view.fields:
        embed.add_field(name=plain(item.name), value=fitted(item.value, _COMPACT_FIELD if compact else _MAX_FIELD),
                        inline=True)
    if view.requested_by is not None:
        # Issue 14: a mention in an embed renders as the person's name and never pings.
        embed.add_field(name=plain(view.requested_label), value=f"<@{view.requested_by.user_id}>", inline=True)
    footer = view.place if view.since is not None else view.line
    if footer:
        embed.set_footer(text=footer)
    if view.wan_prompt and not compact:
        # Secondary: a full-width field under the facts, cut to what the field and the embed still hold
        # (the whole text is one click away: the Remix Wan's prompt button pre-fills it in a form).
        name = plain(view.wan_prompt.name)
        room = min(_MAX_FIELD, EMBEDS_TOTAL - len(embed) - len(name))
        if room > 20:
            embed.add_field(name=name, value=fitted(view.wan_prompt.value, room), inline=False)
    return embed


def status_embeds(views: tuple[StatusView, ...] | list[StatusView]) -> list[discord.Embed]:
    """Several jobs' statuses for one message (``/wan status``): one embed for one job; compact ones for
    more, newest first, as many as fit in a message's ``EMBEDS_TOTAL`` characters (at least the first)."""
    if len(views) <= 1:
        return [status_embed(view) for view in views]
    embeds: list[discord.Embed] = []
    for view in views:
        embed = status_embed(view, compact=True)
        if embeds and sum(len(e) for e in embeds) + len(embed) > EMBEDS_TOTAL:
            break
        embeds.append(embed)
    return embeds


def status_buttons(view: StatusView, messages: Messages) -> discord.ui.View:
    """The buttons of this state, labelled in the view's language (the job's); an empty view clears earlier
    ones when the message is edited."""
    buttons = discord.ui.View(timeout=None)
    with speaking(view.locale):
        for action in view.actions:
            buttons.add_item(JobButton(action, view.job_id, label=messages(f"discord.button.{action}")))
    return buttons


def status_text(embed: discord.Embed) -> str:
    """A plain-text rendering of an embed (logs, the README samples)."""
    lines = [embed.title or "", embed.description or ""]
    lines.append(" · ".join(f"{f.name} {f.value}" for f in embed.fields))
    if embed.footer and embed.footer.text:
        lines.append(embed.footer.text)
    return "\n".join(line for line in lines if line)
