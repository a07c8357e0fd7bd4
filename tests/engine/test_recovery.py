"""Restart recovery: a fresh engine over the same store resumes every unfinished job from each state.

Each test stores a job as a crashed process would have left it (status message already posted, state
already recorded), starts a new engine, and checks: the same status message is edited, no second
DashScope task, no second upload.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.dashscope import TaskStatus as S
from core.jobs import Job, JobState, Requester
from core.port import ConversationRef, MessageRef, StatusView
from core.request import GenerationRequest
from core.store import JobStore
from tests.engine.conftest import Harness
from tests.fakes.port import RecordingPort

CONV = ConversationRef(platform="test", channel_id="c1", workspace_id="w1")


async def _left_behind(h: Harness, state: JobState, **fields: object) -> Job:
    now = datetime.fromtimestamp(h.clock(), UTC)
    job = Job(
        id=str(fields.pop("id", f"job{state.value.lower()}")),
        requester=Requester(platform="test", user_id="u1", channel_id="c1", workspace_id="w1"),
        conversation=CONV,
        request=GenerationRequest.build(prompt=f"resumed from {state.value}"),
        state=state,
        created_at=now - timedelta(seconds=30),
        state_times={"QUEUED": now - timedelta(seconds=30), state.value: now - timedelta(seconds=10)},
        status_ref=fields.pop("status_ref", MessageRef(CONV, "original-status")),  # type: ignore[arg-type]
        shown_state=fields.pop("shown_state", state.value if state is not JobState.SUBMITTING else "QUEUED"),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    store = await JobStore.open(h.db_url)
    await store.insert(job)
    await store.close()
    return job


def _assert_same_message(h: Harness, job: Job) -> None:
    assert h.port.posts == [], "a resumed job must edit its old status message, not post a new one"
    assert h.port.refs_used(job.id) == {"original-status"}


async def test_resume_queued(harness: Harness) -> None:
    job = await _left_behind(harness, JobState.QUEUED)
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.api.creates) == 1
    _assert_same_message(harness, job)


async def test_resume_submitting_when_the_task_was_created(harness: Harness) -> None:
    # The process died after DashScope accepted the create but before the answer was stored.
    sent = datetime.fromtimestamp(harness.clock(), UTC) - timedelta(seconds=10)
    job = await _left_behind(harness, JobState.SUBMITTING, submit_started_at=sent)
    harness.api.add_task(job.request, created_at=sent.timestamp() + 0.3)
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert harness.api.creates == [], "the task that already exists is adopted, not created again"
    assert done.task_id == "task-1"
    assert harness.api.reconcile_prompts == [job.request.prompt]
    _assert_same_message(harness, job)


async def test_resume_submitting_when_no_task_was_created(harness: Harness) -> None:
    sent = datetime.fromtimestamp(harness.clock(), UTC) - timedelta(seconds=10)
    job = await _left_behind(harness, JobState.SUBMITTING, submit_started_at=sent)
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.api.creates) == 1
    _assert_same_message(harness, job)


async def test_resume_pending_and_running(harness: Harness) -> None:
    jobs = []
    for state in (JobState.PENDING, JobState.RUNNING):
        request = GenerationRequest.build(prompt=state.value)
        task = harness.api.add_task(request, script=(S.RUNNING, S.SUCCEEDED))
        jobs.append(await _left_behind(harness, state, task_id=task.task_id))
    await harness.start()
    for job in jobs:
        done = await harness.finish(job.id)
        assert done.state is JobState.DELIVERED
        assert harness.port.refs_used(job.id) == {"original-status"}
    assert harness.api.creates == [] and len(harness.port.uploads) == 2 and harness.port.posts == []
    # PENDING → RUNNING was a real change; RUNNING → RUNNING was not
    assert harness.port.states_shown(jobs[0].id) == ["RUNNING", "SUCCEEDED", "DELIVERED"]
    assert harness.port.states_shown(jobs[1].id) == ["SUCCEEDED", "DELIVERED"]


async def test_resume_succeeded_but_undelivered(harness: Harness) -> None:
    expires = datetime.fromtimestamp(harness.clock(), UTC) + timedelta(hours=20)
    job = await _left_behind(
        harness, JobState.SUCCEEDED, task_id="task-x", video_url="https://r/x.mp4", video_expires_at=expires
    )
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.port.uploads) == 1
    assert harness.api.creates == [] and harness.api.downloads == 1
    _assert_same_message(harness, job)


async def test_url_that_expired_while_the_bot_was_down_is_reported(harness: Harness) -> None:
    expired = datetime.fromtimestamp(harness.clock(), UTC) - timedelta(minutes=5)
    job = await _left_behind(
        harness, JobState.SUCCEEDED, task_id="task-x", video_url="https://r/x.mp4", video_expires_at=expired
    )
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.EXPIRED and harness.api.downloads == 0
    view = harness.port.edits[-1][1]
    assert view.state == "EXPIRED" and "expired" in (view.detail or "")
    _assert_same_message(harness, job)


async def test_engine_restarted_mid_job_finishes_it_once(harness: Harness) -> None:
    harness.api.script = (S.PENDING,) * 3 + (S.RUNNING,) * 3 + (S.SUCCEEDED,)
    await harness.start()
    job = await harness.submit()
    await harness.settle(lambda: harness.live(job.id).shown_state == "RUNNING")
    await harness.stop()  # the process goes away mid-generation

    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED
    assert len(harness.api.creates) == 1 and len(harness.port.uploads) == 1 and len(harness.port.posts) == 1
    assert harness.port.states_shown(job.id) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]


async def test_terminal_jobs_are_left_alone(harness: Harness) -> None:
    job = await _left_behind(harness, JobState.DELIVERED)
    await harness.start()
    await harness.settle(rounds=20)
    assert harness.port.edits == [] and harness.api.creates == []
    assert harness.engine is not None
    assert (await harness.engine.get(job.id)).state is JobState.DELIVERED  # type: ignore[union-attr]


async def test_an_upload_that_landed_before_the_crash_is_not_repeated(harness: Harness) -> None:
    # The platform took the file, then the process died before storing DELIVERED.
    expires = datetime.fromtimestamp(harness.clock(), UTC) + timedelta(hours=20)
    job = await _left_behind(harness, JobState.SUCCEEDED, task_id="task-x", video_url="https://r/x.mp4",
                             video_expires_at=expires, extra={"upload_started": True})
    from tests.fakes.port import Upload

    harness.port.uploads.append(Upload(CONV, f"wan-{job.id}.mp4", 10, "caption", job.status_ref, b"x" * 10))
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.port.uploads) == 1
    assert harness.port.find_calls == [f"wan-{job.id}.mp4"] and harness.api.downloads == 0


async def test_an_upload_that_never_landed_is_sent_again(harness: Harness) -> None:
    expires = datetime.fromtimestamp(harness.clock(), UTC) + timedelta(hours=20)
    job = await _left_behind(harness, JobState.SUCCEEDED, task_id="task-x", video_url="https://r/x.mp4",
                             video_expires_at=expires, extra={"upload_started": True})
    await harness.start()
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and len(harness.port.uploads) == 1
    assert harness.port.find_calls == [f"wan-{job.id}.mp4"] and harness.api.downloads == 1
    assert done.extra.get("upload_started") is False


class NotConnectedYet(RecordingPort):
    """A platform whose client is still connecting: every call waits for it (as ``DiscordPort`` does)."""

    def __init__(self) -> None:
        super().__init__(platform="test")
        self.connected = asyncio.Event()

    async def post_status(self, conversation: ConversationRef, view: StatusView) -> MessageRef:
        await self.connected.wait()
        return await super().post_status(conversation, view)

    async def find_status(self, conversation: ConversationRef, job_id: str) -> MessageRef | None:
        await self.connected.wait()
        return await super().find_status(conversation, job_id)

    async def edit_status(self, ref: MessageRef, view: StatusView) -> None:
        await self.connected.wait()
        await super().edit_status(ref, view)


async def test_start_does_not_wait_for_a_platform_still_connecting(harness: Harness) -> None:
    # Seen on main: a restart whose queued jobs had no stored message waited in start() for the Discord
    # port (120 s) — and the Discord client is only started after start() returns.
    harness.config = replace(harness.config, max_in_flight=1)
    for i in range(3):
        job = await _left_behind(harness, JobState.QUEUED, id=f"queued{i}", status_ref=None, shown_state=None)
        assert job.status_ref is None
    port = NotConnectedYet()
    harness.port = port
    starting = asyncio.create_task(harness.start())
    await harness.settle(lambda: starting.done(), rounds=50)
    assert starting.done(), "start() waited for the platform to connect"
    port.connected.set()
    await harness.settle(lambda: len({v.job_id for _, v in port.posts}) == 3)
    assert sorted({v.job_id for _, v in port.posts}) == ["queued0", "queued1", "queued2"]
