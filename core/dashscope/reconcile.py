"""Deciding which listed task, if any, an ambiguous create produced — the pure part.

A create whose answer was lost (timeout, reset, garbled body) may or may not have started a billed
task, and DashScope offers no idempotency key. So the client asks ``GET /tasks`` for the same model in a
window around the send and adopts a task only if it could be ours:

* created within ``[sent_at - skew, now + skew]`` (the service's clock and ours differ a little, and the
  service stamps the task after it read the body);
* not excluded by the caller (task ids other jobs own) and not already handed out by this client;
* when the prompt is known and the service reports ``orig_prompt``, the same prompt (compared loosely:
  the service may change the final punctuation, as in the vendor's own examples).

Among candidates the earliest wins: of two lost creates, the first one sent most likely made the first
task. The I/O (listing, re-checks after the list lags, the final query) lives in ``client``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from core.dashscope.models import BEIJING, TaskSummary

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def window(sent_at: float, now: float, skew: float) -> tuple[datetime, datetime]:
    """The aware UTC bounds to search: from a little before the send to a little after now."""
    start = datetime.fromtimestamp(sent_at - skew, UTC)
    end = datetime.fromtimestamp(max(now, sent_at) + skew, UTC)
    return start, end


def list_time(moment: datetime) -> str:
    """``YYYYMMDDhhmmss`` in Beijing time, the format ``GET /tasks`` takes."""
    if moment.tzinfo is None:
        raise ValueError("list_tasks needs aware datetimes (the service works in UTC+8)")
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def candidates(
    rows: Iterable[TaskSummary],
    *,
    model: str,
    start: datetime,
    end: datetime,
    exclude: Collection[str],
) -> list[TaskSummary]:
    """Rows that could be the lost create's task, earliest first."""
    picked: dict[str, TaskSummary] = {}
    for row in rows:
        if row.task_id in exclude or row.task_id in picked:
            continue
        if row.model_name is not None and row.model_name != model:
            continue  # the server-side filter should have done this; do not trust a proxy to
        # A row without gmt_create was still returned for this window by the service's own filter.
        if row.created_at is not None and not start <= row.created_at <= end:
            continue
        picked[row.task_id] = row
    return sorted(picked.values(), key=lambda r: r.created_at or _FAR_FUTURE)


def _loose(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Drop punctuation, symbols and spaces: "them '." and "them '。" must compare equal.
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def same_prompt(sent: str, reported: str | None) -> bool | None:
    """True/False when the service reported ``orig_prompt``; None when it did not (cannot tell)."""
    if not reported:
        return None
    return _loose(sent) == _loose(reported)


__all__ = ["candidates", "list_time", "same_prompt", "window"]
