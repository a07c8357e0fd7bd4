"""One request → one task → the right person, on SQLite and PostgreSQL, across replicas and kills.

Real engines, the real DashScope client and a real store; DashScope is the scripted aiohttp stand-in of
``tests/dashscope/conftest.py`` (which, like the service, reports ``orig_prompt`` only once a task
SUCCEEDED), time is the virtual clock. Several engines share one database as replicas would.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from core.creates import ADOPTED_TASK
from core.dashscope import DashScopeClient, ReconcilePolicy, RetryPolicy
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.metrics import Metrics
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.store.orphans import OrphanTask
from core.store.schema import jobs
from tests.dashscope.conftest import FakeDashScope
from tests.engine.conftest import FakeFitter
from tests.fakes.clock import FakeClock
from tests.fakes.port import RecordingPort
from tests.store.test_store import T0, make_job

KEY = "sk-create-safety-0123456789"
MODEL = "wan2.7-t2v"


class HeldClock(FakeClock):
    """The virtual clock, standing still while ``hold`` is set: no lease can run out at a bad moment."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False

    async def _drive(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            if self.hold:
                continue
            while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
                heapq.heappop(self._sleepers)
            if self._sleepers:
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)


@dataclass
class Rig:
    db_url: str
    tmp: Path
    clock: HeldClock
    fake: FakeDashScope
    server: TestServer
    session: aiohttp.ClientSession
    port: RecordingPort = field(default_factory=RecordingPort)
    engines: dict[str, Engine] = field(default_factory=dict)
    stores: list[JobStore] = field(default_factory=list)
    metrics: dict[str, Metrics] = field(default_factory=dict)

    async def engine(self, name: str, *, lease_seconds: float = 10.0) -> Engine:
        store = await JobStore.open(self.db_url)
        self.stores.append(store)
        client = DashScopeClient(self.session, base_url=str(self.server.make_url("/api/v1")), api_key=KEY,
                                 clock=self.clock, sleep=self.clock.sleep,
                                 retry=RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0),
                                 reconcile=ReconcilePolicy(skew=30.0, recheck_delays=(2.0, 5.0)),
                                 request_timeout=10.0)
        self.metrics[name] = Metrics(process=False)
        engine = Engine(
            store=store, client=client, ports={"test": self.port},
            delivery=Delivery(client, workdir=self.tmp / name, fit=FakeFitter(), messages=Messages()),
            clock=self.clock, sleep=self.clock.sleep, observer=self.metrics[name],
            config=EngineConfig(replica_id=name, max_in_flight=5, per_user_cap=10, poll_interval=1.0,
                                create_retry_delay=2.0, lease_seconds=lease_seconds, housekeeping_interval=2.0,
                                slot_poll_interval=1.0),
        )
        await engine.start()
        self.engines[name] = engine
        return engine

    async def submit(self, engine: Engine, prompt: str, user: str) -> Job:
        requester = Requester(platform="test", user_id=user, channel_id=f"c-{user}", workspace_id="w")
        return await engine.submit(requester, ConversationRef("test", f"c-{user}", "w"),
                                   GenerationRequest.build(prompt=prompt, resolution="720P"))

    async def job(self, job_id: str) -> Job:
        found = await self.stores[0].get(job_id)
        assert found is not None
        return found

    async def until(self, cond: Callable[[], Awaitable[bool]], rounds: int = 10000) -> None:
        """Let the engines run until ``await cond()`` holds (bounded number of loop turns, no timing)."""
        for _ in range(rounds):
            if await cond():
                return
            await asyncio.sleep(0.002)
        raise AssertionError("condition never held")

    async def submitting(self) -> int:
        async with self.stores[0].engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(jobs)
                                      .where(jobs.c.state == JobState.SUBMITTING.value))
        return int(count or 0)


@pytest.fixture
async def rig(db_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    clock = HeldClock()
    fake = FakeDashScope(clock)  # type: ignore[arg-type]  # any () -> float clock will do
    app = web.Application()
    for key, handler in fake.routes().items():
        method, path = key.split(" ", 1)
        app.router.add_route(method, path, handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    clock.start()
    async with aiohttp.ClientSession() as session:
        r = Rig(db_url=db_url, tmp=tmp_path, clock=clock, fake=fake, server=server, session=session)
        try:
            yield r
        finally:
            for engine in r.engines.values():
                await engine.stop()
            for store in r.stores:
                await store.close()
    await clock.stop()
    await server.close()


def prompt_of(rig: Rig, task_id: str | None) -> str | None:
    return rig.fake.tasks[task_id]["prompt"] if task_id in rig.fake.tasks else None


async def test_adopted_task_that_succeeds_with_another_prompt_is_not_delivered(rig: Rig) -> None:
    # Alice's earlier create made a task that nobody stored (an orphan). Bob's create is lost and made
    # nothing, so the orphan is the only candidate and is adopted — while PENDING nobody can tell.
    rig.fake.create_script = ["lost"]
    engine = await rig.engine("r1")
    rig.clock.hold = True  # time stands still: the orphan stays inside the create's window
    alices = rig.fake.add_task(MODEL, rig.clock() - 5, prompt="alice's lighthouse at dusk")
    bob = await rig.submit(engine, "bob's fox detective in the rain", "bob")
    await rig.until(lambda: _state_is(rig, bob.id, JobState.PENDING))
    adopted = await rig.job(bob.id)
    assert adopted.task_id == alices and adopted.extra.get(ADOPTED_TASK) is True
    rig.clock.hold = False

    rig.fake.tasks[alices]["status"] = "SUCCEEDED"  # now the service reports the prompt it was made from
    await rig.until(lambda: _state_is(rig, bob.id, JobState.FAILED))
    done = await rig.job(bob.id)
    assert done.error_code == "ForeignTask" and "someone else's result" in (done.error_message or "")
    assert rig.port.uploads == [], "Bob must never receive Alice's video"
    orphans = await rig.stores[0].orphans.all()
    assert [(o.task_id, o.status, o.action, o.job_id) for o in orphans] == [(alices, "SUCCEEDED", "left", bob.id)]
    assert alices in await rig.stores[0].known_task_ids(done.created_at.replace(year=2000))
    assert rig.metrics["r1"].orphan_tasks.labels("left")._value.get() == 1


async def test_lost_create_next_to_an_orphan_fails_clearly_and_cancels_both(rig: Rig) -> None:
    rig.fake.create_script = ["drop"]  # Bob's task is made, the answer is lost
    engine = await rig.engine("r1")
    rig.clock.hold = True  # time stands still: the orphan stays inside the create's window
    alices = rig.fake.add_task(MODEL, rig.clock() - 5, prompt="alice's lighthouse at dusk")
    bob = await rig.submit(engine, "bob's fox detective in the rain", "bob")
    await rig.until(lambda: _state_is(rig, bob.id, JobState.FAILED))
    done = await rig.job(bob.id)
    bobs = rig.fake.created[0]
    assert done.task_id is None and done.error_code == "CreateAmbiguous"
    assert "could not tell which task was yours" in (done.error_message or "")
    assert sorted(rig.fake.canceled) == sorted([alices, bobs]), "both PENDING orphans are cancelled"
    orphans = {o.task_id: o for o in await rig.stores[0].orphans.all()}
    assert set(orphans) == {alices, bobs} and {o.action for o in orphans.values()} == {"cancelled"}
    assert rig.metrics["r1"].orphan_tasks.labels("cancelled")._value.get() == 2
    assert rig.port.uploads == []


async def test_json_5xx_after_the_create_is_adopted_once(rig: Rig) -> None:
    rig.fake.create_script = ["503after", "500after"]
    engine = await rig.engine("r1")
    a = await rig.submit(engine, "a red kite over the sea", "ann")
    b = await rig.submit(engine, "a green tram in the snow", "ben")
    await rig.until(lambda: _all_state(rig, [a.id, b.id], JobState.PENDING))
    assert len(rig.fake.created) == 2, "no create was sent twice"
    for job_id in (a.id, b.id):
        job = await rig.job(job_id)
        assert prompt_of(rig, job.task_id) == job.request.prompt
        assert job.extra.get(ADOPTED_TASK) is True


async def test_two_replicas_never_have_two_creates_unresolved(rig: Rig) -> None:
    seen: list[int] = []

    async def look(_body: dict[str, Any]) -> None:
        seen.append(await rig.submitting())

    rig.fake.on_create = look
    rig.fake.create_script = ["lost", "ok", "ok", "429after", "ok"]
    # Long leases: no take-over here (the virtual clock may leap while real I/O is pending).
    r1, r2 = await rig.engine("r1", lease_seconds=3600), await rig.engine("r2", lease_seconds=3600)
    ids = []
    for i in range(4):
        job = await rig.submit(r1 if i % 2 == 0 else r2, f"replica job number {i}", f"user{i}")
        ids.append(job.id)
    await rig.until(lambda: _all_state(rig, ids, JobState.PENDING))
    assert seen and max(seen) == 1, f"jobs SUBMITTING at each create: {seen}"
    assert len(rig.fake.created) == 4
    for job_id in ids:
        job = await rig.job(job_id)
        assert prompt_of(rig, job.task_id) == job.request.prompt


async def test_a_create_left_unresolved_by_a_killed_replica_blocks_creates_until_resolved(rig: Rig) -> None:
    held = asyncio.Event()
    release = asyncio.Event()
    seen: list[int] = []

    async def hold_first(body: dict[str, Any]) -> None:
        seen.append(await rig.submitting())
        if not held.is_set():
            # The service makes the task; its answer is still on the way when r1 dies.
            rig.fake.created.append(rig.fake.add_task(body["model"], rig.clock(), prompt=body["input"]["prompt"]))
            held.set()
            await release.wait()
            raise web.HTTPGone()  # (to nobody: r1 is gone) nothing more is made

    rig.fake.on_create = hold_first
    r1, r2 = await rig.engine("r1"), await rig.engine("r2")
    rig.clock.hold = True  # virtual time stands still until r1 is gone
    a = await rig.submit(r1, "a lighthouse at dusk", "ann")
    await held.wait()
    await r1.stop(release_leases=False)  # SIGKILL-like: nothing resolved, the lease left to run out
    del rig.engines["r1"]
    release.set()

    # While a's create is unresolved no other create may be sent, by any replica.
    b = await rig.submit(r2, "a fox detective in the rain", "ben")
    assert (await rig.job(b.id)).state is JobState.QUEUED and len(rig.fake.created) == 1

    # a's lease runs out, r2 claims it, finds its one task in the list and adopts it; then b goes.
    rig.clock.hold = False
    await rig.until(lambda: _all_state(rig, [a.id, b.id], JobState.PENDING))
    ja, jb = await rig.job(a.id), await rig.job(b.id)
    assert ja.task_id == rig.fake.created[0] and ja.extra.get(ADOPTED_TASK) is True
    assert prompt_of(rig, ja.task_id) == ja.request.prompt and prompt_of(rig, jb.task_id) == jb.request.prompt
    assert len(rig.fake.created) == 2 and seen == [1, 1], f"jobs SUBMITTING at each create: {seen}"


async def _state_is(rig: Rig, job_id: str, state: JobState) -> bool:
    return (await rig.job(job_id)).state is state


async def _all_state(rig: Rig, ids: list[str], state: JobState) -> bool:
    return all([(await rig.job(job_id)).state is state for job_id in ids])


async def _created(rig: Rig, n: int) -> bool:
    return len(rig.fake.created) >= n


async def test_take_slot_is_the_create_gate(store: JobStore) -> None:
    first, second = make_job(), make_job()
    for job in (first, second):
        await store.insert(job)
    taken = await store.leases.take_slot(first, max_in_flight=5, now=T0)
    assert taken is not None and taken.state is JobState.SUBMITTING
    # Four slots are free, but a create is unresolved: nobody else may send one.
    assert await store.leases.take_slot(second, max_in_flight=5, now=T0) is None
    resolved = await store.save(taken.moved_to(JobState.PENDING, T0, task_id="t-1"))
    assert resolved.state is JobState.PENDING
    assert await store.leases.take_slot(second, max_in_flight=5, now=T0 + timedelta(seconds=1)) is not None


async def test_known_task_ids_include_orphans(store: JobStore) -> None:
    await store.insert(make_job(state=JobState.PENDING, task_id="mine", updated_at=T0))
    orphan = OrphanTask(task_id="lost", status="PENDING", action="cancelled", reason="test", found_at=T0)
    assert await store.orphans.record(orphan) is True
    assert await store.orphans.record(orphan) is False  # once only
    assert await store.known_task_ids(T0 - timedelta(days=2)) == {"mine", "lost"}
