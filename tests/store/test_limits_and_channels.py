"""Budgets, the per-user cap and the cooldown hold under concurrent inserts (both backends); channel
defaults; v1 → v2."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.budget import Budget, BudgetCheck, BudgetExceeded, Period, Scope, Unit
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.errors import QuotaExceeded
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.transcode import fit_to_size
from tests.fakes.dashscope import FakeDashScope
from tests.fakes.port import RecordingPort
from tests.store.test_store import T0, make_job


def _check(limit: str, unit: Unit, scope: Scope = Scope.USER, user: str | None = "u1") -> BudgetCheck:
    budget = Budget(scope, Period.DAY, Decimal(limit), unit)
    return BudgetCheck(budget, since=T0 - timedelta(hours=1), platform="discord", workspace_id="w1", user_id=user)


def _reserved(**changes: Any) -> Job:
    return make_job(reserved_seconds=5.0, reserved_cost=Decimal("3.00"), **changes)


async def test_concurrent_requests_cannot_overspend_a_budget(store: JobStore) -> None:
    check = _check("10.00", Unit.CNY)  # room for three ¥3 videos

    async def attempt() -> bool:
        try:
            await store.insert(_reserved(), within=[check])
        except BudgetExceeded:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sum(results) == 3
    assert len(await store.active()) == 3


async def test_failed_and_cancelled_jobs_give_their_reservation_back(store: JobStore) -> None:
    check = _check("10", Unit.SECONDS)
    first = _reserved()
    await store.insert(first, within=[check])
    await store.insert(_reserved(), within=[check])
    with pytest.raises(BudgetExceeded) as refused:
        await store.insert(_reserved(), within=[check])
    assert (refused.value.spent, refused.value.needed) == (Decimal("10.0"), Decimal("5.0"))
    await store.save(first.evolve(state=JobState.FAILED))
    await store.insert(_reserved(), within=[check])


async def test_billed_figures_replace_the_estimate(store: JobStore) -> None:
    check = _check("5.00", Unit.CNY)
    job = _reserved()
    await store.insert(job, within=[check])
    await store.save(job.evolve(state=JobState.DELIVERED, cost=Decimal("1.00")))
    await store.insert(_reserved(), within=[check]) # 1 + 3 <= 5
    with pytest.raises(BudgetExceeded):
        await store.insert(_reserved(), within=[check])


async def test_workspace_budget_counts_everyone_and_user_budget_only_the_user(store: JobStore) -> None:
    workspace = _check("6.00", Unit.CNY, scope=Scope.WORKSPACE, user=None)
    await store.insert(_reserved(user="a"), within=[workspace])
    await store.insert(_reserved(user="b"), within=[workspace])
    with pytest.raises(BudgetExceeded):
        await store.insert(_reserved(user="c"), within=[workspace])
    mine = _check("3.00", Unit.CNY, user="d")
    await store.insert(_reserved(user="d"), within=[mine])


async def test_jobs_before_the_period_do_not_count(store: JobStore) -> None:
    check = _check("3.00", Unit.CNY)
    await store.insert(_reserved(created_at=T0 - timedelta(days=2)))
    await store.insert(_reserved(), within=[check])


async def test_per_user_cap_holds_under_concurrent_inserts(store: JobStore) -> None:
    async def attempt() -> bool:
        try:
            await store.insert(make_job(), max_active_for_user=2)
        except QuotaExceeded:
            return False
        return True

    assert sum(await asyncio.gather(*(attempt() for _ in range(6)))) == 2


class _Clock:
    """Time stands still unless a test moves it: the cooldown cannot lapse while real I/O runs."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def _engine(store: JobStore, clock: _Clock, tmp_path: Path, cooldown: float) -> Engine:
    api = FakeDashScope(clock)
    return Engine(
        store=store, client=api, ports={"test": RecordingPort()}, clock=clock,
        delivery=Delivery(api, workdir=tmp_path / "work", messages=Messages(), fit=fit_to_size),
        config=EngineConfig(cooldown=cooldown, per_user_cap=100, max_in_flight=0, replica_id="r1"),
    )


async def _accept(engine: Engine, user: str = "u1") -> str | None:
    """The job id, or the refusal's code."""
    requester = Requester(platform="test", user_id=user, channel_id="c", workspace_id="w")
    try:
        job = await engine.accept(requester, ConversationRef("test", "c", "w"),
                                  GenerationRequest.build(prompt="a lighthouse at dusk"))
    except QuotaExceeded as exc:
        assert exc.code == "Cooldown" and "try again in" in exc.message
        assert 0 < (exc.retry_after or 0) <= 60
        return None
    return job.id


async def test_cooldown_holds_for_concurrent_commands_and_across_a_restart(
    store: JobStore, db_url: str, tmp_path: Path
) -> None:
    clock = _Clock()
    engine = _engine(store, clock, tmp_path, cooldown=60)
    try:
        accepted = [j for j in await asyncio.gather(*(_accept(engine) for _ in range(30))) if j]
        assert len(accepted) == 1
        assert len(await store.recent_for_user("test", "w", "u1", limit=50)) == 1
        assert await _accept(engine, user="u2") is not None  # only that user waits
    finally:
        await engine.stop()
    # A restart (a new engine, a new connection) or another replica still refuses inside the window.
    clock.now += 30
    async with await JobStore.open(db_url) as other_store:
        other = _engine(other_store, clock, tmp_path, cooldown=60)
        try:
            assert await _accept(other) is None
            clock.now += 31
            assert await _accept(other) is not None
        finally:
            await other.stop()


async def test_channel_defaults_round_trip(store: JobStore) -> None:
    channels = store.channels
    assert await channels.get("discord", "w1", "c1") == {}
    await channels.set("discord", "w1", "c1", {"model": "wan2.6-t2v", "duration": 10}, by="admin")
    assert await channels.get("discord", "w1", "c1") == {"model": "wan2.6-t2v", "duration": 10}
    assert await channels.get("discord", "w1", "c2") == {}
    assert await channels.get("console", None, "c1") == {}
    await channels.set("console", None, "c1", {"resolution": "1080P"}, by="me")
    assert await channels.get("console", None, "c1") == {"resolution": "1080P"}
    await channels.set("discord", "w1", "c1", {}, by="admin")
    assert await channels.get("discord", "w1", "c1") == {}
    with pytest.raises(ValueError, match="not a channel default"):
        await channels.set("discord", "w1", "c1", {"prompt": "x"}, by="admin")


def test_budget_periods_start_in_the_configured_zone() -> None:
    from zoneinfo import ZoneInfo

    from core.budget import period_start

    now = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # already 1 Dec 04:30 in Beijing
    assert period_start(now, Period.DAY, ZoneInfo("UTC")) == datetime(2026, 11, 30, tzinfo=UTC)
    beijing = period_start(now, Period.MONTH, ZoneInfo("Asia/Shanghai"))
    assert beijing.astimezone(UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)
