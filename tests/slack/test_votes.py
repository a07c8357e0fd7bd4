"""Votes and winners on Slack (issue 13), through real bolt / slack_sdk against the fake Slack: ``reaction_added``
events (signed Events API callbacks) with ``+1`` on a result's status message or on its video (a file
shared in the thread) are votes — one per person,
not the maker's own, not another emoji, not on someone else's message —, ``reaction_removed`` takes one back,
``/wan history`` shows the counts, ``/wan top`` lists the winners with **Promote** (after a restart too),
which renders the winner at 1080P with the same seed, billed to whoever promoted it; an approver's
``white_check_mark`` on an approval request approves it, anyone else's does nothing. The manifest asks
for the scope and the events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.until import until as until_async
from tests.slack.conftest import SlackBot, delivered, job_id_of, until, video


async def _top(bot: SlackBot, text: str = "", *, user: str = "U1") -> list[dict[str, Any]]:
    before = len(bot.fake.ephemerals)
    status, _ = await bot.command(f"top {text}".strip(), user=user)
    assert status == 200
    await until(lambda: len(bot.fake.ephemerals) > before, what="the top answer")
    answer = bot.fake.ephemerals[-1]
    assert answer["user"] == user
    blocks: list[dict[str, Any]] = answer["blocks"] or [{"text": {"text": answer["text"]}}]
    return blocks


def _promotes(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["accessory"]["value"] for b in blocks if b.get("accessory", {}).get("action_id") == "wan_promote"]


async def _counts(bot: SlackBot, expected: dict[str, int]) -> bool:
    assert bot.rt is not None
    return await bot.rt.store.votes.counts(list(expected)) == expected


async def test_votes_top_and_promote_after_a_restart(bot: SlackBot) -> None:
    first_status = await video(bot, "video a lighthouse at dusk --duration 2")
    await delivered(bot, first_status, timeout=30)
    second_status = await video(bot, "video a red fox in the snow --duration 2", user="U2")
    await delivered(bot, second_status, timeout=30)
    first, second = job_id_of(first_status), job_id_of(second_status)
    empty = await _top(bot)
    assert "No votes on this week's results here yet" in empty[0]["text"]["text"]

    await bot.react("U2", first_status)
    await bot.react("U3", first_status, "thumbsup::skin-tone-3")
    await bot.react("U2", first_status, "+1")  # again: one vote
    await bot.react("U1", first_status)  # the maker's own: not a vote
    await bot.react("U1", second_status, "fire")  # not the vote emoji
    await bot.react("U1", second_status)
    someone = bot.fake.post_user_message("C_MEMBER", "nice")
    await bot.react("U2", someone)  # a person's message: dropped before anything is read
    assert bot.rt is not None
    made = await bot.rt.engine.get(first)
    assert made is not None and made.delivered_ref is not None
    await bot.react("U4", bot.fake.shared_message(made.delivered_ref.message_id))  # on the video itself
    await until_async(lambda: _counts(bot, {first: 3, second: 1}), "three and one votes", timeout=30)

    blocks = await _top(bot)
    text = "\n".join(b["text"]["text"] for b in blocks)
    assert text.index(first) < text.index(second)
    assert f"1. {first} · 3 vote(s) · by u1" in text and "<@" not in text
    assert "https://fake.slack.com/archives/C_MEMBER/p" in text  # the status message's permalink
    assert _promotes(blocks) == [first, second]

    before = len(bot.fake.ephemerals)
    status, _ = await bot.command("history")
    assert status == 200
    await until(lambda: len(bot.fake.ephemerals) > before, what="the history answer")
    assert "👍 3" in str(bot.fake.ephemerals[-1]["blocks"])

    await bot.react("U3", first_status, "thumbsup::skin-tone-3", added=False)
    await bot.react("U4", bot.fake.shared_message(made.delivered_ref.message_id), added=False)
    await until_async(lambda: _counts(bot, {first: 1, second: 1}), "U3's and U4's votes taken back", timeout=30)

    await bot.stop()
    await bot.start()  # a new process on the same database
    blocks = await _top(bot, "all", user="U2")
    assert _promotes(blocks) == [first, second]  # a tie: the earlier first
    status, _ = await bot.click("promote", first, user="U2")
    assert status == 200
    assert bot.rt is not None
    rt = bot.rt

    async def promoted() -> Any:
        jobs = await rt.engine.recent_jobs("slack", "T0TEST", "U2", limit=5)
        return next((j for j in jobs if getattr(j.request, "resolution", None) == "1080P"), None)

    job = await until_async(promoted, "the promoted job", timeout=30)
    original = await rt.engine.get(first)
    assert original is not None
    assert job.request.seed == original.request.seed and job.request.prompt == original.request.prompt
    assert job.requester.user_id == "U2"  # U2's job, billed to U2, though U1 made the winner


async def test_an_approvers_check_mark_approves(bot: SlackBot) -> None:
    for text in ("settings approve_over 5", "settings approver_role U_BOSS"):
        status, _ = await bot.command(text, user="U_ADMIN")
        assert status == 200
    status, _ = await bot.command("video a lighthouse --duration 10")  # ¥6: over 5
    assert status == 200
    await until(lambda: any(m.blocks and "asks to spend" in m.text for m in bot.fake.posts()), what="the request")
    request = next(m for m in bot.fake.posts() if "asks to spend" in m.text)
    ask_id = next(el["value"] for b in request.blocks if b["type"] == "actions" for el in b["elements"]
                  if el["action_id"] == "wan_approve")
    assert bot.rt is not None
    rt = bot.rt

    async def ask() -> Any:
        return await rt.store.spend.get(ask_id)

    await bot.react("U1", request, "white_check_mark")  # the requester is no approver
    await bot.react("U2", request, "white_check_mark")  # nor is U2
    await until(lambda: len(bot.fake.called("conversations.history")) >= 2, what="both ✅ read the message")
    assert (await ask()).state == "pending"

    await bot.react("U_BOSS", request, "white_check_mark")

    async def started() -> Any:
        a = await ask()
        return a if a.state == "started" and a.job_ids else None

    settled = await until_async(started, "approved by the ✅ and started", timeout=30)
    assert settled.decided_by == "U_BOSS"
    job = await rt.engine.get(settled.job_ids[0])
    assert job is not None and job.requester.user_id == "U1"


def test_the_manifest_asks_for_reactions() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack-manifest.yml").read_text())
    assert "reactions:read" in manifest["oauth_config"]["scopes"]["bot"]
    assert {"reaction_added", "reaction_removed"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
