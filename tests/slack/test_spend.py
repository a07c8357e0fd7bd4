"""Issue 13 on Slack: spend that asks first, through real bolt / slack_sdk against the fake Slack Web API.

What DashScope was asked to make is read from the create bodies the ``WireTap`` saw.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.slack_server import TEAM
from tests.slack.conftest import SlackBot, job_id_of, until


def _asks(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    """The ephemerals ``user`` got that carry buttons (a held-back command's price)."""
    return [e for e in bot.fake.ephemerals if e["user"] == user and e.get("blocks")]


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id → value of the buttons in ``blocks``."""
    return {el["action_id"]: el["value"] for b in blocks if b["type"] == "actions" for el in b["elements"]}


async def _answer(bot: SlackBot, user: str, send: Any) -> str:
    before = len(bot.ephemeral_texts(user))
    status, _ = await send
    assert status == 200
    await until(lambda: len(bot.ephemeral_texts(user)) > before, what="an ephemeral answer")
    return bot.ephemeral_texts(user)[before]


async def test_confirm_once_across_a_restart_and_nobody_else_can(tap_bot: tuple[SlackBot, Any]) -> None:
    bot, tap = tap_bot
    text = await _answer(bot, "U1", bot.command("video a storm over the harbour --resolution 1080P --duration 15"))
    assert text == "This will cost about ¥15.00 (1080P, 15 s). Start it?"
    buttons = _buttons(_asks(bot, "U1")[-1]["blocks"])
    assert list(buttons) == ["wan_confirm", "wan_dismiss"]
    ask_id = buttons["wan_confirm"]
    assert tap.creates == [] and bot.status_messages() == []

    assert await _answer(bot, "U2", bot.click("confirm", ask_id, user="U2")) == (
        "Only the person who asked can confirm or cancel this.")

    await bot.stop()
    await bot.start()
    status, _ = await bot.click("confirm", ask_id)
    assert status == 200
    await until(lambda: len(bot.status_messages()) == 1, what="the status message")
    assert bot.rt is not None
    job = await bot.rt.engine.wait(job_id_of(bot.status_messages()[0]), timeout=60)
    assert job.state.value == "DELIVERED" and job.requester.user_id == "U1"
    made = [(c["body"]["parameters"]["resolution"], c["body"]["parameters"]["duration"]) for c in tap.creates]
    assert made == [("1080P", 15)]

    assert await _answer(bot, "U1", bot.click("confirm", ask_id)) == f"This was already started (job {job.id})."
    assert len(tap.creates) == 1

    # Cancel: nothing is made.
    await _answer(bot, "U1", bot.command("video a calm sea --resolution 1080P --duration 15"))
    dismiss = _buttons(_asks(bot, "U1")[-1]["blocks"])["wan_dismiss"]
    assert await _answer(bot, "U1", bot.click("dismiss", dismiss)) == "Cancelled; nothing was started or spent."
    assert len(tap.creates) == 1 and len(bot.status_messages()) == 1


async def test_settings_and_an_approval_by_a_listed_user(tap_bot: tuple[SlackBot, Any]) -> None:
    bot, tap = tap_bot
    shown = await _answer(bot, "U1", bot.command("settings"))
    assert "confirm_over = 10" in shown and "approver_role = admins" in shown
    assert await _answer(bot, "U1", bot.command("settings approve_over 5")) == (
        "Only this channel's admins may change its settings.")
    saved = await _answer(bot, "U_ADMIN", bot.command("settings approve_over ¥5", user="U_ADMIN"))
    assert saved == "Saved: approve_over = 5."
    assert await _answer(bot, "U_ADMIN", bot.command("settings approver_role U_BOSS, U_ADMIN",
                                                                  user="U_ADMIN")) == (
        "Saved: approver_role = U_BOSS, U_ADMIN.")

    assert await _answer(bot, "U1", bot.command("video a lighthouse --duration 10")) == (
        "This costs about ¥6.00, over this channel's approval limit: an approver has been asked.")
    await until(lambda: any(m.blocks and "asks to spend" in m.text for m in bot.fake.posts()), what="the request")
    request = next(m for m in bot.fake.posts() if "asks to spend" in m.text)
    assert request.channel == "C_MEMBER"
    assert "<@U1> asks to spend about ¥6.00 (720P, 10 s)" in request.blocks[0]["text"]["text"]
    ask_id = _buttons(request.blocks)["wan_approve"]

    assert await _answer(bot, "U1", bot.click("approve", ask_id)) == (
        "Only this channel's approvers can approve or decline this.")
    status, _ = await bot.click("approve", ask_id, user="U_BOSS")
    assert status == 200
    await until(lambda: len(bot.status_messages()) == 1, what="the approved job's status")
    assert bot.rt is not None
    job = await bot.rt.engine.wait(job_id_of(bot.status_messages()[0]), timeout=60)
    assert job.requester.user_id == "U1" and len(tap.creates) == 1
    assert await bot.rt.store.settings.get("slack", TEAM, "C_MEMBER") == {
        "approve_over": "5", "approver_role": ["U_BOSS", "U_ADMIN"]}
