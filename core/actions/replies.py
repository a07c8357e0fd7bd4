"""The one place an error becomes the sentence a person reads, on every surface.

Adapters first handle what only their platform raises (discord.py's check failures, Slack's "not in
channel"), then call ``sentence_for``; they only escape and format the result. A refusal
(``ActionRefused``, ``QuotaExceeded``) is already a sentence; an invalid request names what to fix; a
DashScope error is explained from the catalogue — and when the catalogue has no explanation for its
code, DashScope's own words are shown, the same on every platform. Anything unexpected is logged here
with its stack, and the person gets a short apology, never a traceback.
"""

from __future__ import annotations

import logging

from core.access import ActionRefused
from core.errors import DashScopeError, InvalidRequest, QuotaExceeded, WanbotError
from core.messages import Messages, shorten

log = logging.getLogger("wanbot")

#: How much of DashScope's own message a reply quotes.
_QUOTED = 200


def sentence_for(exc: BaseException, messages: Messages) -> str:
    if isinstance(exc, InvalidRequest):
        return messages("invalid", reason=exc.message)
    if isinstance(exc, ActionRefused | QuotaExceeded):
        return exc.message
    if isinstance(exc, DashScopeError):
        if messages.has(f"error.{exc.code}"):
            return messages(f"error.{exc.code}")
        return messages("error.dashscope_said", message=shorten(exc.message, _QUOTED))
    if isinstance(exc, WanbotError):
        log.warning("wanbot error in a chat handler: %s", exc)
        return messages.explain(exc.code, messages("error.internal"))
    log.error("unexpected error in a chat handler", exc_info=exc)
    return messages("error.internal")


__all__ = ["sentence_for"]
