"""A variants batch over the per-user cap is refused with what is really running (issue 13)."""

from __future__ import annotations

from core.config import EngineConfig
from core.errors import UserCapReached
from core.messages import Messages
from core.refusals import worded


def test_a_batch_refusal_says_how_many_places_it_needs_and_how_many_are_free() -> None:
    config = EngineConfig(per_user_cap=3)
    said = worded(UserCapReached("raw", active=1, wanted=3), Messages(), config).message
    assert "3 variants need 3 free places" in said and "only 2 of your 3 are free" in said


def test_a_single_job_refusal_counts_the_jobs_in_progress() -> None:
    said = worded(UserCapReached("raw", active=3), Messages(), EngineConfig(per_user_cap=3)).message
    assert "already have 3 jobs in progress (the limit is 3)" in said
