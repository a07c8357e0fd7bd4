"""Backoff timing, Retry-After parsing, and the pure reconciliation helpers."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from core.dashscope import RetryPolicy, TaskInfo, TaskStatus, TaskSummary
from core.dashscope.reconcile import candidates, list_time, same_prompt, window
from core.dashscope.retry import parse_retry_after


def test_full_jitter_stays_under_an_exponential_capped_ceiling() -> None:
    policy = RetryPolicy(attempts=10, base_delay=0.5, max_delay=3.0)
    rng = random.Random(1)
    for n in range(1, 10):
        ceiling = min(3.0, 0.5 * 2 ** (n - 1))
        delays = [policy.backoff(n, rng) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays) and len(set(delays)) > 1
    assert policy.backoff(1, rng, retry_after=12) == 12
    assert policy.backoff(1, rng, retry_after=10_000) == policy.max_retry_after


def test_retry_after_forms() -> None:
    now = datetime(2026, 4, 16, 3, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after({"Retry-After": "3"}, now) == 3.0
    assert parse_retry_after({"Retry-After": "Thu, 16 Apr 2026 03:00:30 GMT"}, now) == 30.0
    assert parse_retry_after({"Retry-After": "soon"}, now) is None
    assert parse_retry_after({}, now) is None


def test_window_and_list_time_are_beijing() -> None:
    start, end = window(1_000.0, 1_010.0, 30.0)
    assert (start.timestamp(), end.timestamp()) == (970.0, 1_040.0)
    assert list_time(datetime(2026, 4, 16, 16, 30, 5, tzinfo=UTC)) == "20260417003005"


def test_candidates_filter_and_order() -> None:
    def row(tid: str, ts: float | None, model: str | None = "m") -> TaskSummary:
        created = datetime.fromtimestamp(ts, UTC) if ts is not None else None
        return TaskSummary(task_id=tid, status=TaskStatus.PENDING, model_name=model, created_at=created)

    start, end = window(1_000.0, 1_000.0, 10.0)
    rows = [row("late", 1_005), row("early", 995), row("old", 900), row("other", 1_000, "x"),
            row("excluded", 999), row("undated", None), row("unnamed", 1_001, None), row("early", 995)]
    got = candidates(rows, model="m", start=start, end=end, exclude={"excluded"})
    assert [r.task_id for r in got] == ["early", "unnamed", "late", "undated"]


def test_prompt_comparison_is_loose_but_not_blind() -> None:
    assert same_prompt("them '.", "them '。") is True
    assert same_prompt("A fox  detective", "a fox detective") is True
    assert same_prompt("a fox", "a cat") is False
    assert same_prompt("a fox", None) is None


def test_failed_sdk_printout_reads_top_level_code() -> None:
    info = TaskInfo.from_wire({"status_code": 200, "code": "DataInspectionFailed", "message": "flagged",
                               "output": {"task_id": "t", "task_status": "FAILED"}})
    assert info.code == "DataInspectionFailed" and info.message == "flagged"
