"""Issue 13: budget alerts at 80 % — the requester and the admins are told once per budget period.

Called after a job is accepted (its reservation now counts, ``core.budget``): for each budget that applies
to the requester (``WANBOT_BUDGETS``: user and workspace, day and month) the current sum is compared with
the limit; at ``ALERT_AT`` or more, the alert is recorded under the budget's identity and period start
(``SpendAsks.note_once``), so it is said once per period — across restarts and replicas. The requester
reads it in the job's conversation (mentioned, nobody else pinged); the admins through
``core.admin_route.AdminRoutes.tell``. A job's billed figures normally equal its estimate, so the
reservation is where a budget is crossed; a bill above the estimate is caught at the next job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.admin_route import AdminRoutes
from core.budget import Budget, checks_for
from core.errors import PlatformError
from core.jobs import Job
from core.messages import Messages
from core.port import ChatPort
from core.spend import mention
from core.store.spend import SpendAsks

log = logging.getLogger("wanbot.budget")

ALERT_AT = Decimal("0.8")


class BudgetAlerts:
    def __init__(self, budgets: tuple[Budget, ...], *, timezone: str, notes: SpendAsks, admins: AdminRoutes,
                 port: Callable[[str], ChatPort], messages: Messages, now: Callable[[], datetime]) -> None:
        self.budgets = budgets
        self.tz = ZoneInfo(timezone)
        self.notes = notes
        self.admins = admins
        self.port = port
        # Channel-wide, not one person's answer: in the deployment's language (``core.locale``).
        self.messages = Messages(messages.locale, pinned=True)
        self.now = now

    async def after_accept(self, job: Job) -> None:
        """Alert for every budget ``job``'s reservation took to 80 % or more (once per period)."""
        r = job.requester
        now = self.now()
        for check in checks_for(self.budgets, now=now, tz=self.tz, platform=r.platform,
                                workspace_id=r.workspace_id, user_id=r.user_id):
            budget = check.budget
            if budget.limit <= 0:
                continue
            used = await self.notes.spent(check)
            if used < budget.limit * ALERT_AT:
                continue
            key = (f"budget:{budget.scope.value}:{budget.period.value}:{budget.unit.value}:{budget.limit}:"
                   f"{r.platform}:{r.workspace_id or '-'}:{check.user_id or '*'}:{check.since.isoformat()}")
            if not await self.notes.note_once(key, now=now):
                continue
            m = self.messages
            fields = dict(whose=m(f"budget.whose.{budget.scope.value}"),
                          period=m(f"budget.period.{budget.period.value}"),
                          percent=int(used * 100 / budget.limit), used=budget.amount_text(used),
                          limit=budget.amount_text(budget.limit))
            try:
                await self.port(r.platform).notify(job.conversation, m(
                    "alert.budget", mention=mention(r.platform, r.user_id, r.user_name), **fields),
                    mention=(r.user_id,))
            except (PlatformError, KeyError) as exc:
                log.warning("job %s: could not tell %s of the budget alert: %s", job.id, r.user_id, exc)
            fields["whose"] = m(f"alert.whose.{budget.scope.value}", name=r.user_name or r.user_id)
            await self.admins.tell(r.platform, m("alert.budget.admins", job_id=job.id, **fields))


__all__ = ["ALERT_AT", "BudgetAlerts"]
