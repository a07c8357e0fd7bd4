"""Images are engine jobs: stored, queued, capped, budgeted, delivered once, counted in usage.

The scripted DashScope here answers image tasks like the documented async endpoint (a finished task
carries N image links); the sandbox-backed test at the bottom runs the real client end to end.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.budget import parse_budgets
from core.dashscope import TaskStatus as S
from core.errors import PlatformError, QuotaExceeded
from core.jobs import CancelOutcome, Job, JobState, Requester
from core.port import ConversationRef, MessageRef
from core.request import GenerationRequest, ImageRequest
from core.store import JobStore
from tests.engine.conftest import Harness

REQUESTER = Requester(platform="test", user_id="u1", channel_id="c1", workspace_id="w1")
CONV = ConversationRef(platform="test", channel_id="c1", workspace_id="w1")


async def submit_image(h: Harness, prompt: str = "a mountain lake at sunrise", user: str = "u1",
                       **fields: Any) -> Job:
    assert h.engine is not None
    return await h.engine.submit(replace(REQUESTER, user_id=user), CONV, ImageRequest.build(prompt=prompt, **fields))


async def submit_video(h: Harness, user: str = "u1", **fields: Any) -> Job:
    assert h.engine is not None
    return await h.engine.submit(replace(REQUESTER, user_id=user), CONV,
                                 GenerationRequest.build(prompt="a lighthouse at dusk", **fields))


async def test_an_image_job_runs_end_to_end(harness: Harness) -> None:
    await harness.start()
    job = await submit_image(harness, n=2, seed=7)
    assert job.request.kind == "image" and job.reserved_seconds == 0.0
    assert job.reserved_cost == Decimal("0.40")  # wan2.7-image ¥0.2 × 2
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert [r.n for r in harness.api.image_creates] == [2] and len(harness.api.creates) == 1
    assert done.cost == Decimal("0.40") and len(done.image_urls) == 2 and done.billed_seconds is None
    # One message carrying both PNGs, a reply to the one status message.
    [(ref, names, caption, reply_to)] = harness.port.image_messages
    assert names == [f"wan-{job.id}-1.png", f"wan-{job.id}-2.png"]
    assert reply_to == done.status_ref and done.delivered_ref == ref
    assert job.id in caption and "2 image(s)" in caption
    assert all(u.content.startswith(b"\x89PNG") for u in harness.port.uploads)
    # One status message, edited at each transition.
    assert len(harness.port.posts) == 1
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]
    view = harness.port.edits[-1][1]
    fields = {f.name: f.value for f in view.fields}
    assert fields == {"Model": "wan2.7-image", "Size": "2K", "Images": "2", "Seed": "7", "Cost": "¥0.40",
                      "Job": job.id}
    assert view.actions == ("reroll", "remix", "animate", "delete")
    assert view.title.startswith("🖼️")


async def test_an_image_job_survives_a_store_round_trip(harness: Harness) -> None:
    engine = await harness.start()
    job = await submit_image(harness, n=3, model="wan2.7-image-pro", size="4K", watermark=True)
    await harness.finish(job.id)
    await harness.settle(lambda: (engine.peek(job.id) or job).shown_state == "DELIVERED")
    await engine.book.flush_shown()  # what the last edit shows is written behind (``core.jobbook``)
    assert harness.store is not None
    stored = await harness.store.get(job.id)
    # Lease renewals move only the row's lease (core.store.jobstore.save): compare the rest.
    live = engine.peek(job.id)
    assert stored is not None and live is not None and isinstance(stored.request, ImageRequest)
    assert stored.evolve(lease_until=None) == live.evolve(lease_until=None)
    assert stored.request.size == "4K" and stored.request.watermark is True and len(stored.image_urls) == 3


async def test_the_observed_20_yuan_on_a_6_yuan_budget_is_refused(harness: Harness) -> None:
    # Reported: 10 × `/wan image --n 4 --model wan2.7-image-pro --size 4K` spent ≈ ¥20 on a ¥6 budget.
    harness.config = replace(harness.config, budgets=parse_budgets("workspace:month=¥6"), per_user_cap=20)
    await harness.start()
    refusals: list[QuotaExceeded] = []
    for _ in range(10):
        try:
            job = await submit_image(harness, n=4, model="wan2.7-image-pro", size="4K")
        except QuotaExceeded as exc:
            refusals.append(exc)
        else:
            await harness.finish(job.id)
    assert len(harness.api.image_creates) == 3, "¥2 each: three fit in ¥6, nothing more is sent"
    assert len(refusals) == 7 and {r.code for r in refusals} == {"Budget"}
    assert harness.store is not None
    usage = await harness.store.usage(since=datetime(2000, 1, 1, tzinfo=UTC), platform="test", workspace_id="w1")
    assert usage.cost == Decimal("6.00") and usage.images == 12
    # The same sentence a video needing the same ¥2 gets (wan2.7-t2v 1080P, 2 s).
    with pytest.raises(QuotaExceeded) as video:
        await submit_video(harness, resolution="1080P", duration=2)
    assert video.value.message == refusals[-1].message and video.value.code == "Budget"
    assert len(harness.api.creates) == 3


async def test_budget_reservations_of_images_and_videos_add_up(harness: Harness) -> None:
    harness.config = replace(harness.config, budgets=parse_budgets("user:day=¥5"), per_user_cap=10)
    harness.api.create_gate = asyncio.Event()  # nothing is billed yet: reservations alone must count
    await harness.start()
    await submit_video(harness, duration=5)  # ¥3.00 reserved
    await submit_image(harness, n=4, model="wan2.7-image-pro")  # ¥2.00 reserved: exactly ¥5
    with pytest.raises(QuotaExceeded):
        await submit_image(harness, n=1)
    assert harness.api.image_creates == [] and harness.api.creates == []


async def test_the_per_user_cap_counts_images_and_videos_together(harness: Harness) -> None:
    harness.api.create_gate = asyncio.Event()
    await harness.start()
    await submit_video(harness)
    await submit_image(harness)
    await submit_image(harness)
    for attempt in (submit_image, submit_video):
        with pytest.raises(QuotaExceeded) as refused:
            await attempt(harness)
        assert refused.value.code == "UserCap" and "3" in refused.value.message
    await submit_image(harness, user="u2")  # someone else is not held up


async def test_the_cooldown_counts_images_and_videos_together(harness: Harness) -> None:
    harness.config = replace(harness.config, cooldown=30.0)
    await harness.start()
    await submit_video(harness)
    with pytest.raises(QuotaExceeded) as refused:
        await submit_image(harness)
    assert refused.value.code == "Cooldown"
    harness.clock.advance(31)
    job = await submit_image(harness)
    with pytest.raises(QuotaExceeded) as again:
        await submit_video(harness)
    assert again.value.code == "Cooldown"
    assert (await harness.finish(job.id)).state is JobState.DELIVERED


async def test_usage_counts_images_actually_returned(harness: Harness) -> None:
    await harness.start()
    video = await submit_video(harness, duration=5)
    await harness.finish(video.id)
    harness.api.images_returned = 2  # asked for 4, DashScope returned 2: billed for 2
    job = await submit_image(harness, n=4)
    done = await harness.finish(job.id)
    assert done.cost == Decimal("0.40") and len(done.image_urls) == 2
    assert harness.store is not None
    usage = await harness.store.usage(since=datetime(2000, 1, 1, tzinfo=UTC), platform="test",
                                      workspace_id="w1", user_id="u1")
    assert (usage.jobs, usage.images, usage.billed_seconds) == (2, 2, 5.0)
    assert usage.cost == Decimal("3.00") + Decimal("0.40")


async def test_a_task_with_no_image_fails_and_bills_nothing(harness: Harness) -> None:
    harness.api.images_returned = 0
    await harness.start()
    job = await submit_image(harness)
    done = await harness.finish(job.id)
    assert done.state is JobState.FAILED and done.error_code == "NoImage" and done.cost is None
    assert harness.port.uploads == []
    assert harness.store is not None
    usage = await harness.store.usage(since=datetime(2000, 1, 1, tzinfo=UTC), platform="test", workspace_id="w1")
    assert (usage.jobs, usage.images, usage.cost) == (0, 0, Decimal(0))


async def test_images_over_the_upload_limit_are_posted_as_links(harness: Harness) -> None:
    size = len(harness.api.image)
    harness.port.limit = size + size // 2  # the first image fits, the second does not
    await harness.start()
    job = await submit_image(harness, n=2)
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    [(_, names, caption, _)] = harness.port.image_messages
    assert names == [f"wan-{job.id}-1.png"]
    assert done.image_urls[1] in caption and done.image_urls[0] not in caption
    assert done.delivery_note is not None and done.image_urls[1] in done.delivery_note


async def test_images_that_do_not_fit_at_all_are_all_links(harness: Harness) -> None:
    harness.port.limit = 10
    await harness.start()
    job = await submit_image(harness, n=2)
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and done.extra["link_only"] is True
    assert harness.port.uploads == [] and done.delivered_ref is None
    assert done.delivery_note is not None and all(u in done.delivery_note for u in done.image_urls)
    assert harness.port.edits[-1][1].detail == done.delivery_note


async def test_images_the_platform_refuses_as_too_large_are_links(harness: Harness) -> None:
    harness.port.upload_failures.append(PlatformError("too big", code="TooLarge", http_status=413))
    await harness.start()
    job = await submit_image(harness, n=1)
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and done.extra["link_only"] is True
    assert done.delivery_note is not None and done.image_urls[0] in done.delivery_note


async def test_a_queued_image_job_can_be_cancelled(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1)
    harness.api.create_gate = asyncio.Event()
    engine = await harness.start()
    await submit_video(harness)
    job = await submit_image(harness)
    assert await engine.cancel(job.id) is CancelOutcome.CANCELLED
    assert (await engine.get(job.id)).state is JobState.CANCELED  # type: ignore[union-attr]
    assert harness.api.image_creates == []


# -- crash recovery -------------------------------------------------------------------------------------


async def _left_behind(h: Harness, state: JobState, **fields: Any) -> Job:
    now = datetime.fromtimestamp(h.clock(), UTC)
    job = Job(
        id=f"img{state.value.lower()}",
        requester=REQUESTER,
        conversation=CONV,
        request=ImageRequest.build(prompt=f"resumed from {state.value}", n=2),
        state=state,
        created_at=now - timedelta(seconds=30),
        state_times={"QUEUED": now - timedelta(seconds=30), state.value: now - timedelta(seconds=10)},
        status_ref=MessageRef(CONV, "original-status"),
        shown_state=state.value,
        reserved_seconds=0.0,
        reserved_cost=Decimal("0.40"),
        **fields,
    )
    store = await JobStore.open(h.db_url)
    await store.insert(job)
    await store.close()
    return job


async def test_restart_in_pending_delivers_once(harness: Harness) -> None:
    request = ImageRequest.build(prompt="resumed from PENDING", n=2)
    task = harness.api.add_task(request, script=(S.PENDING, S.RUNNING, S.SUCCEEDED))
    job = await _left_behind(harness, JobState.PENDING, task_id=task.task_id)
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and done.cost == Decimal("0.40")
    assert harness.api.creates == [], "the task that exists is watched, never created again"
    assert len(harness.port.image_messages) == 1 and harness.port.posts == []
    assert harness.port.refs_used(job.id) == {"original-status"}


async def test_restart_in_succeeded_after_the_upload_landed_uploads_nothing(harness: Harness) -> None:
    expires = datetime.fromtimestamp(harness.clock(), UTC) + timedelta(hours=20)
    urls = ("https://results.example/x-0.png", "https://results.example/x-1.png")
    job = await _left_behind(harness, JobState.SUCCEEDED, task_id="task-x", image_urls=urls,
                             video_expires_at=expires, cost=Decimal("0.40"), extra={"upload_started": True})
    from tests.fakes.port import Upload

    for name in (f"wan-{job.id}-1.png", f"wan-{job.id}-2.png"):
        harness.port.uploads.append(Upload(CONV, name, 10, "caption", job.status_ref, b"x" * 10))
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.port.uploads) == 2
    assert harness.port.find_calls == [f"wan-{job.id}-1.png"] and harness.api.downloads == 0
    assert harness.api.creates == []


async def test_restart_in_succeeded_before_the_upload_delivers_once(harness: Harness) -> None:
    expires = datetime.fromtimestamp(harness.clock(), UTC) + timedelta(hours=20)
    urls = ("https://results.example/x-0.png", "https://results.example/x-1.png")
    job = await _left_behind(harness, JobState.SUCCEEDED, task_id="task-x", image_urls=urls,
                             video_expires_at=expires, cost=Decimal("0.40"), extra={"upload_started": True})
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.port.image_messages) == 1
    assert harness.api.downloads == 2 and harness.api.creates == []
    assert harness.port.refs_used(job.id) == {"original-status"}


async def test_an_engine_stopped_mid_image_job_finishes_it_once(harness: Harness) -> None:
    harness.api.script = (S.PENDING,) * 3 + (S.RUNNING,) * 3 + (S.SUCCEEDED,)
    engine = await harness.start()
    job = await submit_image(harness, n=3)
    await harness.settle(lambda: (engine.peek(job.id) or job).shown_state == "PENDING")
    await harness.stop()  # gone while DashScope is still working on it

    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert len(harness.api.image_creates) == 1 and len(harness.port.image_messages) == 1
    assert len(harness.port.posts) == 1
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]


async def test_image_links_that_expired_while_the_bot_was_down_are_reported(harness: Harness) -> None:
    expired = datetime.fromtimestamp(harness.clock(), UTC) - timedelta(minutes=5)
    job = await _left_behind(harness, JobState.SUCCEEDED, task_id="task-x", image_urls=("https://r/a.png",),
                             video_expires_at=expired, cost=Decimal("0.20"))
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.EXPIRED and harness.api.downloads == 0
    assert done.error_message is not None and "image links expired" in done.error_message
