"""``/wan history`` on Slack (issue 13): the entries as Block Kit, each with a **Use these settings** button.

One section per entry — its facts as escaped mrkdwn, its link as ``<url|Open>`` — whose accessory button
(``wan_reuse``, value: the job id) opens the usual remix form pre-filled from that job
(``adapters.slack.actions`` → ``ChatActions.remix_start(reuse=True)``). Sent as an ephemeral message
(``chat.postEphemeral``); should that fail, the plain text goes the usual way (``Reply.say``).
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import ACTION_PREFIX, SECTION_LIMIT, Mrkdwn, escape, fit
from adapters.slack.context import Reply
from adapters.slack.port import SlackPort
from core.actions.history import HistoryReport
from core.errors import PlatformError
from core.messages import Messages


def history_blocks(report: HistoryReport, messages: Messages) -> list[dict[str, Any]]:
    blocks = [title_section(report.title)]
    for entry in report.entries:
        section = entry_section(entry.text, entry.link, messages)
        section["accessory"] = {
            "type": "button", "action_id": f"{ACTION_PREFIX}reuse", "value": entry.job_id,
            "text": {"type": "plain_text", "text": messages("slack.button.reuse")},
        }
        blocks.append(section)
    return blocks


def title_section(title: str) -> dict[str, Any]:
    """A list's title line (``/wan history``, ``/wan top``), bold."""
    return _section(f"*{fit(title, 300)}*")


def entry_section(text: str, link: str | None, messages: Messages) -> dict[str, Any]:
    """One listed result: its facts as escaped mrkdwn, its link (the text's last line) as ``<url|Open>``;
    the caller adds the entry's button as the accessory."""
    facts, _, _ = text.rpartition("\n")  # the last line is the link (rendered as a label here)
    shown = fit(facts or text, SECTION_LIMIT - 600)
    if link and link.startswith(("https://", "http://")):
        url = escape(link).replace("|", "%7C").replace(" ", "%20")
        shown = Mrkdwn(f"{shown}\n<{url}|{escape(messages('history.open'))}>")
    return _section(shown)


async def send_history(reply: Reply, port: SlackPort, report: HistoryReport, messages: Messages) -> None:
    await send_list(reply, port, report.title, report.text, history_blocks(report, messages))


async def send_list(reply: Reply, port: SlackPort, title: str, text: str, blocks: list[dict[str, Any]]) -> None:
    """A list as an ephemeral message; should that fail, its plain text goes the usual way (``Reply.say``)."""
    try:
        await port.ephemeral(reply.channel_id, reply.user_id, title, blocks=blocks)
    except PlatformError:
        await reply.say(text)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
