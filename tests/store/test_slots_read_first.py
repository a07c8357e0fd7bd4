"""With every DashScope slot taken, ``take_slot`` says no without taking the write lock.

Seen in bench/acks.md: each accepted job pumps the queue once, and each pump's ``take_slot`` opened a
``BEGIN IMMEDIATE`` transaction even with all slots busy — during a 200-command burst, 200 write-lock
holders in the way of the inserts the acks wait for.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import core.store.leases as leases_module
from core.jobs import JobState
from core.store import JobStore
from tests.store.test_store import T0, make_job


async def test_no_free_slot_is_answered_without_the_write_lock(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Through SQLAlchemy's statements (PostgreSQL's path, and SQLite's without the one-trip path)."""
    monkeypatch.setattr(leases_module, "fast_sqlite", lambda _engine: False)
    async with await JobStore.open(f"sqlite:///{tmp_path}/jobs.db") as store:
        await store.insert(make_job(state=JobState.RUNNING, task_id="t-1"))
        waiting = make_job()
        await store.insert(waiting)
        statements: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement.strip().upper())

        event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
        try:
            assert await store.leases.take_slot(waiting, max_in_flight=1, now=T0) is None
        finally:
            event.remove(store.engine.sync_engine, "before_cursor_execute", seen)
        assert not [s for s in statements if s.startswith("BEGIN IMMEDIATE") or s.startswith("UPDATE")]
        # A free slot is still taken (under the lock).
        taken = await store.leases.take_slot(waiting, max_in_flight=2, now=T0)
        assert taken is not None and taken.state is JobState.SUBMITTING


async def test_no_free_slot_is_answered_without_the_write_lock_on_sqlite_s_one_trip_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked: list[int] = []
    original = leases_module._take_sqlite

    def counting(raw: sqlite3.Connection, *args: Any) -> int | None:
        locked.append(1)  # BEGIN IMMEDIATE is the first thing it does
        return original(raw, *args)

    monkeypatch.setattr(leases_module, "_take_sqlite", counting)
    async with await JobStore.open(f"sqlite:///{tmp_path}/jobs.db") as store:
        await store.insert(make_job(state=JobState.RUNNING, task_id="t-1"))
        waiting = make_job()
        await store.insert(waiting)
        assert await store.leases.take_slot(waiting, max_in_flight=1, now=T0) is None
        assert locked == []
        taken = await store.leases.take_slot(waiting, max_in_flight=2, now=T0)
        assert taken is not None and taken.state is JobState.SUBMITTING and locked == [1]
        stored = await store.get(waiting.id)
        assert stored is not None and stored.state is JobState.SUBMITTING and stored.version == taken.version
