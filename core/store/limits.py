"""Limits checked inside the insert transaction: the cooldown, the per-user cap and the spending budgets.

The store writes new jobs in batches (``core.store.batch``): one locked transaction (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock per workspace, taken in sorted order so two batches
never deadlock) reads what the limits need *once per batch* (``Admission.load``: active jobs per user,
each user's latest job, what each budget has spent) and then admits the batch's jobs **in order**
(``Admission.admit``), each one counted against the stored jobs *and the ones admitted before it in the
batch*. So concurrent requests — from one process or many replicas — still see each other's
reservations and cannot both squeeze under a limit, and a refused job costs its batch nothing (nothing
of it was written). The cooldown is read from the user's stored jobs, so a restart or another replica
cannot reset it.

The in-memory counting mirrors the SQL exactly (``_counts_against`` is ``spent_against``'s filter for
one job); a test checks a batch against jobs inserted one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.budget import BudgetCheck, BudgetExceeded, Unit
from core.errors import CooldownActive, UserCapReached
from core.jobs import Job
from core.store.schema import ACTIVE_STATES, FREE_STATES, jobs, require_aware, user_filter

#: ``(platform, workspace_id, user_id)``: whose jobs a cap or a cooldown counts.
UserKey = tuple[str, str | None, str]


@dataclass(frozen=True)
class Limits:
    """What one insert must stay under (nothing: an unguarded insert)."""

    within: Sequence[BudgetCheck] = ()
    max_active: int | None = None
    #: Seconds since the user's latest job (any state); ``None`` or 0 = no cooldown.
    cooldown: float | None = None

    @property
    def guarded(self) -> bool:
        return bool(self.within) or self.max_active is not None or bool(self.cooldown)


def _user_of(job: Job) -> UserKey:
    r = job.requester
    return (r.platform, r.workspace_id, r.user_id)


def _lock_key(job: Job) -> str:
    r = job.requester
    return f"wanbot-limits:{r.platform}:{r.workspace_id or ''}"


def _counts_against(check: BudgetCheck, job: Job) -> Decimal:
    """What ``job`` adds to ``check``'s spending: the filter and the sum of ``spent_against``, for one job."""
    r = job.requester
    if (r.platform, r.workspace_id) != (check.platform, check.workspace_id):
        return Decimal(0)
    if check.user_id is not None and r.user_id != check.user_id:
        return Decimal(0)
    if job.state.value in FREE_STATES or job.created_at < require_aware(check.since, "since"):
        return Decimal(0)
    if check.budget.unit is Unit.CNY:
        return job.cost if job.cost is not None else (job.reserved_cost or Decimal(0))
    seconds = job.billed_seconds if job.billed_seconds is not None else job.reserved_seconds
    return Decimal(str(seconds or 0))


@dataclass
class Admission:
    """The limits of one batch: what the store held when the batch began, plus what it admitted since."""

    #: Active jobs per capped user; the latest job's time per user with a cooldown (absent: none yet).
    active: dict[UserKey, int] = field(default_factory=dict)
    cooled: set[UserKey] = field(default_factory=set)
    latest: dict[UserKey, datetime] = field(default_factory=dict)
    spent: dict[BudgetCheck, Decimal] = field(default_factory=dict)

    @classmethod
    async def load(cls, conn: AsyncConnection, items: Sequence[tuple[Job, Limits]]) -> Admission:
        """Lock, then read what the guarded jobs of ``items`` are checked against (a few queries per batch)."""
        guarded = [(job, limits) for job, limits in items if limits.guarded]
        admission = cls()
        if not guarded:
            return admission
        if conn.dialect.name == "postgresql":
            # One lock per workspace (its user and workspace budgets serialise on it), taken in one order
            # by every batch of every replica, so two batches holding some of each other's never deadlock.
            for key in sorted({_lock_key(job) for job, _ in guarded}):
                await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        capped = {_user_of(job) for job, limits in guarded if limits.max_active is not None}
        admission.cooled = {_user_of(job) for job, limits in guarded if limits.cooldown}
        for (platform, workspace_id), user_ids in _by_workspace(capped).items():
            stmt = (select(jobs.c.user_id, func.count())
                    .where(*user_filter(platform, workspace_id, None), jobs.c.user_id.in_(user_ids),
                           jobs.c.state.in_(ACTIVE_STATES))
                    .group_by(jobs.c.user_id))
            counts = {str(u): int(n) for u, n in (await conn.execute(stmt)).all()}
            for user_id in user_ids:
                admission.active[(platform, workspace_id, user_id)] = counts.get(user_id, 0)
        for (platform, workspace_id), user_ids in _by_workspace(admission.cooled).items():
            latest = (select(jobs.c.user_id, func.max(jobs.c.created_at))
                      .where(*user_filter(platform, workspace_id, None), jobs.c.user_id.in_(user_ids))
                      .group_by(jobs.c.user_id))
            for user_id, created_at in (await conn.execute(latest)).all():
                if created_at is not None:
                    admission.latest[(platform, workspace_id, str(user_id))] = created_at
        for check in dict.fromkeys(c for _, limits in guarded for c in limits.within):
            admission.spent[check] = await spent_against(conn, check)
        return admission

    def copy(self) -> Admission:
        """A copy to try a group of jobs on (``core.store.batch``): kept only when all of them are admitted."""
        return Admission(dict(self.active), set(self.cooled), dict(self.latest), dict(self.spent))

    def admit(self, job: Job, limits: Limits) -> None:
        """Raise ``CooldownActive``, ``UserCapReached`` or ``BudgetExceeded`` if ``job`` may not be stored.

        Does not count it: the caller calls ``count`` once the job is (about to be) written.
        """
        user = _user_of(job)
        if limits.cooldown:
            created = require_aware(job.created_at, "created_at")
            latest = self.latest.get(user)
            if latest is not None and latest > created - timedelta(seconds=limits.cooldown):
                wait = max(0.0, (latest - created).total_seconds() + limits.cooldown)
                raise CooldownActive(f"cooldown: {wait:.0f} s left", retry_after=wait)
        if limits.max_active is not None:
            active = self.active.get(user, 0)
            if active >= limits.max_active:
                raise UserCapReached(f"{active} jobs in progress (limit {limits.max_active})", active=active)
        for check in limits.within:
            spent = self.spent[check]
            needed = check.needed(job.reserved_seconds or 0.0, job.reserved_cost or Decimal(0))
            if spent + needed > check.budget.limit:
                raise BudgetExceeded(check, spent, needed)

    def count(self, job: Job) -> None:
        """``job`` is stored in this batch: the limits of the jobs after it include it."""
        user = _user_of(job)
        if user in self.active and job.state.value in ACTIVE_STATES:
            self.active[user] += 1
        if user in self.cooled:
            previous = self.latest.get(user)
            self.latest[user] = job.created_at if previous is None else max(previous, job.created_at)
        for check in self.spent:
            self.spent[check] += _counts_against(check, job)


def _by_workspace(users: set[UserKey]) -> dict[tuple[str, str | None], list[str]]:
    groups: dict[tuple[str, str | None], list[str]] = {}
    for platform, workspace_id, user_id in sorted(users, key=lambda u: (u[0], u[1] or "", u[2])):
        groups.setdefault((platform, workspace_id), []).append(user_id)
    return groups


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


__all__ = ["Admission", "Limits", "spent_against"]
