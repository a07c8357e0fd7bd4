"""Whether an asyncio event loop could still make progress without time passing (for ``FakeClock``).

``LoopWatch.of(loop).busy()`` names what the loop is still doing, or returns ``None`` when it is idle.
The loop is busy while any of these holds:

* a callback is ready to run, or a real-time timer is already due;
* a file descriptor the loop watches has an event waiting — found with a zero-timeout ``select`` on the
  loop's own selector (level-triggered, so looking does not consume the event). This covers the
  loopback fakes served in the same loop, and results that threads hand back with
  ``call_soon_threadsafe`` (which writes to the loop's self-pipe);
* work handed to another thread or process has not come back *and been delivered*:

  - ``loop.run_in_executor`` on any executor (hence ``asyncio.to_thread`` and ``getaddrinfo``);
  - aiosqlite's per-connection worker thread (every query, commit, connect and close);
  - child processes from ``loop.subprocess_exec``/``subprocess_shell`` (hence
    ``asyncio.create_subprocess_*``, e.g. ffmpeg), until they exit.

A job counts until its thread has finished *and* its asyncio future is done; once the future is done,
the task awaiting it is a ready callback, so there is no gap in which the loop looks idle while a
result is on its way. Work in other processes reached over sockets (a PostgreSQL server, a bot run as a
subprocess and talked to over HTTP) is invisible here: tests of those use real time.

Relies on CPython's selector event loop (``_ready``, ``_scheduled``, ``_selector``); with another loop
``LoopWatch.of`` fails loudly rather than guess.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite.core


class _Job:
    """One piece of work outside the loop."""

    __slots__ = ("future", "started", "finished", "thread")

    def __init__(self, future: asyncio.Future[Any] | None = None, *, started: bool = False,
                 thread: threading.Thread | None = None) -> None:
        self.future = future
        self.started = started  # set by the worker thread as it begins
        self.finished = False  # set by the worker thread as it ends
        self.thread = thread  # the dedicated worker (aiosqlite): a dead one will never finish the job

    @property
    def pending(self) -> bool:
        if self.thread is not None and not self.thread.is_alive():
            return False
        if self.future is not None and not self.future.done():
            return True
        # The future is done (e.g. cancelled) but the thread may still be running the function.
        return self.started and not self.finished


@dataclass(frozen=True)
class Busy:
    """Why the loop is not idle: ``kind`` for the driver, ``detail`` for messages."""

    kind: Literal["ready", "timer", "io", "outside"]
    detail: str


_WATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopWatch] = weakref.WeakKeyDictionary()


class LoopWatch:
    """Tracks one loop's outside work; ``busy()`` says whether the loop could still make progress."""

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> LoopWatch:
        """The loop's watch, installed on first use (for the loop's lifetime)."""
        watch = _WATCHES.get(loop)
        if watch is None:
            watch = _WATCHES[loop] = cls(loop)
        return watch

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        for attr in ("_ready", "_scheduled", "_selector"):
            if not hasattr(loop, attr):
                raise TypeError(f"FakeClock needs CPython's selector event loop; {type(loop).__name__} "
                                f"has no {attr}")
        self.loop = loop
        self._jobs: set[_Job] = set()
        self._patch_loop()

    # -- what is pending ------------------------------------------------------------------------------

    def outside(self) -> list[_Job]:
        """Jobs running outside the loop whose results have not been delivered yet."""
        self._jobs = {job for job in self._jobs if job.pending}
        return list(self._jobs)

    def waitable(self) -> list[asyncio.Future[Any]]:
        """Futures of outside jobs that are not done: the driver can wait on these instead of spinning."""
        return [job.future for job in self.outside() if job.future is not None and not job.future.done()]

    def busy(self) -> Busy | None:
        """What the loop is still doing, or ``None`` if it is idle."""
        loop: Any = self.loop
        if loop._ready:
            return Busy("ready", f"{len(loop._ready)} callback(s) ready")
        if loop._scheduled and loop._scheduled[0].when() <= loop.time() + loop._clock_resolution:
            return Busy("timer", "a real-time timer is due")
        events = loop._selector.select(0)
        if events:
            return Busy("io", f"{len(events)} file descriptor(s) have events")
        outside = self.outside()
        if outside:
            return Busy("outside", f"{len(outside)} job(s) running in a thread or child process")
        return None

    def track(self, job: _Job) -> None:
        self._jobs.add(job)

    # -- instrumentation --------------------------------------------------------------------------------

    def _patch_loop(self) -> None:
        loop: Any = self.loop
        run_in_executor = loop.run_in_executor
        subprocess_exec, subprocess_shell = loop.subprocess_exec, loop.subprocess_shell

        def tracked_run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
            job = _Job()

            def call() -> Any:
                job.started = True
                try:
                    return func(*args)
                finally:
                    job.finished = True

            future: asyncio.Future[Any] = run_in_executor(executor, call)
            job.future = future
            self.track(job)
            return future

        def tracked_subprocess(original: Callable[..., Any]) -> Callable[..., Any]:
            async def start(protocol_factory: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
                exited: asyncio.Future[None] = self.loop.create_future()
                self.track(_Job(exited))

                def factory() -> Any:
                    protocol = protocol_factory()
                    process_exited = protocol.process_exited

                    def on_exit() -> None:
                        try:
                            process_exited()
                        finally:
                            if not exited.done():
                                exited.set_result(None)

                    protocol.process_exited = on_exit
                    return protocol

                try:
                    return await original(factory, *args, **kwargs)
                except BaseException:
                    if not exited.done():
                        exited.set_result(None)
                    raise

            return start

        # Instance attributes shadow the methods for this loop only (asyncio looks them up on self).
        loop.run_in_executor = tracked_run_in_executor
        loop.subprocess_exec = tracked_subprocess(subprocess_exec)
        loop.subprocess_shell = tracked_subprocess(subprocess_shell)


# -- aiosqlite: every call goes through the connection's queue to its worker thread ------------------------


class _TrackingQueue:
    """Stands in for an aiosqlite connection's request queue on the asyncio side (``put_nowait``).

    The worker thread keeps reading the original queue; each ``(future, function)`` put here is
    registered with the watch of the future's loop, and the function marks when it starts and ends.
    """

    def __init__(self, inner: Any, thread: threading.Thread) -> None:
        self._inner = inner
        self._thread = thread

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        watch = _WATCHES.get(future.get_loop()) if future is not None else None
        if watch is None:
            self._inner.put_nowait(item)
            return
        job = _Job(future, started=True, thread=self._thread)  # queued counts: the thread runs every item

        @functools.wraps(function)
        def call() -> Any:
            try:
                return function()
            finally:
                job.finished = True

        watch.track(job)
        self._inner.put_nowait((future, call))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _instrument_aiosqlite() -> None:
    connection: Any = aiosqlite.core.Connection
    if getattr(connection, "_fake_clock_tracked", False):
        return
    original_init = connection.__init__

    @functools.wraps(original_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # The worker thread was given the original queue; requests now pass through the tracker.
        self._tx = _TrackingQueue(self._tx, self._thread)

    connection.__init__ = __init__
    connection._fake_clock_tracked = True


_instrument_aiosqlite()
