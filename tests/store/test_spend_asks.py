"""Issue 13's stored asks and once-only notices (``store.spend``) on SQLite and PostgreSQL, and the typed
values of the spend settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.channel_settings import parse_setting
from core.errors import InvalidRequest
from core.jobs import Requester
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.store.spend import SpendAsk

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _ask(ask_id: str = "abcd2345") -> SpendAsk:
    request = GenerationRequest.build(prompt="a storm", resolution="1080P", duration=15, seed=7)
    return SpendAsk(id=ask_id, kind="confirm", requester=Requester("slack", "U1", "C1", "T1", "u1"),
                    conversation=ConversationRef("slack", "C1", workspace_id="T1", thread_id="171.2"),
                    requests=(request,), origin="new", parent_id=None, total=Decimal("15.00"), created_at=NOW,
                    expires_at=NOW + timedelta(minutes=10))


async def test_an_ask_is_claimed_once_even_by_racing_clicks_and_survives_a_reopen(db_url: str) -> None:
    async with await JobStore.open(db_url) as first:
        await first.spend.add(_ask())
    async with await JobStore.open(db_url) as second:
        got = await second.spend.get("abcd2345")
        assert got == _ask()
        claims = await asyncio.gather(*(second.spend.claim("abcd2345", state="started", by="U1",
                                                           now=NOW + timedelta(minutes=1)) for _ in range(5)))
        assert sorted(claims) == [False] * 4 + [True]
        await second.spend.settle("abcd2345", state="started", job_ids=("job1",))
        settled = await second.spend.get("abcd2345")
        assert settled is not None and (settled.state, settled.decided_by, settled.job_ids) == (
            "started", "U1", ("job1",))


async def test_an_expired_ask_cannot_be_claimed(store: JobStore) -> None:
    await store.spend.add(_ask("late2345"))
    assert not await store.spend.claim("late2345", state="started", by="U1", now=NOW + timedelta(minutes=11))
    await store.spend.expire("late2345")
    expired = await store.spend.get("late2345")
    assert expired is not None and expired.state == "expired"


async def test_a_notice_is_noted_once(store: JobStore) -> None:
    assert await store.spend.note_once("budget:user:day:x", now=NOW)
    assert not await store.spend.note_once("budget:user:day:x", now=NOW)
    assert await store.spend.note_once("budget:user:day:y", now=NOW)


def test_spend_settings_parse_or_get_one_sentence() -> None:
    assert parse_setting("confirm_over", "¥15") == ("confirm_over", "15")
    assert parse_setting("confirm-over", "12.50") == ("confirm_over", "12.5")
    assert parse_setting("approve_over", "off") == ("approve_over", "off")
    assert parse_setting("approver_role", "<@&123456>") == ("approver_role", ["123456"])
    assert parse_setting("approver_role", "U1, U2") == ("approver_role", ["U1", "U2"])
    assert parse_setting("approver_role", "admins") == ("approver_role", [])
    with pytest.raises(InvalidRequest, match="confirm_over takes an amount in yuan"):
        parse_setting("confirm_over", "-3")
