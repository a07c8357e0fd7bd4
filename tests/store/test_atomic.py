"""A write whose caller is cancelled mid-transaction still finishes, so the database is not left locked.

Seen while testing issue 10: stopping the engine while a job was taking its DashScope slot (inside
SQLite's ``BEGIN IMMEDIATE``) sometimes left that connection holding the write lock; the lease release
after it waited the full ``busy_timeout`` (10 s) and failed with "database is locked" (about one stop in
five in ``tests/parity/test_slack.py``'s video case; none in 20 since). The lock itself depends on where
in SQLAlchemy's cleanup the cancellation lands, so this test pins the property that removes it: the write
the cancelled caller started runs to its end (before ``core.store.atomic`` it was abandoned half-way).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import core.store.leases as leases_module
from core.jobs import Job, JobState, Requester
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.store.atomic import settle_writes

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _job(job_id: str) -> Job:
    return Job(id=job_id, requester=Requester("test", "u1", "c1", "w1"),
               conversation=ConversationRef("test", "c1", "w1"), request=GenerationRequest.build(prompt="a fox"),
               state=JobState.QUEUED, created_at=NOW, updated_at=NOW, lease_owner="r1",
               lease_until=NOW + timedelta(seconds=30))


async def test_a_slot_taken_by_a_cancelled_caller_leaves_the_database_writable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through SQLAlchemy's statements (PostgreSQL's path, and SQLite's without the one-trip path)."""
    monkeypatch.setattr(leases_module, "fast_sqlite", lambda _engine: False)
    store = await JobStore.open(f"sqlite:///{tmp_path}/jobs.db")
    try:
        job = _job("aaaa1111")
        await store.insert(job)
        writing = asyncio.Event()

        def mark(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if statement.lstrip().upper().startswith("UPDATE"):
                writing.set()  # inside BEGIN IMMEDIATE, about to write: the write lock is held

        event.listen(store.engine.sync_engine, "before_cursor_execute", mark)
        taking = asyncio.create_task(store.leases.take_slot(job, max_in_flight=5, now=NOW))
        await writing.wait()
        for _ in range(3):  # cancelled again while it cleans up (a shutdown cancels what it waits for)
            taking.cancel()
            await asyncio.sleep(0)
        await asyncio.gather(taking, return_exceptions=True)
        event.remove(store.engine.sync_engine, "before_cursor_execute", mark)
        # Before the fix this waited busy_timeout and raised OperationalError("database is locked").
        await store.leases.release("r1", [job.id])
        stored = await store.get(job.id)
        assert stored is not None and stored.lease_owner is None
        assert stored.state is JobState.SUBMITTING  # the write the cancelled caller started did finish
    finally:
        await store.close()


async def test_a_slot_taken_on_sqlite_s_one_trip_path_by_a_cancelled_caller_still_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-trip path (``core.store.saves.on_sqlite_thread``): the caller is cancelled while its
    transaction runs on aiosqlite's thread; the transaction still commits and the connection is left clean."""
    loop = asyncio.get_running_loop()
    writing = asyncio.Event()
    proceed = threading.Event()
    original = leases_module._take_sqlite

    def held(raw: sqlite3.Connection, *args: Any) -> int | None:
        loop.call_soon_threadsafe(writing.set)
        proceed.wait(30)  # a bound, not a timing: the test sets it right after cancelling
        return original(raw, *args)

    monkeypatch.setattr(leases_module, "_take_sqlite", held)
    store = await JobStore.open(f"sqlite:///{tmp_path}/jobs.db")
    try:
        job = _job("aaaa2222")
        await store.insert(job)
        taking = asyncio.create_task(store.leases.take_slot(job, max_in_flight=5, now=NOW))
        await writing.wait()
        for _ in range(3):
            taking.cancel()
            await asyncio.sleep(0)
        proceed.set()
        await asyncio.gather(taking, return_exceptions=True)
        await settle_writes()
        await store.leases.release("r1", [job.id])
        stored = await store.get(job.id)
        assert stored is not None and stored.lease_owner is None
        assert stored.state is JobState.SUBMITTING
    finally:
        proceed.set()
        await store.close()
