"""Limits checked inside the insert transaction: the cooldown, the per-user cap and the spending budgets.

``check_limits`` runs in the same locked transaction as the job's insert (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: an advisory lock per workspace), so concurrent requests — from one process or many
replicas — see each other's reservations and cannot both squeeze under a limit. The cooldown is read
from the user's stored jobs for the same reason: a restart or another replica cannot reset it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.budget import BudgetCheck, BudgetExceeded, Unit
from core.errors import CooldownActive, UserCapReached
from core.jobs import Job
from core.store.schema import ACTIVE_STATES, FREE_STATES, jobs, require_aware, user_filter


async def check_limits(
    conn: AsyncConnection,
    job: Job,
    within: Sequence[BudgetCheck],
    max_active: int | None,
    cooldown: float | None = None,
) -> None:
    """Raise ``CooldownActive``, ``UserCapReached`` or ``BudgetExceeded`` if ``job`` may not be stored."""
    r = job.requester
    if conn.dialect.name == "postgresql":
        # One lock per workspace: the user and workspace budgets of that workspace serialise on it.
        key = f"wanbot-limits:{r.platform}:{r.workspace_id or ''}"
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    if cooldown:
        await _check_cooldown(conn, job, cooldown)
    if max_active is not None:
        active = await conn.scalar(
            select(func.count()).select_from(jobs).where(
                *user_filter(r.platform, r.workspace_id, r.user_id), jobs.c.state.in_(ACTIVE_STATES)
            )
        )
        if int(active or 0) >= max_active:
            raise UserCapReached(f"{active} jobs in progress (limit {max_active})")
    for check in within:
        spent = await spent_against(conn, check)
        needed = check.needed(job.reserved_seconds or 0.0, job.reserved_cost or Decimal(0))
        if spent + needed > check.budget.limit:
            raise BudgetExceeded(check, spent, needed)


async def _check_cooldown(conn: AsyncConnection, job: Job, cooldown: float) -> None:
    """Refuse when the user's latest stored job (any state) was created less than ``cooldown`` s before."""
    r = job.requester
    created = require_aware(job.created_at, "created_at")
    latest = await conn.scalar(
        select(jobs.c.created_at)
        .where(*user_filter(r.platform, r.workspace_id, r.user_id),
               jobs.c.created_at > created - timedelta(seconds=cooldown))
        .order_by(jobs.c.created_at.desc())
        .limit(1)
    )
    if latest is not None:
        wait = max(0.0, (latest - created).total_seconds() + cooldown)
        raise CooldownActive(f"cooldown: {wait:.0f} s left", retry_after=wait)


async def spent_against(conn: AsyncConnection, check: BudgetCheck) -> Decimal:
    """What counts against ``check``: billed figures, or the estimate while a job is unbilled."""
    conds = [
        *user_filter(check.platform, check.workspace_id, check.user_id),
        jobs.c.state.not_in(FREE_STATES),
        jobs.c.created_at >= require_aware(check.since, "since"),
    ]
    cols = (jobs.c.billed_seconds, jobs.c.cost, jobs.c.reserved_seconds, jobs.c.reserved_cost)
    rows = (await conn.execute(select(*cols).where(*conds))).all()
    total = Decimal(0)
    # Summed here, not in SQL: costs are exact decimal text, which SQLite's SUM would turn into floats.
    for billed_seconds, cost, reserved_seconds, reserved_cost in rows:
        if check.budget.unit is Unit.CNY:
            total += cost if cost is not None else (reserved_cost or Decimal(0))
        else:
            seconds = billed_seconds if billed_seconds is not None else reserved_seconds
            total += Decimal(str(seconds or 0))
    return total
