"""Opening a new SQLite database while another connection writes to it waits; it never fails "locked".

The suite's ``database is locked`` flake: ``JobStore`` switches a new file to WAL on connect. That
switch reads page 1 and then takes the write lock, an upgrade SQLite does not retry with
``busy_timeout``; so if another connection holds the write lock at that moment (two processes,
replicas or pooled connections opening the same new file, as ``test_concurrent_opens_of_an_empty_
database`` does), it failed at once. Under CPU load that race was lost in about 1 of 100 triple opens.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from core.store import JobStore


async def test_open_waits_for_another_writer_on_a_new_rollback_journal_database(tmp_path: Path) -> None:
    path = tmp_path / "wanbot.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE elsewhere (x)")  # a new file, still in rollback-journal mode
    writer.execute("BEGIN IMMEDIATE")  # another connection holds the write lock...
    release = threading.Timer(0.5, writer.execute, ("COMMIT",))  # ...for a while, then lets go
    release.start()
    try:
        store = await JobStore.open(f"sqlite:///{path}")
    finally:
        release.join()
        writer.close()
    try:
        async with store.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await store.close()
