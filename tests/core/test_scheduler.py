"""``FairQueue.order``/``positions``: the fast rotation gives exactly the order ``pop`` serves, and the
remembered positions follow every change (checked against popping a copy, over random histories)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from core.scheduler import FairQueue

_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.integers(0, 5), st.booleans()),
        st.tuples(st.just("pop"), st.just(0), st.just(False)),
        st.tuples(st.just("remove"), st.integers(0, 40), st.just(False)),
        st.tuples(st.just("look"), st.just(0), st.just(False)),
    ),
    max_size=60,
)


def _served_order(queue: FairQueue) -> list[str]:
    """What popping everything would give, from a copy (the definition ``order`` must match)."""
    remembered, queue._positions = queue._positions, None  # (a mappingproxy cannot be copied)
    clone = copy.deepcopy(queue)
    queue._positions = remembered
    out = []
    while (job_id := clone.pop()) is not None:
        out.append(job_id)
    return out


def _apply(queue: FairQueue, op: str, arg: int, flag: bool, made: int) -> int:
    """One step of a random history; returns how many jobs have been pushed so far."""
    if op == "push":
        queue.push(f"j{made}", f"u{arg}", front=flag)
        return made + 1
    if op == "pop":
        queue.pop()
    elif op == "remove":
        queue.remove(f"j{arg}")
    else:
        queue.positions()  # remembered now: a later change must not be hidden by it
    return made


@settings(max_examples=400, deadline=None)
@given(_OPS)
def test_order_and_positions_match_what_pop_serves(ops: list[tuple[str, int, bool]]) -> None:
    queue = FairQueue()
    made = 0
    for op, arg, flag in ops:
        made = _apply(queue, op, arg, flag, made)
        expected = _served_order(queue)
        assert queue.order() == expected
        assert dict(queue.positions()) == {job_id: i for i, job_id in enumerate(expected, start=1)}


def test_positions_are_remembered_until_the_queue_changes() -> None:
    queue = FairQueue()
    for i in range(3):
        queue.push(f"j{i}", f"u{i % 2}")
    first = queue.positions()
    assert queue.positions() is first  # no change, no recount
    queue.take("j0")
    assert queue.positions() is not first and dict(queue.positions()) == {"j1": 1, "j2": 2}


@settings(max_examples=400, deadline=None)
@given(_OPS)
def test_one_position_without_rebuilding_the_line_matches_positions(ops: list[tuple[str, int, bool]]) -> None:
    """``position(job)`` (computed from the rotation, not the whole line) says what ``positions()`` says,
    after any history, for every waiting job and for one that left."""
    queue = FairQueue()
    made = 0
    for op, arg, flag in ops:
        made = _apply(queue, op, arg, flag, made)
        expected = {job_id: i for i, job_id in enumerate(_served_order(queue), start=1)}
        for i in range(made + 1):
            queue._positions = None  # the fast path, not the remembered map
            assert queue.position(f"j{i}") == expected.get(f"j{i}")
