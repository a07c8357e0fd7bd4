"""Block Kit rendering of a ``StatusView``, and the escaping that keeps echoed text inert.

Everything a user typed (prompts, negative prompts, job ids in errors) reaches Slack through ``escape``:
``&``, ``<`` and ``>`` become entities, so ``<!channel>``, ``<!here>``, ``<@U123>`` or a disguised link
``<https://evil|Free Nitro>`` in a prompt show as text and never notify anyone or hide a URL; a bare
``@here``/``@channel``/``@everyone`` gets an invisible word joiner after its ``@``, so no parsing mode
(a file's comment cannot opt out of it) turns it into a broadcast. Every mrkdwn text object is sent
``verbatim`` (Slack then auto-links nothing and parses no mention or channel name in it) and messages
go out with ``parse=none``. Text that is already safe mrkdwn is wrapped in ``Mrkdwn`` so the port knows
not to escape it twice; what needs no formatting (modal titles, inputs, buttons) is ``plain_text``.

``shown`` is how a use case's result reads in an ephemeral reply (``core.actions.results``).

Buttons carry the job id as their ``value`` and a fixed ``action_id`` (``wan_cancel`` …): the handler
finds the job in the store, so buttons keep working after a restart.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from core.actions import HelpText, Result, UsageReport
from core.locale import speaking
from core.messages import Messages
from core.port import StatusView

#: Slack's limits: section/context text 3000 chars, fallback text is kept well under its 40k.
SECTION_LIMIT = 3000
FALLBACK_LIMIT = 3000

ACTION_PREFIX = "wan_"
ACTIONS = ("cancel", "reroll", "remix", "remixwan", "upscale", "animate", "delete",
           "reuse",  # reuse: a /wan history entry's "Use these settings" (issue 13)
           "promote")  # promote: a /wan top entry at 1080P (issue 13 votes)


class Mrkdwn(str):
    """Text that is already valid, escaped mrkdwn (the port sends it as is)."""


#: Broadcast words some parsing modes turn into ``<!here>`` and friends without any ``<``.
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
#: U+2060 WORD JOINER: invisible, and breaks the word Slack would match.
_JOINER = "\u2060"


def escape(text: str) -> str:
    """Slack's three control characters as entities, and bare broadcast words defused."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + _JOINER, text)


def safe(text: str) -> Mrkdwn:
    """Plain text as mrkdwn; ``Mrkdwn`` passes through unchanged."""
    return text if isinstance(text, Mrkdwn) else Mrkdwn(escape(text))


def fit(text: str, limit: int = SECTION_LIMIT) -> Mrkdwn:
    """Escape ``text`` and cut it (on a whole entity, with an ellipsis) so the result fits ``limit``."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return Mrkdwn(escaped)
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # never half an entity
    return Mrkdwn(cut + "…")


def quote(text: str, limit: int = SECTION_LIMIT) -> Mrkdwn:
    """A block quote of plain ``text``; each line gets its own ``>`` marker (ours, not the user's)."""
    body = fit(text, limit - 2 * (text.count("\n") + 1))
    return Mrkdwn("\n".join(f">{line}" for line in body.split("\n")))


def shown(result: Result) -> str:
    """What a use case's result says to the person who asked (plain text unless already ``Mrkdwn``)."""
    if isinstance(result, UsageReport):
        return Mrkdwn("\n".join([f"*{escape(result.title)}*", *(escape(row.text) for row in result.rows)]))
    if isinstance(result, HelpText):
        return Mrkdwn(f"```{escape(result.text)}```")
    return result.text


def fallback_text(view: StatusView) -> Mrkdwn:
    """The notification / screen-reader text sent beside the blocks (mrkdwn too, so escaped)."""
    return fit(view.as_text(), FALLBACK_LIMIT)


def _mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack takes as written: no auto-links, no mention or channel parsing."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _link(url: str, label: str) -> str:
    """``<url|label>`` for a URL the engine produced; a ``|`` or space in it cannot start a label."""
    if not url.startswith(("https://", "http://")):
        return fit(f"{label}: {url}", 600)
    safe_url = escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{fit(label, 100)}>"


def _button(action: str, job_id: str, messages: Messages) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{action}",
        "text": {"type": "plain_text", "text": messages(f"slack.button.{action}")},
        "value": job_id,
    }
    if action == "cancel":
        button["style"] = "danger"
    if action == "delete":
        button["style"] = "danger"
        button["confirm"] = {
            "title": {"type": "plain_text", "text": messages("slack.delete.confirm_title")},
            "text": {"type": "plain_text", "text": messages("slack.delete.confirm_text")},
            "confirm": {"type": "plain_text", "text": messages("slack.delete.confirm")},
            "deny": {"type": "plain_text", "text": messages("slack.delete.deny")},
        }
    return button


def status_blocks(view: StatusView, messages: Messages) -> list[dict[str, Any]]:
    """The status message: title and line, the prompt quoted, the facts, the detail, the buttons (labelled in
    the view's language: the job's, whoever's request this edit happens during)."""
    with speaking(view.locale):
        return _status_blocks(view, messages)


def _status_blocks(view: StatusView, messages: Messages) -> list[dict[str, Any]]:
    head = f"*{fit(view.title, 200)}*"
    if view.since is not None:
        # Slack renders <!date^…^{ago}|…> as "2 minutes ago" and keeps it current: no edit needed to tick.
        at = int(view.since.timestamp())
        ticking = view.ticking(f"<!date^{at}^{{ago}}|{view.since.astimezone(UTC):%Y-%m-%d %H:%M} UTC>")
        head += "".join(f"  ·  {part}" for part in (fit(view.place, 200), ticking) if part)
    elif view.line:
        head += f"  ·  {fit(view.line, 200)}"
    blocks = [_section(head), _section(quote(view.prompt))]
    if view.fields:
        # A context block takes at most 10 elements; the engine sends about six.
        elements = [_mrkdwn(f"*{fit(f.name, 100)}:* {fit(f.value, 600)}") for f in view.fields[:10]]
        blocks.append({"type": "context", "elements": elements})
    if view.wan_prompt:
        # Secondary, under the facts: the rewrite prompt extension made (the Remix Wan's prompt button
        # pre-fills all of it in a form).
        label = f"*{fit(view.wan_prompt.name, 100)}:* "
        elements = [_mrkdwn(label + fit(view.wan_prompt.value, SECTION_LIMIT - len(label)))]
        blocks.append({"type": "context", "elements": elements})
    if view.detail:
        blocks.append(_section(fit(view.detail)))
    if view.link:
        # A link the engine produced (a signed DashScope URL): escaped like any text inside <url|label>.
        blocks.append(_section(_link(view.link, messages("slack.download"))))
    buttons = [_button(a, view.job_id, messages) for a in view.actions if a in ACTIONS]
    if buttons:
        blocks.append({"type": "actions", "block_id": f"wan_actions_{view.job_id}", "elements": buttons})
    return blocks
