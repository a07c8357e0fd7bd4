"""Spend control: per-user and per-workspace budgets, in seconds of video or in currency, per day or month.

Budgets come from one setting, e.g. ``WANBOT_BUDGETS="user:day=120s, user:month=¥300, workspace:month=¥2000"``.
At enqueue the engine turns them into ``BudgetCheck``s for the requester, and the store checks them in
the same transaction that inserts the job (under a lock), so two requests at once cannot both squeeze
under a limit. A job counts against a budget from the moment it is queued (at its estimated cost) until
it fails or is cancelled (failed generations are not billed); once DashScope bills it, its billed figures
replace the estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from core.errors import ConfigError, QuotaExceeded


class Scope(StrEnum):
    USER = "user"
    WORKSPACE = "workspace"


class Period(StrEnum):
    DAY = "day"
    MONTH = "month"


class Unit(StrEnum):
    SECONDS = "s"
    CNY = "cny"


@dataclass(frozen=True)
class Budget:
    scope: Scope
    period: Period
    limit: Decimal
    unit: Unit

    def amount_text(self, value: Decimal | float) -> str:
        amount = Decimal(str(value))
        return f"¥{amount.quantize(Decimal('0.01'))}" if self.unit is Unit.CNY else f"{amount.normalize():f} s"


_ITEM = re.compile(r"^(user|workspace):(day|month)=\s*(¥|cny)?\s*([0-9]+(?:\.[0-9]+)?)\s*(s|sec|seconds|cny|¥)?$",
                   re.IGNORECASE)


def parse_budgets(text: str) -> tuple[Budget, ...]:
    """``"user:day=120s, workspace:month=¥2000"`` → budgets. Amounts in ``¥``/``cny`` or seconds (``s``)."""
    budgets = []
    for raw in filter(None, (part.strip() for part in text.split(","))):
        match = _ITEM.match(raw)
        if match is None:
            raise ConfigError(f"WANBOT_BUDGETS: cannot read {raw!r}; write e.g. user:day=120s or workspace:month=¥500")
        scope, period, prefix, number, suffix = match.groups()
        is_money = bool(prefix) or (suffix or "").lower() in ("cny", "¥")
        if not is_money and not suffix:
            raise ConfigError(f"WANBOT_BUDGETS: {raw!r} needs a unit: seconds (120s) or yuan (¥20)")
        try:
            limit = Decimal(number)
        except InvalidOperation:  # pragma: no cover - the pattern only admits numbers
            raise ConfigError(f"WANBOT_BUDGETS: bad amount in {raw!r}") from None
        budgets.append(Budget(Scope(scope.lower()), Period(period.lower()), limit,
                              Unit.CNY if is_money else Unit.SECONDS))
    return tuple(budgets)


def period_start(now: datetime, period: Period, tz: tzinfo) -> datetime:
    """The start of the day or month containing ``now``, in ``tz`` (returned aware)."""
    local = now.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.MONTH:
        start = start.replace(day=1)
    return start


@dataclass(frozen=True)
class BudgetCheck:
    """One budget applied to one requester at one moment: what the store sums and compares."""

    budget: Budget
    since: datetime
    platform: str
    workspace_id: str | None
    #: ``None`` for a workspace budget (everyone's jobs in the workspace count).
    user_id: str | None

    def needed(self, seconds: float, cost: Decimal) -> Decimal:
        return cost if self.budget.unit is Unit.CNY else Decimal(str(seconds))


class BudgetExceeded(QuotaExceeded):
    """A new job would take a budget over its limit. The store raises it with a log-style ``message``;
    the engine raises it again with the sentence the user reads (``message=``)."""

    default_code = "Budget"

    def __init__(self, check: BudgetCheck, spent: Decimal, needed: Decimal, *, message: str | None = None) -> None:
        budget = check.budget
        super().__init__(
            message
            or f"{budget.scope.value} {budget.period.value} budget {budget.amount_text(budget.limit)}: "
            f"{budget.amount_text(spent)} used, {budget.amount_text(needed)} more needed",
        )
        self.check = check
        self.spent = spent
        self.needed = needed


def checks_for(
    budgets: tuple[Budget, ...],
    *,
    now: datetime,
    tz: tzinfo,
    platform: str,
    workspace_id: str | None,
    user_id: str,
) -> tuple[BudgetCheck, ...]:
    return tuple(
        BudgetCheck(
            budget=b,
            since=period_start(now, b.period, tz),
            platform=platform,
            workspace_id=workspace_id,
            user_id=user_id if b.scope is Scope.USER else None,
        )
        for b in budgets
    )
