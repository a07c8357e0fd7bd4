"""The virtual clock's idle rule: time moves only when nothing else can run.

Each test puts real, slow work in flight (a thread job, a SQLite write, a loopback socket exchange, a
child process) next to a sleeper that is due "almost at once" in virtual time, and checks that the
work finishes before the sleeper wakes and without virtual time passing. The old driver let a real
millisecond pass and then jumped, so each of these saw the sleeper wake mid-work.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from tests.fakes.clock import FakeClock
from tests.fakes.until import until


@pytest.fixture
async def clock() -> AsyncIterator[FakeClock]:
    c = FakeClock(start=1000.0)
    c.start()
    yield c
    await c.stop()


async def _race(clock: FakeClock, work: asyncio.Future[object] | asyncio.Task[object]) -> list[tuple[str, float]]:
    """Run ``work`` next to a sleeper due in 0.001 virtual seconds; the order and virtual times seen."""
    events: list[tuple[str, float]] = []

    async def sleeper() -> None:
        await clock.sleep(0.001)
        events.append(("sleeper", clock()))

    async def worker() -> None:
        await work
        events.append(("work", clock()))

    await asyncio.wait_for(asyncio.gather(sleeper(), worker()), timeout=30)
    return events


async def test_a_sleeper_does_not_wake_while_a_thread_job_is_in_flight(clock: FakeClock) -> None:
    # 50 ms of real work: fifty times what the old driver allowed before jumping.
    events = await _race(clock, asyncio.ensure_future(asyncio.to_thread(time.sleep, 0.05)))
    assert events == [("work", 1000.0), ("sleeper", 1000.001)]


async def test_a_sleeper_does_not_wake_while_an_executor_job_is_in_flight(clock: FakeClock) -> None:
    gate = threading.Event()

    def job() -> None:
        # Blocks until a second thread lets it go: the loop itself has nothing to do meanwhile.
        threading.Timer(0.05, gate.set).start()
        gate.wait(10)

    events = await _race(clock, asyncio.get_running_loop().run_in_executor(None, job))
    assert events[0] == ("work", 1000.0)


async def test_a_sleeper_does_not_wake_while_a_sqlite_write_is_in_flight(clock: FakeClock, tmp_path: Path) -> None:
    db = await aiosqlite.connect(tmp_path / "x.db")
    try:
        await db.execute("CREATE TABLE t (x)")
        # A write that waits on another connection's lock: real time passes inside the aiosqlite thread.
        blocker = sqlite3.connect(tmp_path / "x.db", check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        threading.Timer(0.05, blocker.rollback).start()
        await db.execute("PRAGMA busy_timeout=10000")

        async def write() -> None:
            await db.execute("INSERT INTO t VALUES (1)")
            await db.commit()

        events = await _race(clock, asyncio.ensure_future(write()))
        blocker.close()
    finally:
        await db.close()
    assert events == [("work", 1000.0), ("sleeper", 1000.001)]


async def test_a_sleeper_does_not_wake_during_a_loopback_socket_exchange(clock: FakeClock) -> None:
    payload = b"x" * (8 << 20)  # many loop turns' worth of data through the kernel

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.readexactly(len(payload))
        writer.write(data[::-1])
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def exchange() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(payload)
        await writer.drain()
        assert await reader.readexactly(len(payload)) == payload
        writer.close()

    try:
        events = await _race(clock, asyncio.ensure_future(exchange()))
    finally:
        server.close()
        await server.wait_closed()
    assert events == [("work", 1000.0), ("sleeper", 1000.001)]


async def test_a_sleeper_does_not_wake_while_a_child_process_runs(clock: FakeClock) -> None:
    async def child() -> None:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(0.1)")
        assert await proc.wait() == 0

    events = await _race(clock, asyncio.ensure_future(child()))
    assert events == [("work", 1000.0), ("sleeper", 1000.001)]


async def test_timers_fire_in_virtual_time_order(clock: FakeClock) -> None:
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock()))

    await asyncio.gather(sleeper("c", 30), sleeper("a", 10), sleeper("d", 30), sleeper("b", 20))
    # Equal wake-up times keep the order the sleepers went to sleep in.
    assert woke == [("a", 1010.0), ("b", 1020.0), ("c", 1030.0), ("d", 1030.0)]
    assert sorted(clock.slept) == [10, 20, 30, 30]


async def test_a_periodic_loop_interleaves_with_a_long_sleep(clock: FakeClock) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            await clock.sleep(1)
            ticks.append(clock())

    task = asyncio.create_task(ticker())
    await clock.sleep(5.5)
    assert ticks == [1001.0, 1002.0, 1003.0, 1004.0, 1005.0]
    task.cancel()


async def test_a_cancelled_sleeper_is_skipped(clock: FakeClock) -> None:
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    early = asyncio.create_task(sleeper("early", 5))
    await clock.idle()  # "early" is asleep now
    early.cancel()
    await sleeper("late", 10)
    assert woke == ["late"] and clock() == 1010.0
    assert early.cancelled()


async def test_idle_and_stepped(clock: FakeClock) -> None:
    seen: list[float] = []

    async def ticker() -> None:
        for _ in range(3):
            await clock.sleep(2)
            seen.append(clock())

    task = asyncio.create_task(ticker())
    await clock.idle()
    assert clock() == 1000.0 and seen == []  # idle() never moves time
    assert await clock.stepped() and seen == [1002.0]
    assert await clock.stepped() and seen == [1002.0, 1004.0]
    await task
    assert await clock.stepped() is False  # nothing left asleep


async def test_without_a_driver_a_sleep_jumps_at_once() -> None:
    clock = FakeClock(start=0.0)
    await clock.sleep(7)
    clock.advance(3)
    assert clock() == 10.0 and clock.slept == [7]


async def test_until_sees_every_virtual_step_and_fails_with_a_clear_message(clock: FakeClock) -> None:
    seen: list[float] = []

    async def ticker() -> None:
        while True:
            await clock.sleep(1)
            seen.append(clock())

    task = asyncio.create_task(ticker())
    assert await until(lambda: len(seen) == 3, clock=clock)  # never overshoots a state it waits for
    assert seen == [1001.0, 1002.0, 1003.0]
    with pytest.raises(AssertionError, match="never happened: a fourth tick.*steps"):
        await until(lambda: False, "a fourth tick", clock=clock, steps=5, describe=lambda: "steps")
    task.cancel()


async def test_until_without_a_clock_polls_in_real_time() -> None:
    flag = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, flag.set)
    await until(flag.is_set, "the flag", timeout=10)
    with pytest.raises(AssertionError, match="never happened: nothing"):
        await until(lambda: False, "nothing", timeout=0.1)
