"""``insert_group`` (a variants batch) and ``ideas.root_of`` (a thread's idea) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import UserCapReached
from core.store import JobStore
from tests.store.test_store import make_job


async def test_a_group_is_stored_whole_when_it_fits_the_cap(store: JobStore) -> None:
    group = [make_job(user="g1") for _ in range(3)]
    await store.insert_group(group, max_active_for_user=3)
    for job in group:
        assert await store.get(job.id) is not None


async def test_a_group_over_the_cap_stores_nothing_and_says_what_was_running(store: JobStore) -> None:
    running = make_job(user="g2")
    await store.insert(running, max_active_for_user=3)
    group = [make_job(user="g2") for _ in range(3)]
    with pytest.raises(UserCapReached) as refused:
        await store.insert_group(group, max_active_for_user=3)
    assert (refused.value.active, refused.value.wanted) == (1, 3)
    for job in group:
        assert await store.get(job.id) is None, "all or nothing"


async def test_the_root_of_a_thread_is_the_job_that_opened_it(store: JobStore) -> None:
    root = make_job(user="g3", extra={"thread_id": "T_100%_x"})
    later = make_job(user="g3", extra={"thread_id": "T_100%_x", "parent": root.id},
                     created_at=root.created_at + timedelta(minutes=1))
    other = make_job(user="g3", extra={"thread_id": "T_1000_x"})
    for job in (later, root, other):  # stored out of order: the earliest is the root
        await store.insert(job)
    found = await store.ideas.root_of("discord", "w1", "c1", "T_100%_x")
    assert found is not None and found.id == root.id
    # LIKE wildcards in the thread id match only themselves.
    assert (await store.ideas.root_of("discord", "w1", "c1", "T_1000_x")).id == other.id  # type: ignore[union-attr]
    assert await store.ideas.root_of("discord", "w1", "c1", "T_10") is None
    assert await store.ideas.root_of("discord", "w1", "other-channel", "T_100%_x") is None
