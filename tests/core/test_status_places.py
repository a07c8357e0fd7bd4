"""What a queued job's status line says about its place (``core.status.place_in_line``): exact for the
first few, a range after, so a freed slot changes the text of only a few deep messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest
from core.status import EXACT_PLACES, place_in_line, place_range, status_view

M = Messages()
NOW = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)


def queued() -> Job:
    return Job(
        id="abcd2345",
        requester=Requester(platform="test", user_id="u1", channel_id="c1", workspace_id="w1"),
        conversation=ConversationRef(platform="test", channel_id="c1", workspace_id="w1"),
        request=GenerationRequest(prompt="a lighthouse"),
        state=JobState.QUEUED,
        created_at=datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(("position", "text"), [
    (1, "next in line"),
    (2, "position 2 in line"),
    (10, "position 10 in line"),
    (11, "position 11–20 in line"),
    (20, "position 11–20 in line"),
    (21, "position 21–50 in line"),
    (77, "position 51–100 in line"),
    (999, "position 501–1,000 in line"),
    (1_001, "position 1,001–2,000 in line"),
    (12_345, "position 10,001–20,000 in line"),
])
def test_place_text(position: int, text: str) -> None:
    assert place_in_line(position, M) == text


def test_ranges_cover_every_place_once_and_contain_it() -> None:
    previous_high = 0
    for position in range(1, 25_000):
        low, high = place_range(position)
        assert low <= position <= high
        assert low in (previous_high + 1, place_range(position - 1)[0] if position > 1 else 1)
        previous_high = max(previous_high, high)


def test_moving_up_one_place_changes_the_text_of_only_a_few_of_a_thousand() -> None:
    changed = [p for p in range(2, 1_001) if place_in_line(p, M) != place_in_line(p - 1, M)]
    # every exact place, plus one per range edge below 1,000 (20, 50, 100, 200, 500)
    assert changed == [*range(2, EXACT_PLACES + 2), 21, 51, 101, 201, 501]


def test_the_view_of_a_deep_job_reads_the_same_a_place_later() -> None:
    job = queued()
    deep = status_view(job, now=NOW, position=37, messages=M)
    later = status_view(job, now=NOW, position=36, messages=M)
    assert deep == later and deep.line == "position 21–50 in line · 30s"
    assert status_view(job, now=NOW, position=20, messages=M).line == "position 11–20 in line · 30s"
