"""Deciding which listed task, if any, an uncertain create produced — the pure part.

A create whose outcome is uncertain (timeout, reset, garbled body, 429, any 5xx) may or may not have
started a billed task, and DashScope offers no idempotency key. So the client asks ``GET /tasks`` for the
same model in a window around the send, and adopts a task only when exactly one could be ours:

* created within ``[first uncertain send - skew, now + skew]`` (the service's clock and ours differ a
  little, and the service stamps the task after it read the body);
* not one the deployment knows (every job's task id of the last days and every task already judged an
  orphan — the caller's ``TaskLedger`` reads them from the store at each look, so other replicas' tasks
  count too) and not one this client handed out;
* when the service reports ``orig_prompt`` (it does only once a task SUCCEEDED), the same prompt,
  compared loosely (the service may change the final punctuation, as in the vendor's own examples).

Two or more such tasks cannot be told apart: the create is *ambiguous* and nothing is adopted. The
deployment lets one create be unresolved at a time (``core.store.leases.Leases.take_slot``), so this is
rare. The I/O (listing, re-checks after the list lags, the queries) lives in ``client``.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from core.dashscope.models import BEIJING, TaskInfo, TaskSummary

log = logging.getLogger("wanbot.dashscope")

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


class TaskLedger(Protocol):
    """What the caller of a create knows about the account's tasks (the engine reads its store)."""

    async def known_task_ids(self) -> Collection[str]:
        """Every task id that belongs to a job or was already judged an orphan: never adopted."""

    async def orphans_found(self, tasks: Sequence[TaskInfo], reason: str) -> None:
        """Tasks on the account that no job owns (``reason`` says why they cannot be adopted)."""


class StaticLedger:
    """A ledger for a caller without a store: a fixed set of known ids; orphans are only logged."""

    def __init__(self, known: Collection[str] = ()) -> None:
        self._known = frozenset(known)

    async def known_task_ids(self) -> Collection[str]:
        return self._known

    async def orphans_found(self, tasks: Sequence[TaskInfo], reason: str) -> None:
        for task in tasks:
            log.warning("dashscope orphan task %s (%s, created %s): %s", task.task_id, task.status.value,
                        task.submit_time.isoformat() if task.submit_time else "?", reason)


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
    """Rows that could be the uncertain create's task, earliest first."""
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


__all__ = ["StaticLedger", "TaskLedger", "candidates", "list_time", "same_prompt", "window"]
