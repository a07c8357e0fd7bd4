"""The sentences of the store's refusals: the per-user cap, the cooldown, a budget.

The store decides in the insert's transaction (``core.store.limits``, ``core.budget``) and raises a bare
typed refusal; ``worded`` gives it the sentence the person reads, with the numbers that matter — the cap,
the seconds to wait, the budget's limit, spend, the request's price and when the budget resets.
"""

from __future__ import annotations

from core.budget import BudgetExceeded
from core.config import EngineConfig
from core.errors import CooldownActive, QuotaExceeded, UserCapReached
from core.messages import Messages


def worded(exc: QuotaExceeded, messages: Messages, config: EngineConfig) -> QuotaExceeded:
    """``exc`` again (the same type), carrying the sentence for the user."""
    if isinstance(exc, BudgetExceeded):
        budget = exc.check.budget
        sentence = messages(
            "budget.exceeded",
            whose=messages(f"budget.whose.{budget.scope.value}"),
            period=messages(f"budget.period.{budget.period.value}"),
            limit=budget.amount_text(budget.limit),
            spent=budget.amount_text(exc.spent),
            needed=budget.amount_text(exc.needed),
            reset=messages(f"budget.reset.{budget.period.value}", tz=config.timezone),
        )
        return BudgetExceeded(exc.check, exc.spent, exc.needed, message=sentence)
    if isinstance(exc, UserCapReached):
        cap = config.per_user_cap or 0
        active = cap if exc.active is None else exc.active
        if exc.wanted > 1:
            key = "cap.batch.busy" if active else "cap.batch"
            sentence = messages(key, wanted=exc.wanted, cap=cap, count=active, free=max(0, cap - active))
        else:
            sentence = messages("cap.user", count=active, cap=cap)
        return UserCapReached(sentence, active=exc.active, wanted=exc.wanted)
    if isinstance(exc, CooldownActive):
        wait = exc.retry_after or 0.0
        return CooldownActive(messages("cap.cooldown", seconds=int(wait + 0.999)), retry_after=wait)
    return exc


__all__ = ["worded"]
