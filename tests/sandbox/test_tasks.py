"""Task timing, the state machine, cancel rules and UNKNOWN — driven by a manual clock."""

from __future__ import annotations

import random
import statistics

import pytest

from core.catalogue import Family
from sandbox import Limits, ManualClock
from sandbox.clock import dashscope_time
from sandbox.tasks import MIN_TOTAL_SECONDS, plan_seconds
from sandbox.validation import VideoJob
from tests.fakes.until import until
from tests.sandbox.conftest import Api, StartApi, video_body


def job(model: str = "wan2.7-t2v", resolution: str = "720P", duration: int = 5) -> VideoJob:
    return VideoJob(model=model, family=Family.WAN27_T2V, resolution=resolution, ratio="16:9", width=1280,
                    height=720, duration=duration, prompt="p", negative_prompt=None, prompt_extend=True,
                    watermark=False, seed=None, audio=False, shot_type=None)


def runs(j: VideoJob, n: int = 300) -> list[float]:
    rng = random.Random(1)
    return [plan_seconds(j, rng)[1] for _ in range(n)]


def test_720p_5s_runs_70_to_140_seconds() -> None:
    r = runs(job())
    assert min(r) >= 70 and max(r) <= 140
    assert 95 <= statistics.mean(r) <= 115


def test_queue_then_total_is_one_to_five_minutes_for_common_clips() -> None:
    rng = random.Random(2)
    for model, res, dur in [("wan2.7-t2v", "720P", 5), ("wan2.1-t2v-turbo", "480P", 5),
                            ("wan2.6-t2v", "1080P", 5), ("wan2.7-t2v", "720P", 10)]:
        for _ in range(50):
            queue, run = plan_seconds(job(model, res, dur), rng)
            assert 3 <= queue <= 12
            assert MIN_TOTAL_SECONDS <= queue + run <= 300, (model, res, dur)


def test_1080p_and_long_clips_take_longer() -> None:
    base = statistics.mean(runs(job()))
    assert statistics.mean(runs(job(resolution="1080P"))) > 1.5 * base
    assert statistics.mean(runs(job(duration=15))) > 2 * base
    assert max(runs(job(resolution="1080P", duration=15))) > 300  # past five minutes


async def test_state_machine_at_speed_1(start: StartApi, clock: ManualClock) -> None:
    api = await start(speed=1)
    t0 = clock()
    task_id = await api.create_id()
    task = api.sandbox.task(task_id)
    assert task is not None
    assert 3 <= task.scheduled - t0 <= 12
    assert 70 <= task.finished - task.scheduled <= 140
    assert await api.status(task_id) == "PENDING"
    clock.set(task.scheduled + 0.01)
    code, body = await api.query(task_id)
    assert body["output"]["task_status"] == "RUNNING"
    assert body["output"]["scheduled_time"] == dashscope_time(task.scheduled)
    assert "end_time" not in body["output"] and "usage" not in body
    clock.set(task.finished - 0.01)
    assert await api.status(task_id) == "RUNNING"
    clock.set(task.finished)
    code, body = await api.query(task_id)
    out = body["output"]
    assert code == 200 and out["task_status"] == "SUCCEEDED"
    assert set(out) == {"task_id", "task_status", "submit_time", "scheduled_time", "end_time",
                        "orig_prompt", "video_url"}
    assert out["submit_time"] == dashscope_time(t0)
    assert body["usage"] == {"duration": 5, "input_video_duration": 0, "output_video_duration": 5,
                             "video_count": 1, "SR": 720, "ratio": "16:9"}


@pytest.mark.parametrize("speed", [10, 1000])
async def test_speed_divides_durations(start: StartApi, clock: ManualClock, speed: int) -> None:
    api = await start(speed=speed)
    t0 = clock()
    task = api.sandbox.task(await api.create_id())
    assert task is not None
    total = task.finished - t0
    assert (MIN_TOTAL_SECONDS / speed) <= total <= (152 / speed)
    clock.advance(152 / speed)
    assert await api.status(task.task_id) == "SUCCEEDED"


async def test_real_clock_high_speed_finishes_quickly(start: StartApi) -> None:
    api = await start(real_clock=True, speed=5000)
    task_id = await api.create_id()

    async def succeeded() -> bool:
        return await api.status(task_id) == "SUCCEEDED"

    await until(succeeded, "the task to succeed on the real clock", poll=0.01)


async def test_legacy_model_success_shape(api: Api, clock: ManualClock) -> None:
    task_id = await api.create_id(video_body(model="wan2.6-t2v", size="1280*720", duration=10,
                                             shot_type="multi"))
    clock.advance(60)
    _, body = await api.query(task_id)
    out = body["output"]
    assert out["task_status"] == "SUCCEEDED" and out["video_url"].startswith("http://127.0.0.1:")
    assert out["task_metrics"] == {"TOTAL": 1, "SUCCEEDED": 1, "FAILED": 0}
    assert body["usage"] == {"video_count": 1, "video_duration": 10, "video_ratio": "1280*720"}


async def test_cancel_pending_only(api: Api, clock: ManualClock) -> None:
    task_id = await api.create_id()
    code, body = await api.cancel(task_id)
    assert code == 200 and set(body) == {"request_id"}
    _, body = await api.query(task_id)
    assert body["output"]["task_status"] == "CANCELED" and "end_time" in body["output"]
    clock.advance(60)
    assert await api.status(task_id) == "CANCELED"  # stays canceled
    code, body = await api.cancel(task_id)
    assert code == 400 and body["code"] == "UnsupportedOperation"

    running = await api.create_id()
    task = api.sandbox.task(running)
    assert task is not None
    clock.set(task.scheduled + 0.001)
    code, body = await api.cancel(running)
    assert (code, body["code"]) == (400, "UnsupportedOperation")
    assert set(body) == {"request_id", "code", "message"}
    code, body = await api.cancel("0b4b3c3e-1111-4222-8333-944445555666")
    assert (code, body["code"]) == (400, "UnsupportedOperation")


async def test_canceled_task_frees_in_flight_slot(start: StartApi) -> None:
    api = await start(limits=api_limits(tasks_in_flight=1))
    first = await api.create_id()
    assert (await api.create())[0] == 429
    await api.cancel(first)
    assert (await api.create())[0] == 200


def api_limits(**kw: int) -> Limits:
    return Limits(**{"submissions_per_second": 0, "queries_per_second": 0, **kw})


async def test_unknown_id_is_http_200_unknown(api: Api) -> None:
    code, body = await api.query("6a1c0e0e-0000-4000-8000-000000000000")
    assert code == 200
    assert body["output"] == {"task_id": "6a1c0e0e-0000-4000-8000-000000000000", "task_status": "UNKNOWN"}
    assert "request_id" in body


async def test_task_expires_after_24h_scaled(api: Api, clock: ManualClock) -> None:
    task_id = await api.create_id()
    clock.advance(24 * 3600 / 1000 - 1)
    assert await api.status(task_id) == "SUCCEEDED"
    clock.advance(1.01)
    assert await api.status(task_id) == "UNKNOWN"


async def test_other_keys_tasks_are_unknown(start: StartApi) -> None:
    api = await start(api_key=None)
    task_id = await api.create_id()
    assert await api.status(task_id) == "PENDING"
    assert await api.status(task_id, key="sk-someone-else") == "UNKNOWN"


async def test_request_ids_are_uuid4(api: Api) -> None:
    import uuid

    _, body = await api.create()
    assert uuid.UUID(body["request_id"]).version == 4
    assert uuid.UUID(body["output"]["task_id"]).version == 4


async def test_legacy_prompt_extend_reports_a_rewrite_as_actual_prompt(api: Api, clock: ManualClock) -> None:
    # The vendor's wan2.x reference: ``output.actual_prompt`` is "the prompt used after intelligent rewriting",
    # returned only with prompt_extend on; ``orig_prompt`` stays the prompt as sent.
    prompt = "a lighthouse at dusk, waves on rocks"
    on = await api.create_id(video_body(prompt=prompt, model="wan2.6-t2v", size="1280*720", duration=5))
    off = await api.create_id(video_body(prompt=prompt, model="wan2.6-t2v", size="1280*720", duration=5,
                                         prompt_extend=False))
    clock.advance(1)  # speed 1000: done well within a second, still known (ttl 86 s)
    _, body = await api.query(on)
    out = body["output"]
    assert out["orig_prompt"] == prompt
    assert out["actual_prompt"].startswith(prompt) and len(out["actual_prompt"]) > len(prompt)
    _, body = await api.query(off)
    assert body["output"]["orig_prompt"] == prompt and "actual_prompt" not in body["output"]


async def test_wan27_answers_carry_no_actual_prompt(api: Api, clock: ManualClock) -> None:
    # Seed 002: both wan2.7-t2v answers of a prompt_extend=True call carry orig_prompt and no actual_prompt.
    task_id = await api.create_id(video_body(model="wan2.7-t2v", resolution="720P", ratio="16:9", duration=5,
                                             prompt_extend=True))
    clock.advance(1)  # speed 1000: done well within a second, still known (ttl 86 s)
    _, body = await api.query(task_id)
    assert "orig_prompt" in body["output"] and "actual_prompt" not in body["output"]
