"""``WriteGate``: the process's SQLite writes take turns in order, the insert batch before the rest.

Seen in bench/acks.md: after the group commits, an insert batch still waited up to 1.7 s in SQLite's busy
handler behind a burst's status saves (each a write transaction of its own, all racing for the lock).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.store import JobStore
from core.store.gate import WriteGate
from tests.store.test_store import make_job


async def test_turns_go_in_order_with_urgent_ones_first_and_a_cancelled_waiter_skipped() -> None:
    gate = WriteGate()
    order: list[str] = []
    release = asyncio.Event()

    async def write(name: str, *, urgent: bool = False, hold: bool = False) -> None:
        async with gate.turn(urgent=urgent):
            order.append(name)
            if hold:
                await release.wait()

    first = asyncio.create_task(write("first", hold=True))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(write(n)) for n in ("a", "b", "c")]
    urgent = asyncio.create_task(write("urgent", urgent=True))
    await asyncio.sleep(0)
    waiting[1].cancel()  # "b" gives up while in line
    release.set()
    await asyncio.gather(first, *waiting, urgent, return_exceptions=True)
    assert order == ["first", "urgent", "a", "c"]
    async with gate.turn():  # and the gate is free again
        pass


async def test_an_insert_goes_before_the_saves_already_waiting(tmp_path: Path) -> None:
    async with await JobStore.open(f"sqlite:///{tmp_path}/jobs.db") as store:
        jobs = [make_job(user=f"u{i}") for i in range(30)]
        for job in jobs:
            await store.insert(job)
        done: list[str] = []

        async def save(i: int) -> None:
            await store.save(jobs[i].evolve(delivery_note="x"))
            done.append(f"save{i}")

        batches_before_insert: list[int] = []

        async def insert() -> None:
            await store.insert(make_job(user="late"), max_active_for_user=3)
            done.append("insert")
            batches_before_insert.append(store._saves.batches)

        saves = [asyncio.create_task(save(i)) for i in range(30)]
        await asyncio.sleep(0)  # every save is in line (their transaction about to start)
        await asyncio.gather(insert(), *saves)
        # The saves are one group commit now (``core.store.saves``): the insert waits for at most the one
        # transaction that already had the turn, never behind a line of them.
        assert batches_before_insert[0] <= 1
        assert len(done) == 31
