"""Several replicas on one database (SQLite and PostgreSQL): shared DashScope slots, leases, take-over.

Three engines — each with its own store connection, as three processes would have — share the
database, one DashScope account (the sandbox, counting creates and throttling a sixth task in flight)
and one chat platform. One replica dies mid-run without a word; the others must take over its jobs
when its leases run out, and every job must be delivered exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from core.dashscope import DashScopeClient, ReconcilePolicy, RetryPolicy
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.transcode import fit_to_size
from sandbox.config import Limits, SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.port import RecordingPort
from tests.fakes.until import until

KEY = "sk-replicas"
JOBS = 15
IN_FLIGHT = (JobState.PENDING, JobState.RUNNING)


@pytest.mark.slow
async def test_three_replicas_one_killed_every_job_delivered_once(db_url: str, tmp_path: Path) -> None:
    port = RecordingPort()
    engines: dict[str, Engine] = {}
    stores: list[JobStore] = []
    # The account's 5-tasks-in-flight limit is the one under test: no submissions-per-second limit here,
    # so any 429 the sandbox counts would mean a sixth task was sent while five were in flight.
    limits = Limits(submissions_per_second=0)
    async with Sandbox(SandboxConfig(speed=150, api_key=KEY, seed=5, limits=limits)) as sandbox, \
            aiohttp.ClientSession() as session:
        for name in ("r1", "r2", "r3"):
            store = await JobStore.open(db_url)
            stores.append(store)
            client = DashScopeClient(session, base_url=sandbox.base_url, api_key=KEY,
                                     retry=RetryPolicy(base_delay=0.01, max_delay=0.1),
                                     reconcile=ReconcilePolicy(recheck_delays=(0.05, 0.1)))
            engines[name] = Engine(
                store=store, client=client, ports={"test": port},
                delivery=Delivery(client, workdir=tmp_path / name, messages=Messages(), fit=fit_to_size),
                clock=time.time,
                config=EngineConfig(replica_id=name, max_in_flight=5, per_user_cap=JOBS, poll_interval=0.05,
                                    lease_seconds=1.0, housekeeping_interval=0.2, slot_poll_interval=0.05,
                                    create_retry_delay=0.1, duration_scale=1 / 150),
            )
            await engines[name].start()
        try:
            ids = []
            for i in range(JOBS):
                engine = engines[f"r{i % 3 + 1}"]
                requester = Requester(platform="test", user_id=f"u{i}", channel_id="c", workspace_id="w")
                job = await engine.submit(requester, ConversationRef("test", "c", "w"),
                                          GenerationRequest.build(prompt=f"replica job {i}", duration=2))
                ids.append(job.id)
            # r2 dies mid-run, while one of its jobs has a task in flight: its loops stop, its leases
            # are left to expire.
            await until(lambda: any(j.state in IN_FLIGHT for j in engines["r2"].book), "r2 has a task in flight",
                        poll=0.005, describe=lambda: Counter(j.state for j in engines["r2"].book))
            r2_jobs = {j.id for j in engines["r2"].book if not j.state.terminal}
            await engines["r2"].stop(release_leases=False)

            jobs: list[Job | None] = []

            async def all_finished() -> bool:
                jobs[:] = [await stores[0].get(job_id) for job_id in ids]
                return all(j is not None and j.state.terminal for j in jobs)

            await until(all_finished, "every job finished", timeout=120,
                        describe=lambda: Counter(j.state for j in jobs if j))
        finally:
            for engine in engines.values():
                await engine.stop()
            for store in stores:
                await store.close()
        created = sandbox.stats.tasks_created(KEY)
        throttled = sandbox.stats.errors_by_code["Throttling.RateQuota"]

    assert [j.state for j in jobs if j] == [JobState.DELIVERED] * JOBS
    assert created == JOBS, f"{created} DashScope tasks for {JOBS} jobs"
    uploads = Counter(u.filename for u in port.uploads)
    assert len(uploads) == JOBS and max(uploads.values()) == 1, "one upload per video"
    assert throttled == 0, "the 5-in-flight account limit held across replicas (no sixth task was refused)"
    assert r2_jobs, "r2 was killed while it still had work"
    taken_over = {j.id: j for j in jobs if j and j.id in r2_jobs}
    assert taken_over and all(j.lease_owner in ("r1", "r3", None) for j in taken_over.values())
