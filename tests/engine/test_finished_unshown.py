"""A job that ended while its status message was behind (a kill between storing the end and the edit).

Terminal jobs are not "unfinished", so a restart used to leave their message as it was: a stale "Queued"
with a live Cancel button for a job that had failed (found by the chaos test, seed 40). A restarted
engine must bring every recently finished job's message up to date, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import DashScopeError, PlatformError
from core.jobs import JobState
from core.port import MessageRef, StatusView
from tests.engine.conftest import Harness
from tests.fakes.port import RecordingPort


@dataclass
class DownForFinalEdits(RecordingPort):
    """A platform that refuses every edit to a finished state while ``down`` (the process "dies" there)."""

    down: bool = True

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        if self.down and view.terminal:
            raise PlatformError("connection reset", code="Reset", retryable=True)
        await super().edit_status(ref, view)


async def test_a_restart_shows_the_end_of_a_job_whose_final_edit_never_happened(harness: Harness) -> None:
    port = DownForFinalEdits()
    harness.port = port
    harness.api.create_errors = [DashScopeError("inappropriate", code="DataInspectionFailed", http_status=400)]
    await harness.start()
    job = await harness.submit("a prompt the moderation refuses")
    assert harness.store is not None
    await harness.settle(lambda: harness.engine is not None and harness.engine.peek(job.id) is not None
                         and harness.engine.peek(job.id).state is JobState.FAILED)  # type: ignore[union-attr]
    assert port.states_shown(job.id) == ["QUEUED"]  # the message still says "Queued", with its Cancel button
    assert harness.engine is not None
    await harness.engine.stop(release_leases=False)  # killed before housekeeping retried the edit
    harness.engine = None
    await harness.store.close()
    harness.store = None

    port.down = False
    await harness.start()
    await harness.settle(lambda: port.states_shown(job.id)[-1] == "FAILED")
    assert port.states_shown(job.id) == ["QUEUED", "FAILED"]
    assert len(port.posts) == 1  # the same message, edited
    await harness.settle()
    assert port.states_shown(job.id) == ["QUEUED", "FAILED"]  # and only once


async def test_finished_jobs_already_shown_are_left_alone_on_restart(harness: Harness) -> None:
    await harness.start()
    job = await harness.submit()
    await harness.finish(job.id)
    engine = harness.engine
    assert engine is not None
    await harness.settle(lambda: (engine.peek(job.id) or job).shown_state == "DELIVERED")  # edited and stored
    shown = harness.port.states_shown(job.id)
    await harness.stop()
    await harness.start()
    await harness.settle()
    assert harness.port.states_shown(job.id) == shown
