"""``store.archive`` (issue 13) on SQLite and PostgreSQL: the archive rows survive a restart, the retention
read is oldest first, and ``delivered_here`` — what ``/wan history`` lists — is scoped to one channel of one
workspace, filters by person and by prompt text (case-insensitively), and is newest first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect

from core.jobs import Job, JobState, Requester
from core.port import ConversationRef
from core.request import GenerationRequest
from core.store import JobStore
from core.store.archive import ArchiveEntry
from core.store.schema import archive
from tests.store.test_store import T0, make_job


def _entry(job_id: str, key: str, hours: float = 0) -> ArchiveEntry:
    return ArchiveEntry(job_id=job_id, key=key, backend="local", size=5, sha256="ab" * 32,
                        content_type="video/mp4", archived_at=T0 + timedelta(hours=hours))


async def test_archive_rows_survive_a_restart_and_are_read_oldest_first(db_url: str) -> None:
    async with await JobStore.open(db_url) as store:
        assert await store.archive.record(_entry("jobaaaa1", "jobaaaa1.mp4", hours=2))
        assert await store.archive.record(_entry("jobbbbb2", "jobbbbb2-1.png", hours=1))
        assert await store.archive.record(_entry("jobbbbb2", "jobbbbb2-2.png", hours=1))
        assert not await store.archive.record(_entry("jobaaaa1", "jobaaaa1.mp4", hours=3))  # recorded once
    async with await JobStore.open(db_url) as store:  # a restart: a new process on the same database
        found = await store.archive.for_jobs(["jobaaaa1", "jobbbbb2", "nothing1"])
        assert [e.key for e in found["jobaaaa1"]] == ["jobaaaa1.mp4"]
        assert found["jobaaaa1"][0].archived_at == T0 + timedelta(hours=2)
        assert [e.key for e in found["jobbbbb2"]] == ["jobbbbb2-1.png", "jobbbbb2-2.png"]
        old = await store.archive.older_than(T0 + timedelta(hours=1, minutes=30))
        assert [e.key for e in old] == ["jobbbbb2-1.png", "jobbbbb2-2.png"]
        assert await store.archive.remove("jobbbbb2") == 2
        assert [e.job_id for e in await store.archive.all()] == ["jobaaaa1"]


async def test_the_table_matches_its_migration(store: JobStore) -> None:
    async with store.engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("archive")})
    assert columns == {c.name for c in archive.columns}


async def test_history_is_this_channel_s_delivered_jobs_newest_first_filtered(store: JobStore) -> None:
    jobs: list[Job] = []

    def job(prompt: str, minutes: int, *, user: str = "u1", channel: str = "c1", workspace: str | None = "w1",
            state: JobState = JobState.DELIVERED) -> str:
        made = make_job(user=user, workspace=workspace, state=state, created_at=T0 + timedelta(minutes=minutes),
                        request=GenerationRequest.build(prompt=prompt),
                        conversation=ConversationRef("discord", channel, workspace))
        made = made.evolve(requester=Requester("discord", user, channel, workspace,
                                               user_name="bob" if user == "u2" else "alice"))
        jobs.append(made)
        return made.id

    lighthouse = job("A Lighthouse at dusk", 1)
    fox = job("a red fox in the snow", 2, user="u2")
    newest = job("lighthouse in a storm", 3, user="u2")
    job("a lighthouse, still running", 4, state=JobState.RUNNING)
    job("a lighthouse elsewhere", 5, channel="c2")
    job("a lighthouse in another workspace", 6, workspace="w2")
    for made in jobs:
        await store.insert(made)
    here = store.archive.delivered_here
    assert [j.id for j in await here("discord", "w1", "c1")] == [newest, fox, lighthouse]
    assert [j.id for j in await here("discord", "w1", "c1", text="LIGHTHOUSE")] == [newest, lighthouse]
    assert [j.id for j in await here("discord", "w1", "c1", user_id="u2")] == [newest, fox]
    assert [j.id for j in await here("discord", "w1", "c1", user_id="u2", text="fox")] == [fox]
    assert [j.id for j in await here("discord", "w1", "c1", limit=2)] == [newest, fox]
    assert [j.id for j in await here("discord", "w1", "c1", user_name="BOB")] == [newest, fox]
    assert await here("slack", "w1", "c1") == []
