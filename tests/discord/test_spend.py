"""Issue 13 on Discord: spend that asks first — the price and Confirm / Cancel, approvals, ``/wan settings``.

Through the real discord.py client against the fake Discord and the sandbox; what DashScope was asked to
make is read from the sandbox's received create bodies (``BotEnv.creates``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.discord.conftest import ephemeral_reply, job_id_of, status_id
from tests.fakes.discord_server import MEMBER_PERMISSIONS

MANAGE_CHANNELS = 1 << 4
MANAGER = MEMBER_PERMISSIONS | MANAGE_CHANNELS


def _buttons(fake: Any, message_id: int) -> dict[str, str]:
    """label → custom_id of a message's buttons."""
    return {c["label"]: c["custom_id"] for row in fake.messages[message_id].components for c in row["components"]}


def _asked(fake: Any, inter: Any) -> int:
    msg = fake.message_of(inter)
    assert msg is not None and msg.ephemeral, "the price is the requester's alone"
    return int(msg.id)


async def test_a_costly_video_waits_for_its_requesters_confirm_even_across_a_restart(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()

    inter = await fake.slash(fake.alice, "video", prompt="a storm over the harbour", resolution="1080P", duration=15)
    assert await ephemeral_reply(fake, inter) == "This will cost about ¥15.00 (1080P, 15 s). Start it?"
    asked = _asked(fake, inter)
    buttons = _buttons(fake, asked)
    assert list(buttons) == ["Confirm", "Cancel"]
    assert env.creates == [] and await env.stored_job_ids() == set()  # nothing stored, queued or created

    # Someone else's click is refused, and starts nothing.
    bobs = await fake.click(fake.bob, asked, buttons["Confirm"])
    assert await ephemeral_reply(fake, bobs) == "Only the person who asked can confirm or cancel this."

    # A restart between the ask and the confirm: the ask is stored, the button still works.
    await bot.stop()
    bot = await env.start()
    confirmed = await fake.click(fake.alice, asked, buttons["Confirm"])
    await fake.wait_for(lambda: fake.message_of(confirmed) is not None)
    job_id = job_id_of(fake, status_id(fake, confirmed))
    done = await bot.rt.engine.wait(job_id, timeout=60)
    assert done.state.value == "DELIVERED"
    assert [(body["parameters"]["resolution"], body["parameters"]["duration"]) for _, body in env.creates] == [
        ("1080P", 15)]

    # A second click starts nothing more.
    again = await fake.click(fake.alice, asked, buttons["Confirm"])
    assert await ephemeral_reply(fake, again) == f"This was already started (job {job_id})."
    assert len(env.creates) == 1 and await env.stored_job_ids() == {job_id}

    # A cheap video goes straight through.
    cheap = await fake.slash(fake.alice, "video", prompt="a kite", duration=2)
    await fake.wait_for(lambda: fake.message_of(cheap) is not None)
    assert not fake.message_of(cheap).ephemeral


async def test_cancel_starts_nothing_and_a_late_click_has_expired(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()

    first = await fake.slash(fake.alice, "video", prompt="a storm", resolution="1080P", duration=15)
    await ephemeral_reply(fake, first)
    cancelled = await fake.click(fake.alice, _asked(fake, first), _buttons(fake, _asked(fake, first))["Cancel"])
    assert await ephemeral_reply(fake, cancelled) == "Cancelled; nothing was started or spent."

    second = await fake.slash(fake.alice, "video", prompt="a calm sea", resolution="1080P", duration=15)
    await ephemeral_reply(fake, second)
    gate = bot.rt.actions.spend.gate
    real_now = gate.now
    gate.now = lambda: real_now() + timedelta(minutes=11)  # the clock moves past the ten minutes
    late = await fake.click(fake.alice, _asked(fake, second), _buttons(fake, _asked(fake, second))["Confirm"])
    assert await ephemeral_reply(fake, late) == "This confirmation expired; ask again if you still want it."
    assert env.creates == [] and await env.stored_job_ids() == set()


async def test_settings_then_an_approval_only_an_approver_can_give(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()
    approvers = next(rid for rid, name in fake.guild.roles.items() if name == "video-makers")

    shown = await fake.slash(fake.alice, "settings")
    text = await ephemeral_reply(fake, shown)
    # (shown as plain text: Discord's markup characters escaped)
    assert "confirm\\_over = 10 — Ask the requester to confirm" in text and "approve\\_over = off" in text
    refused = await fake.slash(fake.alice, "settings", name="approve_over", value="5")
    assert await ephemeral_reply(fake, refused) == "Only this channel's admins may change its settings."
    bad = await fake.slash(fake.mod, "settings", name="approve_over", value="lots", permissions=MANAGER)
    assert await ephemeral_reply(fake, bad) == (
        "That request doesn't work: approve\\_over takes an amount in yuan (e.g. 15) or off, not 'lots'.")
    for name, value in (("approve_over", "5"), ("approver_role", f"<@&{approvers}>")):
        saved = await fake.slash(fake.mod, "settings", name=name, value=value, permissions=MANAGER)
        assert (await ephemeral_reply(fake, saved)).startswith(f"Saved: {name.replace('_', chr(92) + '_')} = ")

    inter = await fake.slash(fake.alice, "video", prompt="a lighthouse", duration=10)  # 720P × 10 s = ¥6
    assert await ephemeral_reply(fake, inter) == (
        "This costs about ¥6.00, over this channel's approval limit: an approver has been asked.")
    public = await fake.wait_for(lambda: next((m for m in fake.messages.values() if m.interaction_id == inter.id
                                               and m.via == "webhook" and not m.ephemeral), None))
    assert public.content == (
        f"<@{fake.alice.id}> asks to spend about ¥6.00 (720P, 10 s): waiting for an approver.")
    buttons = _buttons(fake, public.id)
    assert list(buttons) == ["✅ Approve", "Decline"]

    own = await fake.click(fake.alice, public.id, buttons["✅ Approve"])
    assert await ephemeral_reply(fake, own) == "Only this channel's approvers can approve or decline this."
    assert env.creates == []

    await bot.stop()  # a pending approval survives a restart
    bot = await env.start()
    approved = await fake.click(fake.bob, public.id, buttons["✅ Approve"], roles=[approvers])
    await fake.wait_for(lambda: fake.message_of(approved) is not None)
    job = await env.job(bot, job_id_of(fake, status_id(fake, approved)))
    assert job.requester.user_id == str(fake.alice.id)  # Alice's job, approved by Bob
    await bot.rt.engine.wait(job.id, timeout=60)
    assert len(env.creates) == 1

    # Declined: the requester is told in the channel (pinging her alone), nothing is made.
    other = await fake.slash(fake.alice, "video", prompt="a second lighthouse", duration=10)
    await ephemeral_reply(fake, other)
    public2 = await fake.wait_for(lambda: next((m for m in fake.messages.values() if m.interaction_id == other.id
                                                and m.via == "webhook" and not m.ephemeral), None))
    declined = await fake.click(fake.bob, public2.id, _buttons(fake, public2.id)["Decline"], roles=[approvers])
    assert await ephemeral_reply(fake, declined) == "Declined; nothing was started."
    notice = await fake.wait_for(lambda: next((m for m in fake.messages.values()
                                               if "was declined" in (m.content or "")), None))
    assert notice.content.startswith(f"<@{fake.alice.id}> your request (about ¥6.00, 720P, 10 s) was declined")
    assert len(env.creates) == 1
