"""Account limits per key: submissions/s, tasks in flight, queries/s — all configurable."""

from __future__ import annotations

from sandbox import Limits, ManualClock
from tests.sandbox.conftest import Api, StartApi


async def test_sixth_task_in_flight_is_429_rate_quota(start: StartApi, clock: ManualClock) -> None:
    api = await start(speed=1)
    ids = []
    for _ in range(5):
        ids.append(await api.create_id())
        clock.advance(1.0)  # stay under 5 submissions/s: only the in-flight limit may bite
    code, data = await api.create()
    assert (code, data["code"]) == (429, "Throttling.RateQuota")
    assert set(data) == {"request_id", "code", "message"}
    assert api.sandbox.stats.tasks_created("sk-sandbox-test") == 5
    # When one finishes a slot frees up.
    first = api.sandbox.task(ids[0])
    assert first is not None
    clock.set(first.finished)
    assert (await api.create())[0] == 200


async def test_sixth_submission_in_one_second_is_429(start: StartApi, clock: ManualClock) -> None:
    api = await start(limits=Limits(tasks_in_flight=0))
    for _ in range(5):
        assert (await api.create())[0] == 200
    code, data = await api.create()
    assert (code, data["code"]) == (429, "Throttling.RateQuota")
    clock.advance(1.0)
    assert (await api.create())[0] == 200


async def test_21st_query_in_one_second_is_429(api: Api, clock: ManualClock) -> None:
    task_id = await api.create_id()
    for i in range(20):
        if i % 3 == 0:
            code, _ = await api.list()
        elif i % 3 == 1:
            code, _ = await api.cancel("no-such-task")
            code = 200 if code == 400 else code
        else:
            code, _ = await api.query(task_id)
        assert code == 200
    code, data = await api.query(task_id)
    assert (code, data["code"]) == (429, "Throttling.RateQuota")
    clock.advance(0.5)
    assert (await api.query(task_id))[0] == 429
    clock.advance(0.5)
    assert (await api.query(task_id))[0] == 200


async def test_limits_are_per_key(start: StartApi) -> None:
    api = await start(api_key=None, limits=Limits(queries_per_second=2))
    for _ in range(2):
        assert (await api.query("t"))[0] == 200
    assert (await api.query("t"))[0] == 429
    assert (await api.query("t", key="sk-other"))[0] == 200


async def test_limits_configurable_and_unlimited(start: StartApi) -> None:
    api = await start(limits=Limits.unlimited())
    for _ in range(30):
        assert (await api.create())[0] == 200
    for _ in range(50):
        assert (await api.query("t"))[0] == 200


async def test_refused_requests_do_not_extend_the_window(start: StartApi, clock: ManualClock) -> None:
    api = await start(limits=Limits(queries_per_second=1))
    assert (await api.query("t"))[0] == 200
    clock.advance(0.9)
    assert (await api.query("t"))[0] == 429
    clock.advance(0.1)
    assert (await api.query("t"))[0] == 200
