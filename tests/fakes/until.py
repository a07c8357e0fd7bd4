"""``until(condition)``: wait for something to become true, boundedly, instead of sleeping a fixed time.

A fixed ``sleep`` is either too short under CPU load (the test asserts before the event) or wastes
time. ``until`` checks the condition (a function returning a value, or an awaitable of one) and waits
between checks:

* with a driven ``FakeClock`` (``clock=``), once per virtual-time step, at the moment the loop has gone
  idle: the condition is seen in every settled state, before time moves on — so a condition that holds
  at some virtual instant is never skipped, however slow the machine. It also re-checks every ``poll``
  real seconds, for changes that come from outside the loop;
* otherwise every ``poll`` real seconds (a bounded poll for tests that run on real time).

It gives up after ``timeout`` real seconds or ``steps`` virtual steps and fails with an
``AssertionError`` naming what it waited for (``what``) and, if given, ``describe()`` of the state.
Returns the condition's first truthy value.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from tests.fakes.clock import FakeClock

T = TypeVar("T")


# Two signatures, because one ``Callable[[], T | Awaitable[T]]`` makes mypy solve T as ``Never`` for an
# ``async def`` condition. The awaitable one comes first: an async condition's value is what it awaits to.
# ``None`` is falsy, so it is never what ``until`` returns.
@overload
async def until(
    condition: Callable[[], Awaitable[T | None]],
    what: str = "",
    *,
    clock: FakeClock | None = None,
    timeout: float = 60.0,
    steps: int = 1_000_000,
    poll: float = 0.02,
    describe: Callable[[], object] | None = None,
) -> T: ...


@overload
async def until(
    condition: Callable[[], T | None],
    what: str = "",
    *,
    clock: FakeClock | None = None,
    timeout: float = 60.0,
    steps: int = 1_000_000,
    poll: float = 0.02,
    describe: Callable[[], object] | None = None,
) -> T: ...


async def until(
    condition: Callable[[], Any],
    what: str = "",
    *,
    clock: FakeClock | None = None,
    timeout: float = 60.0,
    steps: int = 1_000_000,
    poll: float = 0.02,
    describe: Callable[[], object] | None = None,
) -> Any:
    started = time.monotonic()
    virtual_start = clock() if clock is not None else None
    checks = 0
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        checks += 1
        if value:
            return value
        elapsed = time.monotonic() - started
        if elapsed > timeout or checks > steps:
            message = f"never happened: {what or _name(condition)} (checked {checks} times over {elapsed:.1f}s"
            if clock is not None and virtual_start is not None:
                message += f", {clock() - virtual_start:g}s of virtual time"
            message += ")"
            if describe is not None:
                message += f"; state: {describe()!r}"
            raise AssertionError(message)
        if clock is not None and clock.driving:
            step = asyncio.ensure_future(clock.stepped())
            done, _ = await asyncio.wait({step}, timeout=poll)
            if not done:
                step.cancel()
            elif not step.result():
                # Nothing sleeps on the clock: only something outside the loop can change the answer.
                await asyncio.sleep(poll)
        else:
            await asyncio.sleep(poll)


def _name(condition: Callable[..., object]) -> str:
    try:
        source = inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return repr(condition)
    return source if len(source) <= 200 else source[:200] + "…"
