"""The engine refuses a request that would go over a budget, with a sentence saying so."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.budget import BudgetExceeded, parse_budgets
from tests.engine.conftest import Harness


async def test_engine_refuses_over_budget_with_a_sentence(harness: Harness) -> None:
    harness.config = replace(harness.config, budgets=parse_budgets("user:day=¥5"), per_user_cap=10)
    await harness.start()
    await harness.submit(duration=5)  # ¥3.00
    with pytest.raises(BudgetExceeded) as refused:
        await harness.submit(duration=5)
    text = refused.value.message
    assert refused.value.code == "Budget"
    assert "your daily budget of ¥5.00: ¥3.00 used so far" in text and "needs ¥3.00" in text
    assert "resets at midnight (UTC)" in text
    await harness.submit(duration=3)  # ¥1.80 still fits
