"""``Engine.accept``: the job is stored before anything is posted, and its status message is posted once.

A chat handler acknowledges a command only after ``accept`` returns, so the job must be in the store by
then (another connection sees it) while the status post happens afterwards. A kill between that post and
storing its reference must not leave a second message (or an orphaned first one) behind: a restarted
engine finds the message through ``ChatPort.find_status`` and edits it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from core.dashscope import TaskStatus as S
from core.jobs import CancelOutcome, Job, JobState, Requester
from core.port import ConversationRef, MessageRef, StatusView
from core.request import GenerationRequest
from core.store import JobStore
from tests.engine.conftest import Harness
from tests.fakes.port import RecordingPort

CONV = ConversationRef(platform="test", channel_id="c1", workspace_id="w1")


@dataclass
class GatedPort(RecordingPort):
    """A port whose first posts wait for ``post_gate`` (a slow platform), counting who waits."""

    post_gate: asyncio.Event | None = None
    posting: asyncio.Event = field(default_factory=asyncio.Event)

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        self.posting.set()
        if self.post_gate is not None:
            await self.post_gate.wait()
        return await super().post_status(conversation, view)


def _gated(h: Harness) -> GatedPort:
    port = GatedPort(post_gate=asyncio.Event())
    h.port = port
    return port


async def _accept(h: Harness, prompt: str = "a lighthouse at dusk", user: str = "u1") -> Job:
    assert h.engine is not None
    requester = Requester(platform="test", user_id=user, channel_id="c1", workspace_id="w1")
    return await h.engine.accept(requester, CONV, GenerationRequest.build(prompt=prompt))


def _posts(port: RecordingPort, job_id: str) -> list[MessageRef]:
    return [ref for ref, view in port.posts if view.job_id == job_id]


async def test_accept_stores_the_job_before_the_status_is_posted_then_posts_it_once(harness: Harness) -> None:
    port = _gated(harness)
    await harness.start()
    job = await _accept(harness)
    # Returned, yet nothing was posted: the acknowledgement did not wait for the platform.
    assert _posts(port, job.id) == []
    async with await JobStore.open(harness.db_url) as other:  # as another process (or a restart) sees it
        stored = await other.get(job.id)
    assert stored is not None and stored.state is JobState.QUEUED
    port.post_gate.set()  # type: ignore[union-attr]
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert len(_posts(port, job.id)) == 1
    assert harness.port.refs_used(job.id) == {_posts(port, job.id)[0].message_id}


async def test_a_kill_between_the_post_and_storing_its_reference_is_healed_without_a_second_post(
    harness: Harness,
) -> None:
    # The create waits (no task yet): between the post and the kill nothing else touches the database.
    harness.api.create_gate = asyncio.Event()
    engine = await harness.start()
    assert harness.store is not None
    real_save = harness.store.save

    async def dies_storing_the_reference(job: Job) -> Job:
        if job.status_ref is not None:
            raise ConnectionResetError("the process was killed here")
        return await real_save(job)

    harness.store.save = dies_storing_the_reference  # type: ignore[method-assign]
    job = await _accept(harness)
    await harness.settle(lambda: len(_posts(harness.port, job.id)) == 1)
    await harness.settle()
    await engine.stop(release_leases=False)  # a crash: the lease is left to whoever starts next
    harness.engine = None
    row = await harness.store.get(job.id)
    assert row is not None and row.status_ref is None  # the reference never reached the store
    await harness.store.close()

    harness.api.create_gate = None
    await harness.start()  # the restart finds the message and carries on with it
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    [first] = _posts(harness.port, job.id)
    assert job.id in harness.port.status_find_calls
    assert harness.port.refs_used(job.id) == {first.message_id}  # every edit went to the one message
    assert harness.port.states_shown(job.id)[-1] == "DELIVERED"


async def test_a_state_change_racing_the_first_post_edits_that_message(harness: Harness) -> None:
    harness.config = replace(harness.config, max_in_flight=0)
    port = _gated(harness)
    engine = await harness.start()
    job = await _accept(harness)
    await asyncio.wait_for(port.posting.wait(), 5)  # the first post is under way (and slow)
    cancel = asyncio.create_task(engine.cancel(job.id))
    await harness.settle()  # the cancel waits for the job's lock, held by the post
    port.post_gate.set()  # type: ignore[union-attr]
    assert await asyncio.wait_for(cancel, 5) is CancelOutcome.CANCELLED
    await harness.settle(lambda: "CANCELED" in port.states_shown(job.id))
    [first] = _posts(port, job.id)
    assert port.refs_used(job.id) == {first.message_id}
    assert [v.state for r, v in port.edits if v.job_id == job.id] == ["CANCELED"]
    stored = await engine.store.get(job.id)
    assert stored is not None and stored.status_ref == first and stored.state is JobState.CANCELED


async def test_submit_still_waits_for_the_post(harness: Harness) -> None:
    harness.api.script = (S.PENDING, S.SUCCEEDED)
    await harness.start()
    job = await harness.submit()
    assert len(_posts(harness.port, job.id)) == 1  # submit = accept + the post (+ the pump)
    await harness.finish(job.id)
    assert len(_posts(harness.port, job.id)) == 1
