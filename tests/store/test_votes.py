"""Issue 13 votes, stored (``core.store.votes``) and ranked (``core.actions.votes``), on SQLite and PostgreSQL:
one person is one vote per result, un-reacting where the vote was made takes it back, only delivered results'
own messages count, the maker's own reaction and a wrong emoji are not votes, the channel's ``vote_emoji``
and the deployment's default decide, and ``top`` ranks by votes (ties: the earlier result) in a window read
on the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from core.actions.caller import Caller
from core.actions.votes import VoteDesk
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef, MessageRef
from core.request import GenerationRequest
from core.store import JobStore
from core.store.votes import Vote
from core.votes import emoji_key, is_votes_command, parse_emoji, parse_votes_command, window_start

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
_ids = count(1)


def result(store_created: datetime, *, user: str = "maker", channel: str = "c1", thread: str | None = "t1",
           state: JobState = JobState.DELIVERED, resolution: str = "720P") -> Job:
    n = next(_ids)
    conv = ConversationRef("discord", channel, workspace_id="g1")
    posted = ConversationRef("discord", channel, workspace_id="g1", thread_id=thread)
    return Job(
        id=f"vote{n:04d}",
        requester=Requester(platform="discord", user_id=user, channel_id=channel, workspace_id="g1",
                            user_name=user),
        conversation=posted if thread else conv,
        request=GenerationRequest.build(prompt=f"result {n}", seed=n, resolution=resolution),
        state=state, created_at=store_created,
        status_ref=MessageRef(posted if thread else conv, f"9{n:05d}1"),
        delivered_ref=MessageRef(posted if thread else conv, f"9{n:05d}2"),
    )


class Links:
    platform = "discord"

    async def message_link(self, ref: MessageRef) -> str | None:
        return f"https://discord.test/{ref.message_id}"


def caller(user: str, *, channel: str = "c1", thread: str | None = "t1") -> Caller:
    return Caller(platform="discord", workspace_id="g1", channel_id=channel, user_id=user, user_name=user,
                  thread_id=thread)


@pytest.fixture
async def desk(store: JobStore) -> Any:
    clock = {"now": NOW}
    desk = VoteDesk(store.votes, store.settings, Messages(), port=lambda _: Links(),  # type: ignore[arg-type,return-value]
                    now=lambda: clock["now"])
    return desk


async def stored(store: JobStore, job: Job) -> Job:
    await store.insert(job)
    return job


async def test_one_person_one_vote_and_unreact_takes_it_back(store: JobStore, desk: VoteDesk) -> None:
    job = await stored(store, result(NOW - timedelta(hours=1)))
    assert job.status_ref is not None and job.delivered_ref is not None
    assert await desk.react(caller("bob"), job.delivered_ref.message_id, "👍", added=True)
    # Again, and on the status message too: still one vote.
    assert not await desk.react(caller("bob"), job.delivered_ref.message_id, "👍🏽", added=True)
    assert not await desk.react(caller("bob"), job.status_ref.message_id, "👍", added=True)
    assert await desk.react(caller("carol"), job.status_ref.message_id, "👍", added=True)
    assert await store.votes.counts([job.id, "nosuchjob"]) == {job.id: 2}
    # Un-reacting where no vote was made leaves the vote; where it was made takes it back.
    assert not await desk.react(caller("bob"), job.status_ref.message_id, "👍", added=False)
    assert await desk.react(caller("bob"), job.delivered_ref.message_id, "👍", added=False)
    assert await store.votes.counts([job.id]) == {job.id: 1}


async def test_what_is_not_a_vote(store: JobStore, desk: VoteDesk) -> None:
    job = await stored(store, result(NOW - timedelta(hours=1)))
    queued = await stored(store, result(NOW, state=JobState.RUNNING))
    assert job.delivered_ref is not None and queued.status_ref is not None
    message = job.delivered_ref.message_id
    assert not await desk.react(caller("maker"), message, "👍", added=True)  # the maker's own
    assert not await desk.react(caller("bob"), message, "🔥", added=True)  # not the vote emoji
    assert not await desk.react(caller("bob"), "123456", "👍", added=True)  # not a result's message
    assert not await desk.react(caller("bob"), queued.status_ref.message_id, "👍", added=True)  # not delivered
    # The right message id, reacted on from another channel (a forged or foreign payload).
    assert not await desk.react(caller("bob", channel="c2", thread=None), message, "👍", added=True)
    other_guild = Caller(platform="discord", workspace_id="g2", channel_id="c1", user_id="bob", thread_id="t1")
    assert not await desk.react(other_guild, message, "👍", added=True)
    assert await store.votes.counts([job.id, queued.id]) == {}


async def test_the_channel_setting_and_the_deployment_default_decide_the_emoji(store: JobStore,
                                                                               desk: VoteDesk) -> None:
    job = await stored(store, result(NOW - timedelta(hours=1)))
    assert job.delivered_ref is not None
    message = job.delivered_ref.message_id
    desk.default_emoji = emoji_key(":fire:")
    assert not await desk.react(caller("bob"), message, "👍", added=True)
    assert await desk.react(caller("bob"), message, "🔥", added=True)
    await store.settings.update("discord", "g1", "c1", {"vote_emoji": parse_emoji(":+1:")}, by="admin")
    assert await desk.react(caller("carol"), message, "👍", added=True)
    assert not await desk.react(caller("dave"), message, "🔥", added=True)
    await store.settings.update("discord", "g1", "c1", {"vote_emoji": parse_emoji("off")}, by="admin")
    assert not await desk.react(caller("erin"), message, "👍", added=True)
    assert await store.votes.counts([job.id]) == {job.id: 2}


async def test_top_ranks_by_votes_ties_earlier_first_within_the_window(store: JobStore, desk: VoteDesk) -> None:
    old = await stored(store, result(NOW - timedelta(days=10)))
    monday = await stored(store, result(NOW - timedelta(days=3)))
    yesterday = await stored(store, result(NOW - timedelta(days=1)))
    today = await stored(store, result(NOW - timedelta(hours=2)))
    unvoted = await stored(store, result(NOW - timedelta(hours=1)))
    elsewhere = await stored(store, result(NOW - timedelta(hours=1), channel="c9", thread=None))
    for job, voters in ((old, "abcd"), (monday, "ab"), (yesterday, "ab"), (today, "a"), (elsewhere, "abcde")):
        assert job.delivered_ref is not None
        here = caller("x", channel=job.conversation.channel_id, thread=job.conversation.thread_id)
        for voter in voters:
            assert await desk.react(Caller(**{**here.__dict__, "user_id": voter}), job.delivered_ref.message_id,
                                    "👍", added=True)

    def ids(report: Any) -> list[str]:
        return [entry.job_id for entry in report.entries]

    assert ids(await desk.top(caller("bob"), "all")) == [old.id, monday.id, yesterday.id, today.id]
    assert ids(await desk.top(caller("bob"), "week")) == [monday.id, yesterday.id, today.id]  # ties: earlier first
    assert ids(await desk.top(caller("bob"), "today")) == [today.id]
    week = await desk.top(caller("bob"), "week")
    first = week.entries[0]
    assert first.text.startswith(f"1. {monday.id} · 2 vote(s) · by maker")
    assert f"seed {monday.request.seed}" in first.text and "720P" in first.text
    assert first.link == f"https://discord.test/{monday.delivered_ref.message_id}"  # type: ignore[union-attr]
    assert first.promotable and f"promote {monday.id}" in week.text
    assert unvoted.id not in week.text
    empty = await desk.top(caller("bob", channel="c5", thread=None), "today")
    assert empty.entries == () and empty.text == "🏆 No votes on today's results here yet. React 👍 on a result " \
        "to vote for it."


async def test_votes_survive_a_reopen_and_a_deleted_result_forgets_them(db_url: str) -> None:
    async with await JobStore.open(db_url) as first:
        job = result(NOW)
        await first.insert(job)
        assert await first.votes.add(Vote(job.id, "bob", "discord", "g1", "c1", "m1", "👍", NOW))
        assert not await first.votes.add(Vote(job.id, "bob", "discord", "g1", "c1", "m2", "👍", NOW))
    async with await JobStore.open(db_url) as second:
        assert await second.votes.counts([job.id]) == {job.id: 1}
        assert [(j.id, n) for j, n in await second.votes.top("discord", "g1", "c1", since=None, limit=5)] == [
            (job.id, 1)]
        assert await second.votes.forget(job.id) == 1
        assert await second.votes.counts([job.id]) == {}


def test_emoji_keys_and_the_typed_commands() -> None:
    assert {emoji_key(e) for e in ("👍", "👍🏿", "+1", "thumbsup", ":+1:", "+1::skin-tone-3")} == {"👍"}
    assert emoji_key("white_check_mark") == "✅" and emoji_key("partyparrot") == "partyparrot"
    assert parse_emoji("<:wan:123456>") == "wan" and parse_emoji("OFF") == "off"
    with pytest.raises(ValueError):
        parse_emoji("two words")
    assert window_start("today", NOW) == datetime(2026, 12, 3, tzinfo=UTC)
    assert window_start("week", NOW) == NOW - timedelta(days=7) and window_start("all", NOW) is None
    top = parse_votes_command("top", [])
    assert top is not None and top.window == "week"  # type: ignore[union-attr]
    assert parse_votes_command("promote", ["ABC123"]).job_id == "abc123"  # type: ignore[union-attr]
    assert parse_votes_command("history", []) is None
    # The console's bare prompts: "top of the hill" is a video, "top week" the command.
    assert is_votes_command(["top"]) and is_votes_command(["top", "Week"]) and is_votes_command(["promote", "ab"])
    assert not is_votes_command(["top", "of", "the", "hill", "at", "dawn"]) and not is_votes_command(["promote"])
