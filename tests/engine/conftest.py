"""An engine on a virtual clock, a scripted DashScope and a recording port, over a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.jobs import Job, Requester
from core.media_stash import MediaStash
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.transcode import CannotFit
from tests.fakes.clock import FakeClock
from tests.fakes.dashscope import FakeDashScope
from tests.fakes.port import RecordingPort
from tests.fakes.until import until as wait_until


class FakeFitter:
    """Stands in for ``core.transcode.fit_to_size``: writes a file of ``ratio`` × the original size."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.ratio = 0.5
        self.cannot_fit = False

    async def __call__(self, src: Path, dest: Path, *, max_bytes: int) -> object:
        self.calls.append(max_bytes)
        if self.cannot_fit:
            raise CannotFit("cannot fit", max_bytes=max_bytes)
        data = src.read_bytes()
        dest.write_bytes(data[: max(1, int(len(data) * self.ratio))])
        return None


@dataclass
class Harness:
    tmp: Path
    clock: FakeClock
    api: FakeDashScope
    port: RecordingPort
    fitter: FakeFitter
    db_url: str
    config: EngineConfig
    engine: Engine | None = None
    store: JobStore | None = None
    #: The media stash the engine resolves input files with and keeps delivered images in (issue 12).
    stash: MediaStash | None = None

    async def start(self) -> Engine:
        """A fresh engine (as after a restart) over the same database, scripted API and port."""
        self.store = await JobStore.open(self.db_url)
        delivery = Delivery(self.api, workdir=self.tmp / "work", fit=self.fitter, messages=Messages())
        self.engine = Engine(
            store=self.store,
            client=self.api,
            ports={"test": self.port},
            delivery=delivery,
            clock=self.clock,
            sleep=self.clock.sleep,
            config=self.config,
            stash=self.stash,
        )
        await self.engine.start()
        return self.engine

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
            self.engine = None
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def submit(self, prompt: str = "a lighthouse at dusk", user: str = "u1", **fields: Any) -> Job:
        assert self.engine is not None
        requester = Requester(platform="test", user_id=user, channel_id="c1", workspace_id="w1")
        conversation = ConversationRef(platform="test", channel_id="c1", workspace_id="w1")
        return await self.engine.submit(requester, conversation, GenerationRequest.build(prompt=prompt, **fields))

    def live(self, job_id: str) -> Job:
        """The running engine's in-memory copy of a job it holds; fails the test if it holds none."""
        assert self.engine is not None, "the engine is not running"
        job = self.engine.peek(job_id)
        assert job is not None, f"the engine does not hold job {job_id}"
        return job

    async def finish(self, job_id: str) -> Job:
        assert self.engine is not None
        return await asyncio.wait_for(self.engine.wait(job_id), timeout=60)  # a bound, not a timing

    async def settle(self, until: Callable[[], bool] | None = None, rounds: int = 500) -> None:
        """Let background steps run until ``until()`` holds (checked at every virtual-time step), or
        without a condition for ``rounds`` steps (fewer if nothing is left asleep)."""
        if until is not None:
            await wait_until(until, clock=self.clock, steps=rounds)
            return
        for _ in range(rounds):
            if not await self.clock.stepped():
                return


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    clock = FakeClock()
    h = Harness(
        tmp=tmp_path,
        clock=clock,
        api=FakeDashScope(clock),
        port=RecordingPort(),
        fitter=FakeFitter(),
        db_url=f"sqlite:///{tmp_path}/jobs.db",
        config=EngineConfig(max_in_flight=5, per_user_cap=3, create_retry_delay=2.0),
    )
    clock.start()
    yield h
    await h.stop()
    await clock.stop()

