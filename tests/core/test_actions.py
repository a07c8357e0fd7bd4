"""``core.actions``: every chat action once, on a real engine (virtual clock, scripted DashScope, SQLite).

What used to drift between adapters is pinned here, platform-free: seeds kept by 1080P, who may
re-roll or cancel, "not found" from elsewhere, cancel without an id, channel defaults, delete, usage.
"""

from __future__ import annotations

import pytest

from core.access import ActionRefused
from core.actions import AllowList, Caller, ChatActions, Deleted, Origin, Started
from core.commands import DefaultsCommand, VideoCommand, defaults_command
from core.errors import InvalidRequest, PlatformError
from core.jobs import CancelOutcome, JobState
from core.messages import Messages
from core.request import GenerationRequest
from tests.engine.conftest import Harness

M = Messages()


def who(user: str = "u1", *, channel: str = "c1", workspace: str = "w1", **extra: object) -> Caller:
    return Caller(platform="test", workspace_id=workspace, channel_id=channel, user_id=user, **extra)  # type: ignore[arg-type]


async def actions(harness: Harness, **options: object) -> ChatActions:
    engine = await harness.start()
    return ChatActions(engine, M, **options)  # type: ignore[arg-type]


async def test_a_new_video_gets_a_seed_and_1080p_keeps_it(harness: Harness) -> None:
    chat = await actions(harness)
    first = await chat.video(who(), {"prompt": "a lighthouse at dusk"})
    assert isinstance(first.job.request, GenerationRequest)
    assert first.job.request.seed is not None  # so "1080P" can make the same video sharper
    sharper = await chat.upscale(who(), first.job.id)
    assert sharper.origin is Origin.UPSCALE and sharper.parent is not None
    assert isinstance(sharper.job.request, GenerationRequest)
    assert sharper.job.request.resolution == "1080P"
    assert sharper.job.request.seed == first.job.request.seed
    assert sharper.text == M("action.upscaled", job_id=first.job.id, new_job_id=sharper.job.id)


async def test_reroll_changes_the_seed_and_remix_the_prompt(harness: Harness) -> None:
    chat = await actions(harness)
    first = await chat.video(who(), {"prompt": "a lighthouse", "seed": 7, "duration": 10})
    again = await chat.reroll(who(), first.job.id)
    assert isinstance(again.job.request, GenerationRequest)
    assert again.job.request.seed != 7 or again.job.request.seed is None
    assert again.job.request.seconds == 10
    remixed = await chat.remix(who(), first.job.id, "a lighthouse in snow")
    assert remixed.job.request.prompt == "a lighthouse in snow"
    assert isinstance(remixed.job.request, GenerationRequest) and remixed.job.request.seconds == 10


async def test_only_the_owner_rerolls_and_a_moderator_may_cancel(harness: Harness) -> None:
    harness.config = harness.config.__class__(max_in_flight=0, per_user_cap=3)
    chat = await actions(harness)
    job = (await chat.video(who("owner"), {"prompt": "a fox"})).job
    asked: list[str] = []

    async def moderates() -> bool:
        asked.append("asked")
        return True

    with pytest.raises(ActionRefused) as refused:
        await chat.reroll(who("other", moderator=moderates), job.id)
    assert refused.value.code == "NotYours" and asked == []  # re-roll is the owner's: nobody asked
    with pytest.raises(ActionRefused, match="Only the person"):
        await chat.cancel(who("other"), job.id)
    cancelled = await chat.cancel(who("other", moderator=moderates), job.id)
    assert cancelled.outcome is CancelOutcome.CANCELLED and asked == ["asked"]
    assert cancelled.text == M("cancel.done", job_id=job.id)


async def test_a_job_elsewhere_is_not_found_whatever_the_action(harness: Harness) -> None:
    chat = await actions(harness)
    job = (await chat.video(who(), {"prompt": "a fox"})).job
    for caller in (who(channel="c2"), who(workspace="w2"), who("other", channel="c2", moderator=True)):
        for act in (chat.cancel, chat.reroll, chat.upscale, chat.delete, chat.remix_prompt):
            with pytest.raises(ActionRefused) as refused:
                await act(caller, job.id)
            assert refused.value.code == "NotFound", (caller, act)
    # The owner may look at their own job from anywhere in the workspace; nobody else from elsewhere.
    assert (await chat.status(who(channel="c2"), job.id)).views[0].job_id == job.id
    with pytest.raises(ActionRefused, match="can't find"):
        await chat.status(who("other", channel="c2"), job.id)


async def test_cancel_without_an_id_means_the_newest_unfinished_job_here(harness: Harness) -> None:
    harness.config = harness.config.__class__(max_in_flight=0, per_user_cap=3)
    chat = await actions(harness)
    with pytest.raises(ActionRefused, match=M("job.none_active")):
        await chat.cancel(who())
    job = (await chat.video(who(), {"prompt": "a fox"})).job
    with pytest.raises(ActionRefused, match="in this channel"):
        await chat.cancel(who(channel="c2"))
    assert (await chat.cancel(who())).job_id == job.id


async def test_status_without_an_id_lists_the_newest_jobs(harness: Harness) -> None:
    chat = await actions(harness)
    ids = [(await chat.video(who(), {"prompt": f"fox {i}"})).job.id for i in range(3)]
    report = await chat.status(who(channel="c9"))
    assert sorted(v.job_id for v in report.views) == sorted(ids)  # (created at the same virtual instant)
    assert all(job_id in report.text for job_id in ids)


async def test_the_allow_list_refuses_before_anything_is_stored(harness: Harness) -> None:
    chat = await actions(harness, allow={"test": AllowList(channels=frozenset({"c1"}))})
    with pytest.raises(ActionRefused, match="isn't enabled"):
        await chat.video(who(channel="c2"), {"prompt": "a fox"})
    with pytest.raises(ActionRefused, match="isn't enabled"):
        await chat.usage(who(channel="c2"))
    assert await harness.store.recent_for_user("test", "w1", "u1") == []  # type: ignore[union-attr]
    assert (await chat.video(who(channel="c9", thread_id="c1"), {"prompt": "a fox"})).job  # a thread of c1


async def test_defaults_need_the_channel_admin_and_apply_under_typed_options(harness: Harness) -> None:
    chat = await actions(harness)
    change = defaults_command({"resolution": "1080P", "duration": 10})
    with pytest.raises(ActionRefused, match="admins"):
        await chat.defaults(who(), change)
    saved = await chat.defaults(who(channel_admin=True), change)
    assert saved.changed and saved.values == {"resolution": "1080P", "duration": 10}
    assert "1080P" in (await chat.defaults(who(), DefaultsCommand())).text
    job = (await chat.video(who(), {"prompt": "a fox", "duration": 5})).job
    assert isinstance(job.request, GenerationRequest)
    assert (job.request.resolution, job.request.seconds) == ("1080P", 5)  # typed wins, the rest defaults
    command = await chat.parse(who(), "video a fox")
    assert isinstance(command, VideoCommand) and command.request.resolution == "1080P"
    with pytest.raises(InvalidRequest):
        await chat.parse(who(), "video a fox --duration 99")


async def test_storyboard_shots_share_the_duration(harness: Harness) -> None:
    chat = await actions(harness)
    started = await chat.storyboard(who(), ["wide: a harbour", "", "close: a gull"], {"duration": 10})
    request = started.job.request
    assert started.origin is Origin.STORYBOARD
    assert request.prompt == "Shot 1 [0-5 seconds] wide: a harbour Shot 2 [5-10 seconds] close: a gull"
    assert isinstance(request, GenerationRequest) and request.prompt_extend is False
    with pytest.raises(InvalidRequest, match="at least one shot"):
        await chat.storyboard(who(), ["", " "], {})


async def test_delete_says_what_it_could_not_remove(harness: Harness) -> None:
    chat = await actions(harness)
    job = (await chat.video(who(), {"prompt": "a fox"})).job
    done = await harness.finish(job.id)
    assert done.state is JobState.DELIVERED and done.delivered_ref and done.status_ref
    real_delete = harness.port.delete_message

    async def refuse_the_upload(ref: object) -> None:
        if ref == done.delivered_ref:
            raise PlatformError("no", code="cant_delete")
        await real_delete(ref)  # type: ignore[arg-type]

    harness.port.delete_message = refuse_the_upload  # type: ignore[method-assign]
    deleted = await chat.delete(who(), job.id)
    assert deleted.kept == (M("delete.the_result"),)
    assert deleted.text == M("delete.partial", what=M("delete.the_result"))
    assert harness.port.deleted == [done.status_ref]


async def test_usage_counts_this_workspace_for_you_and_everyone(harness: Harness) -> None:
    chat = await actions(harness)
    mine = (await chat.video(who(), {"prompt": "a fox", "duration": 5})).job
    theirs = (await chat.video(who("u2"), {"prompt": "a cat", "duration": 5})).job
    elsewhere = (await chat.video(who(workspace="w2"), {"prompt": "a cow", "duration": 5})).job
    for job in (mine, theirs, elsewhere):
        await harness.finish(job.id)
    report = await chat.usage(who())
    you_today, you_month, all_today, all_month = report.rows
    assert (you_today.videos, all_today.videos) == (1, 2)
    assert you_month.billed_seconds == 5 and all_month.billed_seconds == 10
    assert all_today.text.startswith(M("usage.label", who=M("usage.everyone"), period=M("usage.today")))


def test_one_sentence_per_error_on_every_surface() -> None:
    from core.actions import sentence_for
    from core.errors import DashScopeError, QuotaExceeded

    assert sentence_for(InvalidRequest("the prompt is empty"), M) == M("invalid", reason="the prompt is empty")
    assert sentence_for(QuotaExceeded("wait 3 s", code="Cooldown"), M) == "wait 3 s"
    assert sentence_for(DashScopeError("x", code="Arrearage"), M) == M("error.Arrearage")
    said = sentence_for(DashScopeError("Input image is too small", code="InvalidParameter.Size"), M)
    assert said == M("error.dashscope_said", message="Input image is too small")
    assert sentence_for(RuntimeError("boom"), M) == M("error.internal")


async def test_every_button_and_the_storyboard_can_be_typed(harness: Harness) -> None:
    harness.config = harness.config.__class__(per_user_cap=10)
    chat = await actions(harness)
    first = await chat.run(who(), await chat.parse(who(), "video a fox --seed 9"))
    assert isinstance(first, Started)
    job_id = first.job.id
    for text, origin in ((f"reroll {job_id}", Origin.REROLL), (f"upscale {job_id.upper()}", Origin.UPSCALE),
                         (f"remix {job_id} a fox in snow", Origin.REMIX)):
        started = await chat.run(who(), await chat.parse(who(), text))
        assert isinstance(started, Started) and started.origin is origin and started.parent is not None
        assert started.parent.id == job_id
        if origin is Origin.REMIX:
            assert started.job.request.prompt == "a fox in snow"
    board = await chat.run(who(), await chat.parse(who(), "storyboard a harbour | a gull --duration 4"))
    assert isinstance(board, Started) and board.job.request.prompt.startswith("Shot 1 [0-2 seconds] a harbour")
    with pytest.raises(InvalidRequest, match="at least one shot"):
        await chat.run(who(), await chat.parse(who(), "storyboard --duration 4"))
    for bad in ("reroll", "remix abc", "delete a b"):
        with pytest.raises(InvalidRequest):
            await chat.parse(who(), bad)
    await harness.finish(job_id)
    deleted = await chat.run(who(), await chat.parse(who(), f"delete {job_id}"))
    assert isinstance(deleted, Deleted) and deleted.kept == ()


async def test_a_parsed_video_and_a_built_request_both_go_through_video(harness: Harness) -> None:
    from tests.parity.spy import RecordingActions

    engine = await harness.start()
    chat = RecordingActions(engine, M)
    await chat.defaults(who(channel_admin=True), defaults_command({"resolution": "1080P"}))
    parsed = await chat.run(who(), await chat.parse(who(), "video a fox"))
    assert "video" in chat.called  # what the parity tests of text surfaces see
    assert isinstance(parsed, Started) and isinstance(parsed.job.request, GenerationRequest)
    assert parsed.job.request.resolution == "1080P" and parsed.job.request.seed is not None
    built = await chat.video(who(), GenerationRequest.build(prompt="a hen", resolution="720P"))
    assert isinstance(built.job.request, GenerationRequest)
    # A request already read is taken as it is (defaults are parse's business), and still gets a seed.
    assert built.job.request.resolution == "720P" and built.job.request.seed is not None
    with pytest.raises(ActionRefused):
        await RecordingActions(engine, M, allow={"test": AllowList(channels=frozenset({"c9"}))}).video(
            who(), GenerationRequest.build(prompt="a hen"))


async def test_usage_counts_image_jobs_apart_from_videos(harness: Harness) -> None:
    from core.request import ImageRequest

    chat = await actions(harness)
    video = (await chat.video(who(), {"prompt": "a fox", "duration": 5})).job
    image = (await chat.image(who(), ImageRequest.build(prompt="a fox", n=3))).job
    for job in (video, image):
        assert (await harness.finish(job.id)).state is JobState.DELIVERED
    you_today = (await chat.usage(who())).rows[0]
    assert (you_today.videos, you_today.images) == (1, 3)
    assert you_today.cost == (await harness.store.get(video.id)).cost + (await harness.store.get(image.id)).cost  # type: ignore[union-attr,operator]
    assert "1 video(s), 3 image(s)" in you_today.text


async def test_an_image_over_the_budget_is_refused_with_the_same_sentence_as_a_video(harness: Harness) -> None:
    """Seen on main before issue 10: 10 x pro 4K n=4 spent about ¥20 on an exhausted ¥6 budget."""
    from decimal import Decimal

    from core.budget import BudgetExceeded, parse_budgets
    from core.request import ImageRequest

    harness.config = harness.config.__class__(per_user_cap=20, budgets=parse_budgets("user:day=¥6"))
    chat = await actions(harness)
    request = ImageRequest.build(prompt="a fox", n=4, model="wan2.7-image-pro", size="4K")
    assert request.estimated_cost() == Decimal("2")  # so ¥6 buys three
    refusals: list[str] = []
    for _ in range(10):
        try:
            await chat.image(who(), request)
        except BudgetExceeded as exc:
            refusals.append(exc.message)
    assert len(refusals) == 7
    with pytest.raises(BudgetExceeded) as video:
        await chat.video(who(), {"prompt": "a fox", "duration": 15, "resolution": "1080P"})
    assert "request needs" in refusals[0] and video.value.message.split(":")[0] == refusals[0].split(":")[0]


async def test_remix_start_is_authorized_and_falls_back_to_the_typed_prompt(harness: Harness) -> None:
    chat = await actions(harness)
    job = (await chat.video(who(), {"prompt": "a fox"})).job
    # No rewrite on this job (yet): "from Wan's prompt" starts from the prompt as typed.
    assert (await chat.remix_start(who(), job.id))[1] == "a fox"
    assert (await chat.remix_start(who(), job.id, wan=True))[1] == "a fox"
    for caller in (who(channel="c2"), who("other")):
        with pytest.raises(ActionRefused):
            await chat.remix_start(caller, job.id, wan=True)
