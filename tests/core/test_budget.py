"""Reading WANBOT_BUDGETS, and the engine's refusal sentence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.budget import Budget, Period, Scope, Unit, parse_budgets
from core.errors import ConfigError


def test_parse_budgets() -> None:
    assert parse_budgets("user:day=120s, workspace:month=¥2000, user:month=300cny") == (
        Budget(Scope.USER, Period.DAY, Decimal("120"), Unit.SECONDS),
        Budget(Scope.WORKSPACE, Period.MONTH, Decimal("2000"), Unit.CNY),
        Budget(Scope.USER, Period.MONTH, Decimal("300"), Unit.CNY),
    )
    assert parse_budgets("") == ()


@pytest.mark.parametrize("bad", ["user:week=10s", "team:day=5s", "user:day=10", "user:day=lots", "user=5s"])
def test_bad_budgets_are_refused_at_start_up(bad: str) -> None:
    with pytest.raises(ConfigError, match="WANBOT_BUDGETS"):
        parse_budgets(bad)
