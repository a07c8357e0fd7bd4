"""A job behind a gateway with its own task route (seed 004), end to end: engine + real client + sandbox.

The sandbox in gateway mode takes DashScope's create under ``/wan/api/v1`` and answers task queries only
at ``GET /v1/tasks/{task_id}``; DashScope's own query route is a 404 there.

* Configured for it (``WANBOT_DASHSCOPE_GATEWAY=v1-tasks``), a job is delivered.
* Not configured (the reproduction: every query hits the 404 route), the job used to wait forever with no
  word to the user; now it fails after ``NOT_FOUND_GRACE`` of 404s with one sentence — and not before.
* A short run of "not found" (a task not yet readable right after its create) does not fail a job.

Time is virtual (``FakeClock`` drives the engine, the client and the sandbox).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest

from bot.settings import Settings
from core.dashscope import DASHSCOPE, V1_TASKS, DashScopeClient, Dialect, RetryPolicy, TaskNotFound
from core.delivery import Delivery
from core.engine import Engine, EngineConfig
from core.errors import DashScopeError
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.outcomes import NOT_FOUND_GRACE
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.transcode import fit_to_size
from sandbox.config import Faults, SandboxConfig
from sandbox.runner import Sandbox
from tests.engine.conftest import Harness
from tests.fakes.clock import FakeClock
from tests.fakes.port import RecordingPort
from tests.fakes.until import until

KEY = "sk-gateway-e2e"


@dataclass
class Stack:
    clock: FakeClock
    sandbox: Sandbox
    engine: Engine
    port: RecordingPort

    async def submit(self, prompt: str = "a lighthouse at dusk", user: str = "u1") -> Job:
        requester = Requester(platform="test", user_id=user, channel_id="c1", workspace_id="w1")
        return await self.engine.submit(requester, ConversationRef("test", "c1", "w1"),
                                        GenerationRequest.build(prompt=prompt, duration=2))

    async def finished(self, job_id: str, *, steps: int = 20_000) -> Job:
        async def done() -> Job | None:
            job = await self.engine.get(job_id)
            return job if job is not None and job.state.terminal else None

        return await until(done, f"job {job_id} finished", clock=self.clock, steps=steps)


MakeStack = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def stack_for(tmp_path: Path) -> AsyncIterator[MakeStack]:
    opened: list[tuple[FakeClock, Sandbox, aiohttp.ClientSession, Engine, JobStore]] = []

    async def make(dialect: Dialect, config: EngineConfig, faults: Faults | None = None) -> Stack:
        clock = FakeClock()
        clock.start()
        sandbox = Sandbox(SandboxConfig(speed=20, api_key=KEY, seed=4, gateway=True, faults=faults or Faults()),
                          clock=clock)
        await sandbox.start()
        session = aiohttp.ClientSession()
        client = DashScopeClient(session, base_url=sandbox.base_url, api_key=KEY, clock=clock, sleep=clock.sleep,
                                 retry=RetryPolicy(base_delay=0.5, max_delay=4.0), dialect=dialect)
        store = await JobStore.open(f"sqlite:///{tmp_path}/jobs-{len(opened)}.db")
        port = RecordingPort()
        engine = Engine(store=store, client=client, ports={"test": port},
                        delivery=Delivery(client, workdir=tmp_path / "work", messages=Messages(), fit=fit_to_size),
                        clock=clock, sleep=clock.sleep, config=config)
        await engine.start()
        opened.append((clock, sandbox, session, engine, store))
        return Stack(clock, sandbox, engine, port)

    yield make
    for clock, sandbox, session, engine, store in opened:
        await engine.stop()
        await store.close()
        await session.close()
        await sandbox.close()
        await clock.stop()


def _settings(monkeypatch: pytest.MonkeyPatch, value: str) -> Settings:
    monkeypatch.setenv("WANBOT_DASHSCOPE_GATEWAY", value)
    return Settings(_env_file=None)


async def test_a_job_behind_a_v1_tasks_gateway_is_delivered(stack_for: MakeStack,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, "v1-tasks")
    assert settings.dialect() == V1_TASKS and settings.engine_config().list_sweeps is False
    stack = await stack_for(settings.dialect(), settings.engine_config())
    job = await stack.submit()
    done = await stack.finished(job.id)
    assert done.state is JobState.DELIVERED, (done.state, done.error_code, done.error_message)
    assert len(stack.port.uploads) == 1 and stack.port.uploads[0].content[4:8] == b"ftyp"
    routes = stack.sandbox.stats.requests_by_route
    assert routes["gateway.query"] >= 1
    assert routes["gateway.unknown"] == 0 and routes["gateway.native"] == 0  # never a DashScope task route
    assert stack.sandbox.stats.tasks_created(KEY) == 1


async def test_an_unconfigured_gateway_fails_the_job_after_the_grace_not_forever(stack_for: MakeStack) -> None:
    # Reproduction of issue 12 item 4: wanbot pointed at the gateway with DashScope's own routes.
    stack = await stack_for(DASHSCOPE, EngineConfig())
    job = await stack.submit()
    done = await stack.finished(job.id)
    assert done.state is JobState.FAILED and done.error_code == "TaskNotFound"
    assert done.error_message == Messages()("failed.task_not_found", limit="3m 00s")
    pending, failed = done.entered(JobState.PENDING), done.entered(JobState.FAILED)
    assert pending is not None and failed is not None
    assert (failed - pending).total_seconds() >= NOT_FOUND_GRACE  # not at the first 404
    assert stack.sandbox.stats.requests_by_route["gateway.unknown"] >= 2
    assert stack.sandbox.stats.tasks_created(KEY) == 1


async def test_a_short_run_of_not_found_does_not_fail_the_job(harness: Harness) -> None:
    harness.api.get_errors.extend(TaskNotFound("not yet", http_status=404) for _ in range(4))
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED, (done.state, done.error_code)
    assert not harness.api.get_errors  # every "not found" was seen


async def test_not_found_for_longer_than_the_grace_fails_the_job(harness: Harness) -> None:
    harness.api.get_errors.extend(TaskNotFound("gone", http_status=404) for _ in range(200))
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "TaskNotFound"
    pending, failed = done.entered(JobState.PENDING), done.entered(JobState.FAILED)
    assert pending is not None and failed is not None
    assert NOT_FOUND_GRACE <= (failed - pending).total_seconds() < NOT_FOUND_GRACE + 120


async def test_a_lost_create_behind_a_gateway_fails_clearly_and_is_never_resent(stack_for: MakeStack) -> None:
    # Every create makes its task, then its answer is replaced by a 500: without a task list the create
    # cannot be looked up, so the job fails instead of paying for a second task; the create gate reopens.
    faults = Faults(rate_500_after=1.0, routes=frozenset({"video.create"}))
    stack = await stack_for(V1_TASKS, EngineConfig(list_sweeps=False), faults)
    first, second = await stack.submit("one"), await stack.submit("two", user="u2")
    for job in (first, second):
        done = await stack.finished(job.id)
        assert done.state is JobState.FAILED and done.error_code == "CreateAmbiguous"
        assert done.error_message == Messages()("error.CreateAmbiguous")
    assert stack.sandbox.stats.tasks_created(KEY) == 2  # one per job: nothing was sent twice
    assert stack.sandbox.stats.requests_by_route["video.create"] == 2


async def test_a_job_whose_queries_only_fail_is_given_up_at_the_task_timeout(harness: Harness) -> None:
    # Not a 404 (a key revoked mid-task, say): retried as before, but no longer past the job's deadline.
    harness.config = replace(harness.config, task_timeout=600.0)
    harness.api.get_errors.extend(DashScopeError("no", code="InvalidApiKey", http_status=401) for _ in range(500))
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "Timeout"
    assert harness.api.get_errors, "given up at the deadline, not when the errors ran out"
