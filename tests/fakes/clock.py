"""A virtual clock for tests: ``sleep`` waits for virtual time, which jumps ahead instead of passing.

Give the code under test ``clock`` (a ``() -> float``) and ``clock.sleep``. Without a driver, a sleep
simply moves the clock by its length. With the driver (``start()``/``stop()``), sleepers wait in a heap
by wake-up time and the driver releases them one at a time, in virtual-time order (ties in the order
they went to sleep), so periodic loops (the watcher, housekeeping) interleave as they would in real
time while hours of virtual time pass in well under a second.

**The idle rule.** Virtual time moves only when nothing else can run: the driver advances the clock to
the earliest sleeper only after it has seen the event loop idle on ``quiet_turns`` consecutive loop
iterations, where idle means (``tests.fakes.idle``) no ready callbacks or due real-time timers, no
events waiting on any socket or pipe the loop watches, and no work out in a thread or child process
(executor jobs and ``asyncio.to_thread``, aiosqlite's connection threads, subprocesses such as
ffmpeg). So however slow a SQLite write or a loopback HTTP exchange is under CPU load, no virtual
time passes while it is in flight; how long real work takes never changes what the test sees. While
only outside work is pending, the driver waits for it to come back instead of spinning. Work in other
processes reached over sockets is not visible: tests of those use real time. (A child process that
never exits, or a test task that spins on ``asyncio.sleep(0)``, keeps the loop busy and so holds
virtual time still: wait with ``until`` or ``clock.stepped()`` instead.)

Tests can wait on the clock's idle points: ``await clock.idle()`` returns once everything runnable
at the current virtual time has run; ``await clock.stepped()`` once virtual time has moved and the
loop has gone idle again (``False`` if there was nothing left to wake). ``tests.fakes.until`` builds
bounded condition waits on these.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools

from tests.fakes.idle import LoopWatch


class FakeClock:
    def __init__(self, start: float = 1_790_000_000.0, *, quiet_turns: int = 3) -> None:
        self.now = start
        self.slept: list[float] = []
        self.quiet_turns = quiet_turns
        self.steps = 0  # how many times the driver has moved time and woken a sleeper
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._watch: LoopWatch | None = None
        self._idle_waiters: list[asyncio.Future[bool]] = []  # released at the next idle point
        self._step_waiters: list[asyncio.Future[bool]] = []  # released at the idle point after a step
        self._wake: asyncio.Future[None] | None = None  # the driver waits here when there is nothing to do

    def __call__(self) -> float:
        return self.now

    @property
    def driving(self) -> bool:
        return self._driver is not None

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        if self._driver is None:
            # No driver: the simple model, time jumps by the whole sleep at once.
            self.now += seconds
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), future))
        self._nudge()
        await future

    async def idle(self) -> None:
        """Return at the driver's next idle point, before it moves time (at once without a driver)."""
        if self._driver is None:
            await asyncio.sleep(0)
            return
        await self._wait(self._idle_waiters)

    async def stepped(self) -> bool:
        """Return once virtual time has moved and the loop is idle again; ``False`` if nothing sleeps."""
        if self._driver is None:
            await asyncio.sleep(0)
            return False
        return await self._wait(self._step_waiters)

    def start(self) -> None:
        if self._driver is None:
            loop = asyncio.get_running_loop()
            self._watch = LoopWatch.of(loop)
            self._driver = loop.create_task(self._drive(), name="FakeClock driver")

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        for waiter in self._idle_waiters + self._step_waiters:
            waiter.cancel()
        self._idle_waiters.clear()
        self._step_waiters.clear()

    # -- the driver -----------------------------------------------------------------------------------

    async def _wait(self, waiters: list[asyncio.Future[bool]]) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        waiters.append(future)
        self._nudge()
        try:
            return await future
        finally:
            if future in waiters:
                waiters.remove(future)

    def _nudge(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def _drive(self) -> None:
        while True:
            await self._until_idle()
            if self._release(self._idle_waiters, True):
                continue  # they may start more work: wait for idleness again before moving time
            while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
                heapq.heappop(self._sleepers)
            if self._sleepers:
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                self.steps += 1
                # Whoever waits for a step is due at the idle point that follows this one.
                self._idle_waiters.extend(self._step_waiters)
                self._step_waiters.clear()
                future.set_result(None)
                continue
            if self._release(self._step_waiters, False):
                continue
            # Idle with nothing asleep: wait until something sleeps or waits on us.
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await self._wake
            finally:
                self._wake = None

    async def _until_idle(self) -> None:
        assert self._watch is not None
        quiet = 0
        while quiet < self.quiet_turns:
            await asyncio.sleep(0)  # one turn of the loop
            busy = self._watch.busy()
            if busy is None:
                quiet += 1
                continue
            quiet = 0
            if busy.kind == "outside":
                # Nothing to do but wait for a thread or child: sleep on its future, not in a spin.
                futures = self._watch.waitable()
                if futures:
                    await asyncio.wait(futures, timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
                else:  # a cancelled job whose thread is still running: poll it gently
                    await asyncio.sleep(0.001)

    @staticmethod
    def _release(waiters: list[asyncio.Future[bool]], result: bool) -> bool:
        released = False
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)
                released = True
        waiters.clear()
        return released
