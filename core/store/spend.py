"""Spend that asks first, stored: pending confirmations and approvals, and things to say only once.

A ``SpendAsk`` is a costly command's requests held back before anything was queued, reserved or created:
it waits for its requester's Confirm (``kind="confirm"``) or an approver's Approve (``kind="approve"``).
``claim`` moves it out of ``pending`` in one conditional UPDATE, so a double click, two replicas or a
click after a restart start its jobs at most once. ``note_once`` records a notice by key (an 80 % budget
alert for one budget period, an admin incident for one window) and answers whether this call was the
first: a restart does not repeat it. What the asks mean lives in ``core.spend``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.budget import BudgetCheck
from core.jobs import Requester
from core.port import ConversationRef
from core.request import AnyRequest, load_request
from core.store.gate import WriteGate
from core.store.limits import spent_against
from core.store.schema import spend_asks, spend_notes

PENDING = "pending"


@dataclass(frozen=True)
class SpendAsk:
    id: str
    #: "confirm" (the requester confirms) or "approve" (an approver approves).
    kind: str
    requester: Requester
    conversation: ConversationRef
    requests: tuple[AnyRequest, ...]
    #: ``core.actions.results.Origin`` value of the command (new, reroll, upscale …).
    origin: str
    parent_id: str | None
    total: Decimal
    created_at: datetime
    expires_at: datetime
    state: str = PENDING
    decided_by: str | None = None
    job_ids: tuple[str, ...] = field(default=())


def _row(ask: SpendAsk) -> dict[str, Any]:
    r = ask.requester
    return {
        "id": ask.id, "kind": ask.kind, "state": ask.state, "platform": r.platform, "workspace_id": r.workspace_id,
        "channel_id": r.channel_id, "user_id": r.user_id, "user_name": r.user_name,
        "conversation": ask.conversation.to_dict(),
        "requests": [request.model_dump(mode="json") for request in ask.requests],
        "origin": ask.origin, "parent_id": ask.parent_id, "total": ask.total, "created_at": ask.created_at,
        "expires_at": ask.expires_at, "decided_by": ask.decided_by, "job_ids": list(ask.job_ids),
    }


def _ask(row: Row[Any]) -> SpendAsk:
    m = row._mapping
    return SpendAsk(
        id=m["id"], kind=m["kind"], state=m["state"],
        requester=Requester(platform=m["platform"], user_id=m["user_id"], channel_id=m["channel_id"],
                            workspace_id=m["workspace_id"], user_name=m["user_name"]),
        conversation=ConversationRef.from_dict(dict(m["conversation"])),
        requests=tuple(load_request(data) for data in m["requests"]),
        origin=m["origin"], parent_id=m["parent_id"], total=m["total"], created_at=m["created_at"],
        expires_at=m["expires_at"], decided_by=m["decided_by"], job_ids=tuple(m["job_ids"] or ()),
    )


class SpendAsks:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)

    async def add(self, ask: SpendAsk) -> None:
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(spend_asks.insert().values(**_row(ask)))

    async def get(self, ask_id: str) -> SpendAsk | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(spend_asks).where(spend_asks.c.id == ask_id))).first()
        return None if row is None else _ask(row)

    async def claim(self, ask_id: str, *, state: str, by: str, now: datetime) -> bool:
        """Move a pending, unexpired ask to ``state``; ``False`` when someone else did first (or it expired)."""
        c = spend_asks.c
        stmt = (update(spend_asks).where(c.id == ask_id, c.state == PENDING, c.expires_at > now)
                .values(state=state, decided_by=by))
        async with self._gate.turn(), self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return bool(result.rowcount)

    async def settle(self, ask_id: str, *, state: str, job_ids: tuple[str, ...] = ()) -> None:
        """What became of a claimed ask: the jobs it started, or ``refused`` (a budget said no at confirm)."""
        stmt = update(spend_asks).where(spend_asks.c.id == ask_id).values(state=state, job_ids=list(job_ids))
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(stmt)

    async def expire(self, ask_id: str) -> None:
        stmt = update(spend_asks).where(spend_asks.c.id == ask_id, spend_asks.c.state == PENDING).values(
            state="expired")
        async with self._gate.turn(), self._engine.begin() as conn:
            await conn.execute(stmt)

    async def spent(self, check: BudgetCheck) -> Decimal:
        """What counts against ``check`` now (the same sum the insert's budget check makes)."""
        async with self._engine.connect() as conn:
            return await spent_against(conn, check)

    async def note_once(self, key: str, *, now: datetime) -> bool:
        """Record ``key``; ``True`` only the first time it is recorded (ever, in this database)."""
        try:
            async with self._gate.turn(), self._engine.begin() as conn:
                await conn.execute(spend_notes.insert().values(key=key, created_at=now))
        except IntegrityError:
            return False
        return True


__all__ = ["PENDING", "SpendAsk", "SpendAsks"]
