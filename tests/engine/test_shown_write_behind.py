"""What a status message shows (``shown_state``) is written behind (``core.jobbook``): a job's state edits
no longer cost a store write each, yet the store learns what its message shows, and a crash before it
does costs one repeated edit of the same state, never a wrong or a second message."""

from __future__ import annotations

from typing import Any

from core.jobbook import SHOWN_WRITE_BEHIND
from core.jobs import Job, JobState
from tests.engine.conftest import Harness


def _count_saves(harness: Harness) -> list[str]:
    assert harness.store is not None
    saved: list[str] = []
    save = harness.store.save

    async def counting(job: Job, *args: Any, **kwargs: Any) -> Job:
        saved.append(job.state.value)
        return await save(job, *args, **kwargs)

    harness.store.save = counting  # type: ignore[method-assign]
    return saved


async def test_a_video_costs_one_save_per_state_not_one_more_per_edit(harness: Harness) -> None:
    engine = await harness.start()
    saved = _count_saves(harness)
    job = await harness.submit()
    await harness.finish(job.id)
    await harness.settle(lambda: harness.live(job.id).shown_state == "DELIVERED")
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]
    # The first post's reference (1), PENDING, RUNNING, SUCCEEDED, the delivery's two marks and DELIVERED:
    # 7. Before, each of the four later edits stored its shown_state too: 11.
    assert len(saved) == 7, saved
    assert harness.store is not None
    stored = await harness.store.get(job.id)
    assert stored is not None and stored.shown_state == "SUCCEEDED"  # the last edit is not written yet
    await harness.settle(lambda: engine.book._flusher is not None and engine.book._flusher.done())
    stored = await harness.store.get(job.id)
    assert stored is not None and stored.shown_state == "DELIVERED"
    assert stored.version == harness.live(job.id).version  # written without moving the row's version
    assert len(saved) == 7  # (and not by a save)
    assert SHOWN_WRITE_BEHIND > 0


async def test_a_crash_before_the_write_behind_repeats_the_last_edit_once_after_the_restart(
        harness: Harness) -> None:
    await harness.start()
    job = await harness.submit()
    await harness.finish(job.id)
    await harness.settle(lambda: harness.live(job.id).shown_state == "DELIVERED")
    assert harness.engine is not None
    await harness.engine.stop(release_leases=False)  # a crash: nothing more is written
    harness.engine = None
    assert harness.store is not None
    stored = await harness.store.get(job.id)
    assert stored is not None and stored.state is JobState.DELIVERED and stored.shown_state == "SUCCEEDED"
    await harness.store.close()
    harness.store = None
    harness.clock.advance(3600)  # the dead process's leases run out

    engine = await harness.start()
    await harness.settle(lambda: (engine.peek(job.id) is None or harness.live(job.id).shown_state == "DELIVERED")
                         and harness.port.states_shown(job.id).count("DELIVERED") == 2)
    # The same message, edited once more to what it already showed: no second post, nothing else.
    assert len(harness.port.refs_used(job.id)) == 1
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED",
                                                 "DELIVERED"]
    await engine.book.flush_shown()
    stored = await harness.store.get(job.id) if harness.store else None
    assert stored is not None and stored.shown_state == "DELIVERED"
