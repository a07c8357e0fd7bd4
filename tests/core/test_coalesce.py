"""``Coalesced``: concurrent calls share runs, yet every caller gets a run that started after its call."""

from __future__ import annotations

import asyncio

import pytest

from core.coalesce import Coalesced


async def test_a_burst_of_calls_is_two_runs_and_each_caller_sees_its_change() -> None:
    state = {"value": 0}
    seen: list[int] = []
    gate = asyncio.Event()

    async def step() -> None:
        value = state["value"]
        await gate.wait()
        seen.append(value)

    run = Coalesced(step)
    first = asyncio.create_task(run())
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the first run has started (and read 0)
    state["value"] = 1
    others = [asyncio.create_task(run()) for _ in range(100)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *others)
    # One per call would be 101 runs; the 100 that arrived during the first share the second, which
    # started after their change.
    assert run.runs == 2
    assert seen == [0, 1]


async def test_an_error_reaches_every_caller_of_that_run_and_the_next_run_still_happens() -> None:
    calls = {"n": 0}

    async def step() -> None:
        calls["n"] += 1
        await asyncio.sleep(0)
        if calls["n"] == 1:
            raise RuntimeError("boom")

    run = Coalesced(step)
    results = await asyncio.gather(run(), run(), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    await run()  # not stuck
    assert calls["n"] == 2


async def test_a_cancelled_caller_does_not_stop_the_run_others_wait_for() -> None:
    done: list[str] = []
    gate = asyncio.Event()

    async def step() -> None:
        await gate.wait()
        done.append("ran")

    run = Coalesced(step)
    leaver = asyncio.create_task(run())
    stayer = asyncio.create_task(run())
    await asyncio.sleep(0)
    leaver.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaver
    gate.set()
    await stayer
    assert done == ["ran"]
