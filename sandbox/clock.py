"""Time for the sandbox: the injectable clock and DashScope's time formats.

Every time-dependent decision (task state, URL expiry, rate windows) reads one ``Clock`` — a
zero-argument callable returning unix seconds — so tests can drive time with ``ManualClock`` instead
of sleeping. DashScope reports times as UTC+8 strings (``"2026-04-16 11:47:23.879"``) in task
bodies, milliseconds since the epoch in task lists, and takes ``YYYYMMDDhhmmss`` (UTC+8) as list
filters; the helpers here produce and parse exactly those.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

Clock = Callable[[], float]

#: DashScope's own zone (Beijing, UTC+8); every time string the service prints is in it.
CST = timezone(timedelta(hours=8), name="UTC+8")


class ManualClock:
    """A clock that moves only when told to: ``clock.advance(90)``."""

    def __init__(self, start: float = 1_776_311_243.879) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now

    def set(self, when: float) -> None:
        self.now = float(when)


def dashscope_time(ts: float) -> str:
    """``"2026-04-16 11:47:23.879"``: how task bodies print ``submit_time`` and friends."""
    dt = datetime.fromtimestamp(ts, CST)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def epoch_ms(ts: float) -> int:
    """Milliseconds since the epoch, as the task list prints ``gmt_create``."""
    return int(round(ts * 1000))


def format_list_time(ts: float) -> str:
    """``YYYYMMDDhhmmss`` in UTC+8, the form ``GET /tasks`` takes for ``start_time``/``end_time``."""
    return datetime.fromtimestamp(ts, CST).strftime("%Y%m%d%H%M%S")


def parse_list_time(text: str) -> float:
    """Parse ``YYYYMMDDhhmmss`` (UTC+8) to unix seconds; ``ValueError`` when malformed."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"time must be YYYYMMDDhhmmss, got {text!r}")
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CST).timestamp()


def utc_http_date(ts: float) -> str:
    """RFC 7231 date, as object storage prints ``ServerTime``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
