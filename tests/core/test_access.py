"""``core.access.authorize``: platform, workspace and channel scoping, and who may act."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.access import Actor, JobAction, JobNotFound, NotYourJob, authorize
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest

M = Messages()


def job(platform: str = "slack", workspace: str | None = "T1", channel: str = "Cprivate", owner: str = "U1") -> Job:
    return Job(
        id="abcd2345",
        requester=Requester(platform=platform, user_id=owner, channel_id=channel, workspace_id=workspace),
        conversation=ConversationRef(platform=platform, channel_id=channel, workspace_id=workspace),
        request=GenerationRequest(prompt="a private idea"),
        state=JobState.DELIVERED,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def actor(**over: object) -> Actor:
    base: dict[str, object] = {"platform": "slack", "workspace_id": "T1", "channel_id": "Cprivate",
                               "user_id": "U1", "moderator": False}
    base.update(over)
    return Actor(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("action", list(JobAction))
def test_owner_in_the_jobs_channel_may_do_everything(action: JobAction) -> None:
    assert authorize(job(), actor(), action, M).id == "abcd2345"


_ELSEWHERE: list[dict[str, object]] = [
    {"platform": "discord"},
    {"workspace_id": "T-other"},
    {"workspace_id": None},
    {"channel_id": "Cpublic"},
]


@pytest.mark.parametrize(("action", "where"), [
    (action, where) for action in JobAction for where in _ELSEWHERE
    # The owner may see the status of their own job from anywhere in the workspace (tested below).
    if not (action is JobAction.STATUS and where == {"channel_id": "Cpublic"})
])
def test_a_click_from_elsewhere_finds_nothing(action: JobAction, where: dict[str, object]) -> None:
    # Even the owner: a re-roll from a public channel must not pull a private prompt into it.
    with pytest.raises(JobNotFound) as refused:
        authorize(job(), actor(**where), action, M)
    assert refused.value.code == "NotFound"
    assert "abcd2345" in refused.value.message


def test_status_from_another_channel_is_for_the_owner_only() -> None:
    assert authorize(job(), actor(channel_id="Cpublic"), "status", M)
    with pytest.raises(JobNotFound) as refused:
        authorize(job(), actor(channel_id="Cpublic", user_id="U2"), "status", M)
    assert refused.value.code == "NotFound"


@pytest.mark.parametrize("action", [JobAction.CANCEL, JobAction.DELETE])
def test_a_moderator_of_the_channel_may_cancel_and_delete(action: JobAction) -> None:
    assert authorize(job(), actor(user_id="U2", moderator=True), action, M)
    with pytest.raises(NotYourJob) as refused:
        authorize(job(), actor(user_id="U2"), action, M)
    assert refused.value.code == "NotYours"


@pytest.mark.parametrize("action", [JobAction.REROLL, JobAction.UPSCALE, JobAction.REMIX])
def test_only_the_owner_may_spend_on_a_variant(action: JobAction) -> None:
    with pytest.raises(NotYourJob) as refused:
        authorize(job(), actor(user_id="U2", moderator=True), action, M)
    assert refused.value.code == "NotYours"


def test_an_unknown_id_reads_like_a_foreign_one() -> None:
    with pytest.raises(JobNotFound) as refused:
        authorize(None, actor(), "cancel", M, job_id="zzzz9999")
    assert refused.value.code == "NotFound"
    assert "zzzz9999" in refused.value.message


def test_anyone_in_the_channel_may_see_the_status() -> None:
    assert authorize(job(), actor(user_id="U9"), "status", M)
