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
    blocks: list[dict[str, Any]] = [_section(f"*{fit(report.title, 300)}*")]
    for entry in report.entries:
        facts, _, _ = entry.text.rpartition("\n")  # the last line is the link (rendered as a label here)
        text = fit(facts or entry.text, SECTION_LIMIT - 600)
        if entry.link and entry.link.startswith(("https://", "http://")):
            url = escape(entry.link).replace("|", "%7C").replace(" ", "%20")
            text = Mrkdwn(f"{text}\n<{url}|{escape(messages('history.open'))}>")
        section = _section(text)
        section["accessory"] = {
            "type": "button", "action_id": f"{ACTION_PREFIX}reuse", "value": entry.job_id,
            "text": {"type": "plain_text", "text": messages("slack.button.reuse")},
        }
        blocks.append(section)
    return blocks


async def send_history(reply: Reply, port: SlackPort, report: HistoryReport, messages: Messages) -> None:
    try:
        await port.ephemeral(reply.channel_id, reply.user_id, report.title, blocks=history_blocks(report, messages))
    except PlatformError:
        await reply.say(report.text)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
