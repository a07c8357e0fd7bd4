"""Fault soak: hundreds of jobs through a DashScope that fails a quarter of the time and a chat
platform that fails a fifth of the time. Every job must reach the right terminal state, with exactly
one DashScope task and at most one upload each, and no unhandled exception in the logs.

The real engine, client, store, transcoder and sandbox run here; only the chat platform is a fake.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import aiohttp
import pytest

from core.dashscope import DashScopeClient, ReconcilePolicy, RetryPolicy
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.errors import PlatformError
from core.jobs import JobState, Requester
from core.messages import Messages
from core.port import ConversationRef, MessageRef, StatusView
from core.request import GenerationRequest
from core.store import JobStore
from core.transcode import fit_to_size
from sandbox.config import DOWNLOAD_ROUTE, Faults, Limits, SandboxConfig
from sandbox.runner import Sandbox
from sandbox.triggers import REJECT
from tests.fakes.port import RecordingPort
from tests.fakes.until import until

JOBS = 500
KEY = "sk-soak"


class FlakyPort(RecordingPort):
    """A chat platform answering 429 (with Retry-After) or 5xx to a share of edits and uploads."""

    def __init__(self, rate: float, seed: int) -> None:
        super().__init__(platform="test")
        self.rate = rate
        self.rng = random.Random(seed)
        self.failures: Counter[str] = Counter()

    def _maybe_fail(self, verb: str) -> None:
        if self.rng.random() < self.rate:
            self.failures[verb] += 1
            if self.rng.random() < 0.5:
                raise PlatformError("rate limited", code="RateLimited", http_status=429, retryable=True,
                                    retry_after=0.05)
            raise PlatformError("bad gateway", code="HTTP502", http_status=502, retryable=True)

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        self._maybe_fail("edit")
        await super().edit_status(ref, view)

    async def upload_video(self, conversation: ConversationRef, path: Path, **kwargs: object) -> MessageRef:
        self._maybe_fail("upload")
        return await super().upload_video(conversation, path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_fault_soak(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    faults = Faults(rate_429=0.09, rate_500=0.07, rate_503=0.05, drop_before_rate=0.02, drop_after_rate=0.02)
    config = SandboxConfig(speed=5000, api_key=KEY, seed=7, faults=faults,
                           limits=Limits(submissions_per_second=0, tasks_in_flight=20, queries_per_second=0,
                                         task_ttl_seconds=10**9, url_ttl_seconds=10**9))
    port = FlakyPort(rate=0.2, seed=11)
    started = time.monotonic()
    async with Sandbox(config) as sandbox, aiohttp.ClientSession() as session:
        client = DashScopeClient(
            session, base_url=sandbox.base_url, api_key=KEY,
            retry=RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.1),
            reconcile=ReconcilePolicy(skew=30.0, recheck_delays=(0.05, 0.1)),
        )
        store = await JobStore.open(f"sqlite:///{tmp_path}/soak.db")
        engine = Engine(
            store=store, client=client, ports={"test": port},
            delivery=Delivery(client, workdir=tmp_path / "work", messages=Messages(), fit=fit_to_size),
            clock=time.time,
            config=EngineConfig(max_in_flight=20, per_user_cap=JOBS, queries_per_second=400, poll_interval=0.05,
                                create_retry_delay=0.05, max_delivery_backoff=0.5, housekeeping_interval=0.2,
                                duration_scale=1 / 5000),
        )
        await engine.start()
        try:
            jobs = []
            for i in range(JOBS):
                rejected = i % 10 == 0
                prompt = f"soak {i} {REJECT}" if rejected else f"soak {i}"
                requester = Requester(platform="test", user_id=f"u{i % 25}", channel_id="c", workspace_id="w")
                conversation = ConversationRef(platform="test", channel_id="c", workspace_id="w")
                job = await engine.submit(requester, conversation, GenerationRequest.build(prompt=prompt, duration=2))
                jobs.append((job.id, rejected))
            finished = {job_id: await engine.wait(job_id, timeout=240) for job_id, _ in jobs}
            await _settle_status_messages(engine, finished)
        finally:
            await engine.stop()
            await store.close()
        created = sandbox.stats.tasks_created(KEY)
        # Each job's task is the one made from its own prompt (two lost creates must not swap videos).
        swapped = []
        for job in finished.values():
            task = sandbox.task(job.task_id or "")
            if task is None or task.job.prompt != job.request.prompt:
                swapped.append((job.id, job.request.prompt, task.job.prompt if task else None))
        fault_count = sum(sandbox.stats.faults.values())
        api_requests = sum(n for route, n in sandbox.stats.requests_by_route.items() if route != DOWNLOAD_ROUTE)

    elapsed = time.monotonic() - started
    states = Counter(job.state for job in finished.values())
    for job_id, rejected in jobs:
        job = finished[job_id]
        expected = JobState.FAILED if rejected else JobState.DELIVERED
        assert job.state is expected, (job_id, job.state, job.error_code, job.error_message)
        if rejected:
            assert job.error_code == "DataInspectionFailed"
    task_ids = [job.task_id for job in finished.values()]
    assert None not in task_ids and len(set(task_ids)) == JOBS, "every job has its own task"
    assert created == JOBS, f"{created} tasks created for {JOBS} jobs: a create was billed twice"
    assert not swapped, swapped[:5]
    uploads = Counter(u.filename for u in port.uploads)
    assert len(uploads) == states[JobState.DELIVERED] and max(uploads.values()) == 1, "one upload per video"
    assert port.failures["edit"] > 50 and port.failures["upload"] > 5, port.failures
    unhandled = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not unhandled, [r.getMessage() for r in unhandled[:5]]
    print(f"\nsoak: {JOBS} jobs in {elapsed:.1f}s; {dict(states)}; sandbox faults {fault_count} of "
          f"{api_requests} API requests ({fault_count / api_requests:.0%}); platform failures {dict(port.failures)}")


async def _settle_status_messages(engine: Engine, finished: Mapping[str, object]) -> None:
    """Wait (bounded) for housekeeping to bring every status message up to date."""
    stale: list[object] = []

    async def caught_up() -> bool:
        stored = [await engine.store.get(job_id) for job_id in finished]
        stale[:] = [j.id for j in stored if j is not None and j.shown_state != j.state.value]
        return not stale

    await until(caught_up, "every status message caught up", timeout=120, poll=0.05,
                describe=lambda: f"{len(stale)} stale, e.g. {stale[:5]}")
