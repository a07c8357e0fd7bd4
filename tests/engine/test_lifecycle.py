"""A job's life through the engine: one status edit per transition, failures, cancel, caps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.dashscope import TaskStatus as S
from core.errors import CooldownActive, DashScopeError, DashScopeRateLimited, UserCapReached
from core.jobs import CancelOutcome, JobState
from core.messages import Messages
from tests.engine.conftest import Harness


async def test_happy_path_shows_each_state_once_and_uploads_the_video(harness: Harness) -> None:
    harness.api.script = (S.PENDING, S.PENDING, S.RUNNING, S.RUNNING, S.RUNNING, S.SUCCEEDED)
    await harness.start()
    job = await harness.submit(duration=5)
    done = await harness.finish(job.id)

    assert done.state is JobState.DELIVERED
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]
    assert len(harness.port.posts) == 1 and harness.port.refs_used(job.id) == {"m1"}
    [upload] = harness.port.uploads
    assert upload.size == len(harness.api.video) and upload.content == harness.api.video
    assert upload.reply_to == done.status_ref
    assert job.id in upload.caption
    assert done.billed_seconds == 5 and str(done.cost) == "3.00"  # 720P at ¥0.6/s
    assert len(harness.api.creates) == 1
    # every state has a timestamp, in order
    times = [done.state_times[s] for s in ("QUEUED", "SUBMITTING", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED")]
    assert times == sorted(times)
    # the final view offers the follow-up buttons
    final_view = harness.port.edits[-1][1]
    assert final_view.terminal and "reroll" in final_view.actions and "upscale" in final_view.actions


async def test_no_edit_when_nothing_changed(harness: Harness) -> None:
    harness.api.script = (S.PENDING,) * 5 + (S.RUNNING,) * 30 + (S.SUCCEEDED,)
    await harness.start()
    job = await harness.submit()
    await harness.finish(job.id)
    assert harness.port.states_shown(job.id).count("RUNNING") == 1
    assert harness.port.states_shown(job.id).count("PENDING") == 1
    assert harness.api.tasks[harness.api.creates[0]].queries == 36


async def test_content_filter_failure_is_explained(harness: Harness) -> None:
    harness.api.script = (S.PENDING, S.FAILED)
    harness.api.fail_code = "DataInspectionFailed"
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "DataInspectionFailed"
    assert "content filter" in (done.error_message or "")
    assert harness.port.states_shown(job.id)[-1] == "FAILED"
    assert "content filter" in (harness.port.edits[-1][1].detail or "")
    assert harness.port.uploads == []


async def test_unknown_task_is_terminal(harness: Harness) -> None:
    harness.api.script = (S.PENDING, S.UNKNOWN)
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "UnknownTask"


async def test_task_that_never_finishes_is_abandoned_after_the_timeout(harness: Harness) -> None:
    harness.config = replace(harness.config, task_timeout=60)
    harness.api.script = (S.RUNNING,) * 10_000
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "Timeout"
    assert harness.api.tasks[harness.api.creates[0]].queries < 200


async def test_busy_create_goes_back_in_line_then_runs(harness: Harness) -> None:
    harness.api.create_errors = [DashScopeRateLimited("busy", code="Throttling.RateQuota", http_status=429)]
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert len(harness.api.creates) == 1
    assert harness.port.states_shown(job.id).count("QUEUED") == 1


async def test_a_rejected_key_fails_with_a_neutral_sentence_the_admins_get_the_detail(harness: Harness) -> None:
    """Issue 13: a key problem is the operator's, not the requester's (``core.admin_route`` tells admins)."""
    harness.api.create_errors = [DashScopeError("bad key", code="InvalidApiKey", http_status=401)]
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "InvalidApiKey"
    assert done.error_message == Messages()("error.operator")


async def test_transient_query_errors_never_give_up(harness: Harness) -> None:
    from core.errors import DashScopeServerError, TransportError

    harness.api.get_errors = [
        DashScopeRateLimited("slow down", code="Throttling", http_status=429),
        DashScopeServerError("oops", code="InternalError", http_status=500),
        TransportError("reset", ambiguous=False),
    ] * 4
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert harness.api.get_errors == []


async def test_cancel_while_queued_and_while_pending(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1)
    harness.api.script = (S.PENDING,) * 1_000_000
    engine = await harness.start()
    first = await harness.submit(user="a")
    second = await harness.submit(user="b")
    await harness.settle(lambda: harness.api.creates != [])

    assert await engine.cancel(second.id) is CancelOutcome.CANCELLED
    assert (await engine.get(second.id)).state is JobState.CANCELED  # type: ignore[union-attr]
    await harness.settle(lambda: harness.live(first.id).state is JobState.PENDING)
    assert await engine.cancel(first.id) is CancelOutcome.CANCELLED
    done = await harness.finish(first.id)
    assert done.state is JobState.CANCELED
    assert harness.api.tasks[harness.api.creates[0]].canceled
    assert len(harness.api.creates) == 1  # the cancelled queued job never reached DashScope


async def test_cancel_after_generation_started_is_refused(harness: Harness) -> None:
    harness.api.script = (S.RUNNING,) * 50 + (S.SUCCEEDED,)
    engine = await harness.start()
    job = await harness.submit()
    await harness.settle(lambda: harness.live(job.id).state is JobState.RUNNING)
    assert await engine.cancel(job.id) is CancelOutcome.TOO_LATE
    assert (await harness.finish(job.id)).state is JobState.DELIVERED


async def test_per_user_cap_refuses_and_stores_nothing(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1, per_user_cap=2)
    harness.api.script = (S.PENDING,) * 1000
    await harness.start()
    await harness.submit(user="a")
    await harness.submit(user="a")
    with pytest.raises(UserCapReached) as refused:
        await harness.submit(user="a")
    assert "limit is 2" in refused.value.message and refused.value.code == "UserCap"
    assert harness.store is not None
    assert await harness.store.count_active_for_user("test", "w1", "a") == 2
    await harness.submit(user="b")  # someone else is not affected


async def test_cooldown_says_when_to_try_again(harness: Harness) -> None:
    # (virtual time moves while real store I/O runs, so the cooldown is long enough not to lapse meanwhile)
    harness.config = replace(harness.config, cooldown=3600)
    harness.api.script = (S.PENDING,) * 1000
    await harness.start()
    await harness.submit(user="a")
    with pytest.raises(CooldownActive) as refused:
        await harness.submit(user="a")
    assert refused.value.code == "Cooldown" and 0 < (refused.value.retry_after or 0) <= 3600
    assert "try again in" in refused.value.message
    await harness.submit(user="b")
    harness.clock.advance(3601)
    await harness.submit(user="a")
