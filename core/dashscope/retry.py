"""Retry timing: how long to wait before the next attempt, and nothing else.

Owns ``RetryPolicy`` (exponential backoff with full jitter, capped) and ``ReconcilePolicy`` (how an
ambiguous create is checked against the task list). Waiting itself is done by the caller through an
injected ``sleep`` so tests record delays instead of sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts every try including the first; delays follow "full jitter" backoff."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    #: A server's ``Retry-After`` is honoured up to this bound, so a bad header cannot park a job.
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy needs attempts >= 1 and non-negative delays")

    def backoff(self, retry_no: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Delay before retry number ``retry_no`` (1 for the first retry).

        Full jitter (uniform in ``[0, min(max, base·2^(n-1))]``) spreads clients that failed together,
        e.g. five jobs throttled by the same account-wide 429. A ``Retry-After`` overrides it.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(retry_no - 1, 0)))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class ReconcilePolicy:
    """How an ambiguous create is matched against ``GET /tasks``.

    ``skew`` widens the window on both sides (our clock vs the service's ``gmt_create``; the service
    stamps the task a little after it received the body). ``recheck_delays`` are the waits before each
    re-check when the first look finds nothing, because the list can lag a fresh create.
    """

    skew: float = 30.0
    recheck_delays: tuple[float, ...] = (2.0, 5.0)
    #: How many list pages one look may read (the window is short; this only bounds a runaway).
    max_pages: int = 10
    page_size: int = 100


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if absent/bad."""
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.fromtimestamp(now, UTC)).total_seconds(), 0.0)


__all__ = ["ReconcilePolicy", "RetryPolicy", "parse_retry_after"]
