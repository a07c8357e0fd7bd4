"""Concurrent reads of one channel's defaults share one query (a burst of commands in one channel must
not queue a read each for the pool), and a read never answers for a ``set`` that came after it began."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from core.store import JobStore


@contextmanager
def counted_reads(store: JobStore) -> Iterator[list[str]]:
    """The SELECTs on ``channel_defaults`` the store's engine sends while inside."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "channel_defaults" in statement:
            seen.append(statement)

    engine = store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_a_burst_of_reads_of_one_channel_sends_one_query(store: JobStore) -> None:
    await store.channels.set("slack", "T1", "C1", {"duration": 10}, by="admin")
    with counted_reads(store) as reads:
        answers = await asyncio.gather(*(store.channels.get("slack", "T1", "C1") for _ in range(50)))
    assert answers == [{"duration": 10}] * 50
    assert len(reads) == 1  # before: 50, one per command, each waiting for a pooled connection
    answers[0]["duration"] = 2  # every caller has its own copy
    assert answers[1] == {"duration": 10}


async def test_other_channels_are_read_on_their_own(store: JobStore) -> None:
    await store.channels.set("slack", "T1", "C1", {"duration": 10}, by="admin")
    with counted_reads(store) as reads:
        one, two = await asyncio.gather(store.channels.get("slack", "T1", "C1"),
                                        store.channels.get("slack", "T1", "C2"))
    assert (one, two) == ({"duration": 10}, {})
    assert len(reads) == 2


async def test_a_get_after_a_set_never_joins_a_read_begun_before_it(store: JobStore,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    channels = store.channels
    await channels.set("slack", "T1", "C1", {"duration": 5}, by="admin")
    original = channels._read
    read_done, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def slow_first(key: dict[str, str]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        found = await original(key)
        if calls == 1:  # the first read has its (old) row but is slow to hand it back
            read_done.set()
            await release.wait()
        return found

    monkeypatch.setattr(channels, "_read", slow_first)
    early = asyncio.ensure_future(channels.get("slack", "T1", "C1"))
    await read_done.wait()
    await channels.set("slack", "T1", "C1", {"duration": 10}, by="admin")
    late = asyncio.ensure_future(channels.get("slack", "T1", "C1"))
    assert await late == {"duration": 10}  # a fresh read, not the one in flight since before the set
    release.set()
    assert await early == {"duration": 5}


async def test_a_cancelled_reader_does_not_cancel_the_shared_read(store: JobStore,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    channels = store.channels
    await channels.set("slack", "T1", "C1", {"duration": 5}, by="admin")
    original = channels._read
    started, release = asyncio.Event(), asyncio.Event()

    async def held(key: dict[str, str]) -> dict[str, Any]:
        started.set()
        await release.wait()
        return await original(key)

    monkeypatch.setattr(channels, "_read", held)
    first = asyncio.ensure_future(channels.get("slack", "T1", "C1"))
    await started.wait()
    second = asyncio.ensure_future(channels.get("slack", "T1", "C1"))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == {"duration": 5}
    with pytest.raises(asyncio.CancelledError):
        await first
