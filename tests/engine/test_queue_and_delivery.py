"""Queue fairness and positions; delivery with re-encode, link fallback, retries and URL expiry."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from core.dashscope import TaskStatus as S
from core.errors import DownloadError, PlatformError, ResultDenied, ResultExpired, UploadTooLarge
from core.jobs import JobState
from core.scheduler import FairQueue
from tests.engine.conftest import Harness
from tests.fakes.until import until


def test_fair_queue_round_robins_users_and_keeps_each_users_order() -> None:
    q = FairQueue()
    for job in ("a1", "a2", "a3"):
        q.push(job, "alice")
    q.push("b1", "bob")
    q.push("c1", "carol")
    q.push("b2", "bob")
    assert q.order() == ["a1", "b1", "c1", "a2", "b2", "a3"]
    assert q.positions()["b2"] == 5
    popped = [q.pop() for _ in range(6)]
    assert popped == ["a1", "b1", "c1", "a2", "b2", "a3"]
    assert q.pop() is None and len(q) == 0


def test_fair_queue_remove_and_front() -> None:
    q = FairQueue()
    q.push("a1", "alice")
    q.push("a2", "alice")
    q.push("b1", "bob")
    assert q.remove("a1") and not q.remove("a1")
    q.push("a0", "alice", front=True)
    assert q.order() == ["a0", "b1", "a2"]
    assert "a2" in q and q.count_for("alice") == 2


async def test_engine_serves_users_round_robin(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1)
    harness.api.script = (S.PENDING, S.SUCCEEDED)
    harness.api.create_gate = asyncio.Event()
    await harness.start()
    jobs = [await harness.submit(f"alice {i}", user="alice") for i in range(3)]
    jobs.append(await harness.submit("bob 0", user="bob"))
    harness.api.create_gate.set()
    for job in jobs:
        await harness.finish(job.id)
    order = [harness.api.tasks[t].request.prompt for t in harness.api.creates]
    assert order == ["alice 0", "bob 0", "alice 1", "alice 2"]


async def test_queue_positions_are_shown_and_updated_as_the_line_moves(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=1)
    harness.api.script = (S.PENDING, S.RUNNING, S.SUCCEEDED)
    harness.api.create_gate = asyncio.Event()  # "first" holds the only slot until all three are in line
    await harness.start()
    a = await harness.submit("first", user="a")
    b = await harness.submit("second", user="b")
    c = await harness.submit("third", user="c")
    harness.api.create_gate.set()
    for job in (a, b, c):  # (a slot frees when a video is made, so deliveries may finish out of order)
        await harness.finish(job.id)
    shown = [*harness.port.posts, *harness.port.edits]
    lines_c = [v.line for _, v in shown if v.job_id == c.id and v.state == "QUEUED"]
    assert lines_c[0].startswith("position 2")  # behind b (a went straight to DashScope)
    assert lines_c[1].startswith("next in line")
    assert len(lines_c) == 2  # one edit per move, no repeats
    for job in (a, b):
        assert harness.port.states_shown(job.id)[-1] == "DELIVERED"


async def test_oversize_video_is_reencoded_and_the_message_says_so(harness: Harness) -> None:
    harness.port.limit = 1500  # smaller than the 2 KB fake video
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert harness.fitter.calls == [1500]
    [upload] = harness.port.uploads
    assert upload.size <= 1500 and "Re-encoded" in upload.caption
    assert "Re-encoded" in (done.delivery_note or "")
    assert not any((harness.tmp / "work").iterdir())  # temp files removed


async def test_video_that_cannot_fit_is_posted_as_a_link_with_its_expiry(harness: Harness) -> None:
    harness.port.limit = 1500
    harness.fitter.cannot_fit = True
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and harness.port.uploads == []
    view = harness.port.edits[-1][1]
    assert view.link == done.video_url and "Download it before" in (view.detail or "")
    assert not any((harness.tmp / "work").iterdir())


async def test_platform_413_triggers_a_reencode(harness: Harness) -> None:
    harness.port.upload_failures = [UploadTooLarge("too big", http_status=413)]
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.fitter.calls) == 1
    assert len(harness.port.uploads) == 1


async def test_transient_delivery_errors_are_retried_once_each(harness: Harness) -> None:
    harness.api.download_errors = [DownloadError("reset", code="DownloadFailed", retryable=True)]
    harness.port.upload_failures = [PlatformError("502", code="BadGateway", retryable=True)]
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert harness.api.downloads == 3 and len(harness.port.uploads) == 1


async def test_expired_url_is_reported_not_retried_forever(harness: Harness) -> None:
    harness.api.url_ttl = 1  # expires (virtually) right away: the retry backoff outlives it
    harness.api.download_errors = [DownloadError("reset", code="DownloadFailed", retryable=True)]
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.EXPIRED
    assert "expired" in (done.error_message or "")
    assert harness.port.states_shown(job.id)[-1] == "EXPIRED"
    assert harness.port.uploads == []


@pytest.mark.parametrize("refusal", [
    ResultExpired("the link ran out", http_status=403),
    ResultDenied("storage refuses the link", http_status=403),
])
async def test_a_link_storage_refuses_expires_the_job_at_once(harness: Harness, refusal: DownloadError) -> None:
    harness.api.download_errors = [refusal]
    await harness.start()
    job = await harness.submit()
    done = await harness.finish(job.id)
    assert done.state is JobState.EXPIRED and done.error_code == "Expired"
    assert harness.api.downloads == 1 and harness.port.uploads == []  # not retried: only a new task helps


async def test_a_failed_final_edit_is_retried_until_the_message_is_right(harness: Harness) -> None:
    harness.port.fail_edit_once_in = {"DELIVERED"}
    engine = await harness.start()
    job = await harness.submit()
    await harness.finish(job.id)

    async def shown() -> bool:  # housekeeping retries the edit, then records that it is shown
        stored = await engine.store.get(job.id)
        return stored is not None and stored.shown_state == "DELIVERED"

    await until(shown, "the DELIVERED edit recorded as shown", clock=harness.clock)
    assert harness.port.states_shown(job.id)[-1:] == ["DELIVERED"]
    assert harness.port.states_shown(job.id).count("DELIVERED") == 1
