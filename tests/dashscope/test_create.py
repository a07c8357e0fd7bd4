"""Video creates: retried only when provably rejected, reconciled via the task list when ambiguous."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence

import pytest

from core.dashscope import CreateAmbiguous, DashScopeClient, RetryPolicy, TaskInfo
from core.errors import DashScopeError, TransportError
from core.request import GenerationRequest

from .conftest import FakeClock, FakeDashScope, FakeSleep, Handler, Scripted

Serve = Callable[[dict[str, Handler]], Awaitable[Scripted]]
MakeClient = Callable[..., DashScopeClient]
MODEL = "wan2.7-t2v"
CREATE = "POST /api/v1/services/aigc/video-generation/video-synthesis"


class Ledger:
    """A ``TaskLedger`` that records what the client reports."""

    def __init__(self, known: Collection[str] = ()) -> None:
        self.known = set(known)
        self.orphans: list[tuple[str, str]] = []
        self.looks = 0

    async def known_task_ids(self) -> Collection[str]:
        self.looks += 1
        return set(self.known)

    async def orphans_found(self, tasks: Sequence[TaskInfo], reason: str) -> None:
        self.orphans.extend((t.task_id, t.status.value) for t in tasks)
        self.known.update(t.task_id for t in tasks)


def request(prompt: str = "a fox detective in the rain") -> GenerationRequest:
    return GenerationRequest.build(prompt=prompt, resolution="720P")


@pytest.fixture
def fake(clock: FakeClock) -> FakeDashScope:
    return FakeDashScope(clock)


async def test_plain_create(serve: Serve, make_client: MakeClient, fake: FakeDashScope) -> None:
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert info.task_id == "task-1" and fake.created == ["task-1"]
    assert srv.paths() == [CREATE]


@pytest.mark.parametrize("action", ["500after", "503after", "429after"])
async def test_json_error_answered_after_the_task_was_made_is_adopted_not_resent(
        serve: Serve, make_client: MakeClient, fake: FakeDashScope, action: str) -> None:
    fake.create_script = [action]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert fake.created == ["task-1"], "a JSON 429/5xx does not prove that no task was made"
    assert srv.paths().count(CREATE) == 1
    assert info.task_id == "task-1" and info.adopted is True


@pytest.mark.parametrize("action", ["500", "503", "429"])
async def test_json_error_with_nothing_made_is_sent_again_once_the_list_shows_nothing(
        serve: Serve, make_client: MakeClient, fake: FakeDashScope, action: str) -> None:
    fake.create_script = [action, "ok"]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert info.task_id == "task-1" and fake.created == ["task-1"] and info.adopted is False
    assert srv.paths() == [CREATE] + ["GET /api/v1/tasks"] * 3 + [CREATE]


async def test_json_5xx_gives_up_after_the_bound(serve: Serve, make_client: MakeClient,
                                                 fake: FakeDashScope) -> None:
    fake.create_script = ["500"] * 10
    srv = await serve(fake.routes())
    with pytest.raises(DashScopeError) as info:
        await make_client(srv.base, retry=RetryPolicy(attempts=3)).create_video_task(request())
    assert info.value.code == "InternalError" and srv.paths().count(CREATE) == 3 and fake.created == []


async def test_definite_refusal_is_not_reconciled(serve: Serve, make_client: MakeClient,
                                                  fake: FakeDashScope) -> None:
    fake.create_script = ["400"]
    srv = await serve(fake.routes())
    with pytest.raises(DashScopeError) as info:
        await make_client(srv.base).create_video_task(request())
    assert info.value.code == "InvalidParameter" and srv.paths() == [CREATE]


async def test_dropped_connection_is_reconciled_not_resent(serve: Serve, make_client: MakeClient,
                                                           fake: FakeDashScope, sleep: FakeSleep) -> None:
    fake.create_script = ["drop"]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert fake.created == ["task-1"] and info.task_id == "task-1"  # exactly ONE task on the server
    assert info.submit_time is not None
    assert srv.paths() == [CREATE, "GET /api/v1/tasks", "GET /api/v1/tasks/task-1"]
    assert srv.hits[1].query["model_name"] == MODEL
    assert sleep.delays == []  # found on the first look


async def test_gateway_html_after_create_is_reconciled(serve: Serve, make_client: MakeClient,
                                                       fake: FakeDashScope) -> None:
    fake.create_script = ["502html"]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert info.task_id == "task-1" and fake.created == ["task-1"]
    assert srv.paths().count(CREATE) == 1


async def test_list_lag_is_rechecked(serve: Serve, make_client: MakeClient, fake: FakeDashScope,
                                     sleep: FakeSleep) -> None:
    fake.create_script = ["drop"]
    fake.list_script = ["empty"]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert info.task_id == "task-1" and fake.created == ["task-1"]
    assert sleep.delays == [2.0] and srv.paths().count(CREATE) == 1


async def test_nothing_listed_after_rechecks_resends_once(serve: Serve, make_client: MakeClient,
                                                          fake: FakeDashScope, sleep: FakeSleep) -> None:
    fake.create_script = ["lost", "ok"]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request())
    assert info.task_id == "task-1" and fake.created == ["task-1"]
    assert srv.paths() == [CREATE] + ["GET /api/v1/tasks"] * 3 + [CREATE]
    assert sleep.delays == [2.0, 5.0]


async def test_list_failure_raises_ambiguous_and_never_resends(serve: Serve, make_client: MakeClient,
                                                               fake: FakeDashScope) -> None:
    fake.create_script = ["drop"]
    fake.list_script = ["500"] * 20
    srv = await serve(fake.routes())
    with pytest.raises(TransportError) as info:
        await make_client(srv.base).create_video_task(request())
    assert info.value.ambiguous is True
    assert srv.paths().count(CREATE) == 1 and fake.created == ["task-1"]


async def test_exclusions_window_and_model_are_respected(serve: Serve, make_client: MakeClient,
                                                         fake: FakeDashScope, clock: FakeClock) -> None:
    same_prompt = "a fox detective in the rain"
    # Another job's task (same prompt even), created just before our send: excluded by the caller.
    other_job = fake.add_task(MODEL, clock() - 5, prompt=same_prompt)
    fake.add_task("wan2.6-t2v", clock() - 1, prompt=same_prompt)   # other model
    fake.add_task(MODEL, clock() - 3600, prompt=same_prompt)        # long before the send
    fake.create_script = ["drop"]
    srv = await serve(fake.routes())
    info = await make_client(srv.base).create_video_task(request(same_prompt), exclude_task_ids={other_job})
    assert info.task_id == fake.created[0] == "task-4"


async def test_foreign_prompt_is_not_adopted(serve: Serve, make_client: MakeClient, fake: FakeDashScope,
                                             clock: FakeClock) -> None:
    other = fake.add_task(MODEL, clock() - 2, prompt="someone else's cat video", status="SUCCEEDED")
    fake.create_script = ["drop"]
    srv = await serve(fake.routes())
    ledger = Ledger()
    info = await make_client(srv.base).create_video_task(request("the detective fox。"), ledger=ledger)
    assert info.task_id == "task-2" == fake.created[0]
    assert ledger.orphans == [(other, "SUCCEEDED")]


async def test_lost_create_next_to_an_orphan_from_another_prompt_adopts_neither(
        serve: Serve, make_client: MakeClient, fake: FakeDashScope, clock: FakeClock) -> None:
    # Alice's earlier create made a task nobody stored; Bob's create is lost. While both are PENDING the
    # service reports no prompt, so the two cannot be told apart: neither is adopted.
    alices = fake.add_task(MODEL, clock() - 10, prompt="alice's lighthouse")
    fake.create_script = ["drop"]
    srv = await serve(fake.routes())
    ledger = Ledger()
    with pytest.raises(CreateAmbiguous) as info:
        await make_client(srv.base).create_video_task(request("bob's fox"), ledger=ledger)
    bobs = fake.created[0]
    assert set(info.value.task_ids) == {alices, bobs}
    assert sorted(ledger.orphans) == sorted([(alices, "PENDING"), (bobs, "PENDING")])
    assert srv.paths().count(CREATE) == 1


async def test_known_tasks_are_read_from_the_ledger_at_each_look(
        serve: Serve, make_client: MakeClient, fake: FakeDashScope, clock: FakeClock) -> None:
    stored = fake.add_task(MODEL, clock() - 5, prompt="another replica's job")
    fake.create_script = ["drop"]
    srv = await serve(fake.routes())
    ledger = Ledger(known={stored})
    info = await make_client(srv.base).create_video_task(request(), ledger=ledger)
    assert info.task_id == fake.created[0] != stored and ledger.looks >= 1 and ledger.orphans == []


async def test_a_failed_query_during_adoption_adopts_nothing(serve: Serve, make_client: MakeClient,
                                                             fake: FakeDashScope) -> None:
    fake.create_script = ["drop"]
    fake.get_script = ["500"] * 10
    srv = await serve(fake.routes())
    with pytest.raises(TransportError) as info:
        await make_client(srv.base, retry=RetryPolicy(attempts=2, base_delay=0.0)).create_video_task(request())
    assert info.value.ambiguous is True, "the create is still unresolved: the caller must look again later"
    assert "not adopting" in info.value.message
    assert srv.paths().count(CREATE) == 1 and fake.created == ["task-1"]


async def test_handed_out_task_is_not_adopted_again(serve: Serve, make_client: MakeClient,
                                                    fake: FakeDashScope) -> None:
    fake.create_script = ["ok", "lost", "ok"]
    srv = await serve(fake.routes())
    client = make_client(srv.base)
    first = await client.create_video_task(request())
    second = await client.create_video_task(request())  # same prompt, same window: only the id differs
    assert (first.task_id, second.task_id) == ("task-1", "task-2")
    assert fake.created == ["task-1", "task-2"]


async def test_two_concurrent_lost_creates_adopt_distinct_tasks(serve: Serve, make_client: MakeClient,
                                                                fake: FakeDashScope) -> None:
    fake.create_script = ["drop", "drop"]
    srv = await serve(fake.routes())
    client = make_client(srv.base)
    a, b = await asyncio.gather(client.create_video_task(request()), client.create_video_task(request()))
    assert {a.task_id, b.task_id} == {"task-1", "task-2"}
    assert srv.paths().count(CREATE) == 2


async def test_unreachable_create_is_retried_without_reconciling(make_client: MakeClient,
                                                                 sleep: FakeSleep) -> None:
    client = make_client("http://127.0.0.1:9/api/v1", retry=RetryPolicy(attempts=2))
    with pytest.raises(TransportError) as info:
        await client.create_video_task(request())
    assert info.value.ambiguous is False and len(sleep.delays) == 1


async def test_public_reconcile_after_a_crash(serve: Serve, make_client: MakeClient, fake: FakeDashScope,
                                              clock: FakeClock, sleep: FakeSleep) -> None:
    sent_at = clock() - 600  # the process died mid-create ten minutes ago
    mine = fake.add_task(MODEL, sent_at + 0.4, prompt="p")
    srv = await serve(fake.routes())
    client = make_client(srv.base)
    found = await client.reconcile_create(MODEL, sent_at, prompt="p")
    assert found is not None and found.task_id == mine
    assert await client.reconcile_create(MODEL, sent_at) is None  # already handed out
    assert await client.reconcile_create(MODEL, clock(), exclude_task_ids=[mine]) is None
    assert sleep.delays == [2.0, 5.0, 2.0, 5.0]
