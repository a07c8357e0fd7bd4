"""Fault injection (seeded), trigger phrases, counters and logging."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import random
from typing import Any

import aiohttp
import pytest

from sandbox import Faults, Limits, ManualClock
from sandbox.config import Faults as FaultsConfig
from sandbox.faults import Fault, FaultInjector
from sandbox.runner import serve
from sandbox.stats import key_id
from sandbox.tasks import Task
from sandbox.triggers import ARREARAGE, FAIL, IP_INFRINGEMENT, REJECT, REJECT_INPUT, STUCK
from tests.fakes.until import until
from tests.sandbox.conftest import KEY, Api, StartApi, image_body, video_body


def test_fault_rates_hold_with_a_seed() -> None:
    inj = FaultInjector(FaultsConfig(rate_429=0.1, rate_500=0.05, rate_503=0.05, drop_before_rate=0.02),
                        random.Random(42))
    counts = {f: 0 for f in Fault}
    for _ in range(20_000):
        fault = inj.decide("task.query")
        if fault is not None:
            counts[fault] += 1
    assert 1800 <= counts[Fault.THROTTLE] <= 2200
    assert 850 <= counts[Fault.INTERNAL] <= 1150 and 850 <= counts[Fault.UNAVAILABLE] <= 1150
    assert 300 <= counts[Fault.DROP_BEFORE] <= 500 and counts[Fault.DROP_AFTER] == 0
    again = FaultInjector(FaultsConfig(rate_429=0.1), random.Random(42))
    first = [again.decide("task.query") for _ in range(50)]
    again = FaultInjector(FaultsConfig(rate_429=0.1), random.Random(42))
    assert first == [again.decide("task.query") for _ in range(50)]
    assert FaultInjector(FaultsConfig(rate_500=1.0), random.Random(1)).decide("result.download") is None


async def test_http_fault_codes_and_rates(start: StartApi) -> None:
    api = await start(limits=Limits.unlimited(), faults=Faults(rate_429=0.2, rate_500=0.1, rate_503=0.1))
    seen: dict[tuple[int, str], int] = {}
    for _ in range(300):
        code, body = await api.query("t")
        key = (code, body.get("code", body.get("output", {}).get("task_status")))
        seen[key] = seen.get(key, 0) + 1
    assert set(seen) == {(200, "UNKNOWN"), (429, "Throttling"), (500, "InternalError"),
                         (503, "ModelUnavailable")}
    assert 35 <= seen[(429, "Throttling")] <= 85
    assert 12 <= seen[(500, "InternalError")] <= 50 and 12 <= seen[(503, "ModelUnavailable")] <= 50
    stats = api.sandbox.stats
    assert stats.faults["429"] == seen[(429, "Throttling")] and stats.requests_by_route["task.query"] == 300


async def test_drop_before_creates_nothing(start: StartApi) -> None:
    api = await start(faults=Faults(drop_before_rate=1.0))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.create()
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_drop_after_creates_and_bills_the_task(start: StartApi) -> None:
    """The ambiguous create: no answer arrives, yet the task exists — a retry bills twice."""
    api = await start(faults=Faults(drop_after_rate=1.0, routes=frozenset({"video.create"})))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.create()
    assert api.sandbox.stats.tasks_created(KEY) == 1
    _, listing = await api.list()
    assert listing["total"] == 1  # the client can find it by listing
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.create()
    assert api.sandbox.stats.tasks_created(KEY) == 2


def _with(faults: FaultsConfig, knob: str, rate: float = 1.0) -> FaultsConfig:
    changes: dict[str, Any] = {knob: rate}
    return dataclasses.replace(faults, **changes)


def test_after_effect_knobs_draw_after_the_old_ones() -> None:
    """A seed that sets none of the new knobs draws what it drew before they existed; each knob fires."""
    old = FaultInjector(FaultsConfig(rate_429=0.3, drop_after_rate=0.2), random.Random(5))
    new = FaultInjector(FaultsConfig(rate_429=0.3, drop_after_rate=0.2, rate_500_after=0.0), random.Random(5))
    assert [old.decide("video.create") for _ in range(200)] == [new.decide("video.create") for _ in range(200)]
    for knob, fault in (("rate_429_after", Fault.THROTTLE_AFTER), ("rate_500_after", Fault.INTERNAL_AFTER),
                        ("rate_503_after", Fault.UNAVAILABLE_AFTER), ("reset_after_rate", Fault.RESET_AFTER)):
        inj = FaultInjector(_with(FaultsConfig(), knob), random.Random(1))
        assert inj.decide("video.create") is fault and not fault.before_effect
    with pytest.raises(ValueError, match="add up"):
        FaultsConfig(rate_500=0.6, rate_500_after=0.6)


def _tasks(api: Api) -> list[Task]:
    return list(api.sandbox.store.tasks_of(key_id(KEY)))


@pytest.mark.parametrize(("knob", "status", "code", "fault"), [
    ("rate_429_after", 429, "Throttling", "429_after"),
    ("rate_500_after", 500, "InternalError", "500_after"),
    ("rate_503_after", 503, "ModelUnavailable", "503_after"),
])
async def test_json_error_after_the_create_took_effect(start: StartApi, knob: str, status: int, code: str,
                                                       fault: str) -> None:
    """The answer is a real-looking JSON error, yet the task exists (and is billed) with the prompt sent."""
    api = await start(faults=_with(Faults(routes=frozenset({"video.create"})), knob))
    got, body = await api.create(video_body("a heron in the reeds"))
    assert (got, body["code"]) == (status, code) and body["message"] and body["request_id"]
    assert "output" not in body  # nothing in the answer says a task was made
    [task] = _tasks(api)
    assert task.job.prompt == "a heron in the reeds" and api.sandbox.stats.tasks_created(KEY) == 1
    assert task.request_id == body["request_id"]
    assert api.sandbox.stats.fault_by_request == {task.request_id: fault}
    assert await api.status(task.task_id) == "PENDING"  # a real task: it can be queried, listed, cancelled
    _, listing = await api.list()
    assert listing["total"] == 1


async def test_reset_after_the_create_took_effect(start: StartApi) -> None:
    """The connection is reset (not closed cleanly) after the task was made: no answer, one billed task."""
    api = await start(faults=Faults(reset_after_rate=1.0, routes=frozenset({"video.create"})))
    with pytest.raises(aiohttp.ClientOSError) as caught:
        await api.create(video_body("a fox at the edge of a field"))
    assert caught.value.errno == errno.ECONNRESET, repr(caught.value)
    [task] = _tasks(api)
    assert task.job.prompt == "a fox at the edge of a field" and api.sandbox.stats.tasks_created(KEY) == 1
    assert api.sandbox.stats.fault_by_request == {task.request_id: "reset_after"}


@pytest.mark.parametrize("knob", ["rate_429", "rate_500", "rate_503"])
async def test_json_error_before_effect_creates_nothing(start: StartApi, knob: str) -> None:
    api = await start(faults=_with(Faults(routes=frozenset({"video.create"})), knob))
    status, _ = await api.create()
    assert status >= 429 and _tasks(api) == [] and api.sandbox.stats.tasks_created(KEY) == 0


async def test_latency_is_added(start: StartApi) -> None:
    api = await start(faults=Faults(latency=0.05))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await api.query("t")
    assert loop.time() - t0 >= 0.05


async def test_stuck_rate_and_stuck_phrase(start: StartApi, clock: ManualClock) -> None:
    api = await start(faults=Faults(stuck_rate=1.0))
    task_id = await api.create_id()
    clock.advance(3 * 3600 / 1000 - 1)
    assert await api.status(task_id) == "RUNNING"
    clock.advance(1.2)
    _, body = await api.query(task_id)
    assert body["output"]["task_status"] == "FAILED" and body["output"]["code"] == "InternalError.Timeout"


@pytest.mark.parametrize(("phrase", "code"), [(REJECT, "DataInspectionFailed"), (FAIL, "InternalError"),
                                               (STUCK, None)])
async def test_task_trigger_phrases(api: Api, clock: ManualClock, phrase: str, code: str | None) -> None:
    task_id = await api.create_id(video_body(f"a cat {phrase} on a mat"))
    clock.advance(10)
    code_, body = await api.query(task_id)
    out = body["output"]
    assert code_ == 200
    if code is None:
        assert out["task_status"] == "RUNNING"
    else:
        assert out["task_status"] == "FAILED" and out["code"] == code and out["message"]
        assert "usage" not in body and "video_url" not in out


@pytest.mark.parametrize(("phrase", "code"), [(REJECT_INPUT, "DataInspectionFailed"),
                                               (IP_INFRINGEMENT, "IPInfringementSuspect"),
                                               (ARREARAGE, "Arrearage")])
async def test_create_trigger_phrases(api: Api, phrase: str, code: str) -> None:
    status, body = await api.create(video_body(f"x {phrase}"))
    assert (status, body["code"]) == (400, code)
    status, body = await api.image(image_body(f"x {phrase}"))
    assert (status, body["code"]) == (400, code)
    assert api.sandbox.stats.tasks_created(KEY) == 0


async def test_sync_image_reject_phrase(api: Api) -> None:
    status, body = await api.image(image_body(f"x {REJECT}"))
    assert (status, body["code"]) == (400, "DataInspectionFailed")


async def test_one_log_line_per_request_without_the_key(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wanbot.sandbox"):
        await api.create()
        await api.query("t")
    lines = [r.getMessage() for r in caplog.records if r.name == "wanbot.sandbox"]
    assert len(lines) == 2
    assert "video.create -> 200" in lines[0] and "task.query -> 200" in lines[1]
    assert all(KEY not in line for line in lines)


async def test_serve_runs_until_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    from sandbox import SandboxConfig

    caplog.set_level(logging.INFO, logger="wanbot.sandbox")
    task = asyncio.create_task(serve("127.0.0.1", 0, SandboxConfig()))
    await until(lambda: "sandbox listening" in caplog.text or task.done(), "the sandbox to listen")
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
