"""The Slack adapter's two error translations, in one place.

* ``platform_error``: whatever slack_sdk or the network raised → ``core.errors.PlatformError`` with
  Slack's own error string as ``code`` (``not_in_channel``, ``ratelimited`` …), ``retryable`` when sending
  again later can help (rate limits, 5xx, a dropped connection) and ``retry_after`` when Slack said.
  Two answers wanbot acts on get a type: ``UploadTooLarge`` (``code="TooLarge"``: delivery re-encodes)
  and ``SlackNotInChannel`` (the bot cannot post here; ``code`` stays Slack's word for why).
* ``reply_for``: any exception → the one sentence the user reads in an ephemeral reply: Slack's own
  failures here, everything else through ``core.actions.sentence_for`` (never a traceback).
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from core.actions import sentence_for
from core.errors import PlatformError, UploadTooLarge
from core.messages import Messages

log = logging.getLogger("wanbot.slack")

#: Slack's answers that mean "the bot cannot post here": the user must invite it (or use a public channel).
NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "method_not_supported_for_channel_type",
                            "is_archived", "restricted_action"})
_RETRYABLE = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
_TOO_LARGE = frozenset({"file_too_large", "file_uploads_exceed_limit", "too_large"})


class SlackNotInChannel(PlatformError):
    """The bot cannot post in this conversation (private, archived, not joined): the user must invite it."""

    default_code = "not_in_channel"


def platform_error(exc: BaseException) -> PlatformError:
    """Translate one failure of a Slack call; ``PlatformError`` passes through unchanged."""
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = str(data.get("error") or f"http_{status}")
        retry_after: float | None = None
        header = exc.response.headers.get("Retry-After") if exc.response.headers else None
        if header is not None:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        kind = PlatformError
        if code in _TOO_LARGE or status == 413:
            kind, code = UploadTooLarge, "TooLarge"  # the type core.delivery reacts to
        elif code in NOT_IN_CHANNEL:
            kind = SlackNotInChannel
        retryable = status == 429 or status >= 500 or code in _RETRYABLE
        return kind(f"Slack answered {code}", code=code, http_status=status, retryable=retryable,
                    retry_after=retry_after)
    if isinstance(exc, SlackClientError | aiohttp.ClientError | TimeoutError | OSError):
        # SlackRequestError (e.g. the upload URL answered 5xx), connection resets, timeouts.
        return PlatformError(f"Slack could not be reached: {exc}", code="slack_unreachable", retryable=True)
    return PlatformError(f"unexpected Slack failure: {exc!r}", code="slack_unexpected")


def reply_for(exc: BaseException, messages: Messages) -> str:
    """What the user reads for ``exc`` (plain text: the port escapes it): Slack's own failures first (the
    bot is not in the conversation; Slack did not answer), then ``core.actions.sentence_for``."""
    if isinstance(exc, SlackNotInChannel):
        return messages("slack.not_in_channel")
    if isinstance(exc, PlatformError):
        log.warning("Slack call failed: %s", exc)
        return messages("slack.unreachable")
    return sentence_for(exc, messages)
