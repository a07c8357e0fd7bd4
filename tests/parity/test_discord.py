"""Every action the README's parity table lists for Discord, done through Discord: the real discord.py
client against the fake Discord, with a ``RecordingActions`` as the host's use cases. Each must reach its
``ChatActions`` method and show the person what that action shows."""

from __future__ import annotations

from typing import Any

from core.jobs import JobState
from core.request import ImageRequest
from tests.discord.conftest import button_ids, ephemeral_reply, job_id_of, make_env, status_id
from tests.discord.images import png
from tests.fakes.discord_server import MEMBER_PERMISSIONS
from tests.parity.spy import RecordingActions
from tests.parity.table import on

__all__ = ["make_env"]  # the Discord end-to-end fixture, used here too


def spy(rt: Any) -> RecordingActions:
    a = rt.actions
    return RecordingActions(rt.engine, rt.messages, allow=a.allow, audio=a.audio, stash=a.stash, images=a.images,
                            history=a.history_desk, archive=a.archive, spend=a.spend)


def test_the_table_lists_every_action_for_discord() -> None:
    assert sorted(on("discord")) == sorted(["video", "image", "storyboard", "status", "cancel", "usage", "reroll",
                                            "remix", "upscale", "delete", "defaults", "help", "edit_image",
                                            "animate", "history", "settings", "confirm", "approve"])


async def test_every_action_on_discord_goes_through_its_use_case(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start(actions=spy)
    recorder = _recorder(bot)
    seen: dict[str, str] = {}

    def reached(action: str) -> None:
        assert action in recorder.called, (action, recorder.called)
        seen[action] = "ok"
        recorder.called.clear()

    # video: a public status message, then the MP4.
    video = await fake.slash(fake.alice, "video", prompt="a kite", duration=2, model="wan2.6-t2v", shot_type="multi")
    await fake.wait_for(lambda: fake.response_to(video))
    status = status_id(fake, video)
    job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=20)
    assert job.state is JobState.DELIVERED and job.request.shot_type == "multi"
    reached("video")
    await fake.wait_for(lambda: f"wan:upscale:{job.id}" in button_ids(fake, status))

    # status: ephemeral embeds of the caller's newest jobs.
    peek = await fake.slash(fake.alice, "status")
    assert "Done" in await ephemeral_reply(fake, peek)
    reached("status")

    # cancel: typed, on a job that has finished.
    cancel = await fake.slash(fake.alice, "cancel", job=job.id)
    assert await ephemeral_reply(fake, cancel) == f"Job {job.id} has already finished."
    reached("cancel")

    usage = await fake.slash(fake.alice, "usage")
    assert "You, today: 1 video(s)" in await ephemeral_reply(fake, usage)
    reached("usage")

    defaults = await fake.slash(fake.alice, "defaults")
    assert await ephemeral_reply(fake, defaults) == "This channel has no defaults: videos use each model's own."
    reached("defaults")

    help_ = await fake.slash(fake.alice, "help")
    assert "shot_type" in await ephemeral_reply(fake, help_)
    reached("help")

    # The buttons: Re-roll and 1080P answer with a new job's public status message, Remix with a modal.
    for action in ("reroll", "upscale"):
        click = await fake.click(fake.alice, status, f"wan:{action}:{job.id}")
        callback = await fake.wait_for(lambda: fake.response_to(click))  # noqa: B023
        assert callback.type == 4 and callback.data["embeds"], action
        made = await env.job(bot, job_id_of(fake, status_id(fake, click)))
        assert made.id != job.id and made.request.prompt == "a kite", action
        reached(action)
    remix = await fake.click(fake.alice, status, f"wan:remix:{job.id}")
    assert (await fake.wait_for(lambda: fake.response_to(remix))).type == 9
    submitted = await fake.submit_modal(fake.alice, remix, ["a kite at night"])
    await fake.wait_for(lambda: fake.response_to(submitted))
    assert (await env.job(bot, job_id_of(fake, status_id(fake, submitted)))).request.prompt == "a kite at night"
    reached("remix")

    # storyboard: the options are checked, the modal opens, submitting makes the job (Bob's: Alice is at her cap).
    opened = await fake.slash(fake.bob, "storyboard", duration=4)
    assert (await fake.wait_for(lambda: fake.response_to(opened))).type == 9
    shots = await fake.submit_modal(fake.bob, opened, ["a harbour", "a gull", "", "", ""])
    assert (await fake.wait_for(lambda: fake.response_to(shots))).data.get("embeds"), fake.response_to(shots)
    board = await env.job(bot, job_id_of(fake, status_id(fake, shots)))
    assert board.request.prompt.startswith("Shot 1 [0-2 seconds] a harbour")
    reached("storyboard")

    # history: an ephemeral list of this channel's results, each with Use these settings.
    history = await fake.slash(fake.bob, "history", user=fake.alice, text="KITE")
    listed = await fake.wait_for(lambda: fake.response_to(history))
    assert listed.data["flags"] & 64 and job.id in listed.data["embeds"][0]["description"]
    listing = fake.message_of(history)
    assert listing is not None and f"wan:reuse:{job.id}" in button_ids(fake, listing.id)
    reached("history")
    reuse = await fake.click(fake.bob, listing.id, f"wan:reuse:{job.id}")
    assert (await fake.wait_for(lambda: fake.response_to(reuse))).type == 9  # the remix modal, for Bob
    recorder.called.clear()

    delete = await fake.click(fake.alice, status, f"wan:delete:{job.id}")
    assert await ephemeral_reply(fake, delete) == "Deleted."
    await fake.wait_for(lambda: fake.messages[status].deleted)
    reached("delete")

    # image, edit_image, animate, and issue 13's settings, confirm, approve: the tests below.
    assert sorted(seen) == sorted(a for a in on("discord") if a not in (
        "image", "edit_image", "animate", "settings", "confirm", "approve"))


async def test_settings_confirm_and_approve_on_discord_go_through_their_use_cases(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start(actions=spy)
    recorder = _recorder(bot)
    manager = MEMBER_PERMISSIONS | (1 << 4)

    saved = await fake.slash(fake.mod, "settings", name="approve_over", value="12", permissions=manager)
    assert (await ephemeral_reply(fake, saved)).startswith("Saved: approve")
    assert "settings" in recorder.called

    asked = await fake.slash(fake.alice, "video", prompt="a storm", resolution="1080P", duration=11)  # ¥11
    assert await ephemeral_reply(fake, asked) == "This will cost about ¥11.00 (1080P, 11 s). Start it?"
    price = fake.message_of(asked)
    confirmed = await fake.click(fake.alice, price.id, button_ids(fake, price.id)[0])
    await fake.wait_for(lambda: fake.message_of(confirmed) is not None)
    assert not fake.message_of(confirmed).ephemeral and "confirm" in recorder.called

    over = await fake.slash(fake.bob, "video", prompt="a longer storm", resolution="1080P", duration=13)  # ¥13
    await ephemeral_reply(fake, over)
    request = await fake.wait_for(lambda: next((m for m in fake.messages.values() if m.interaction_id == over.id
                                                and not m.ephemeral), None))
    approved = await fake.click(fake.mod, request.id, button_ids(fake, request.id)[0], permissions=manager)
    await fake.wait_for(lambda: fake.message_of(approved) is not None)
    assert "approve" in recorder.called


async def test_an_image_on_discord_goes_through_its_use_case(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start(actions=spy)
    image = await fake.slash(fake.alice, "image", prompt="a red kite", watermark=True, thinking_mode=False)
    callback = await fake.wait_for(lambda: fake.response_to(image))
    assert "image" in _recorder(bot).called
    assert callback.type == 4 and callback.data.get("embeds"), callback.data
    job = await bot.rt.engine.wait(job_id_of(fake, status_id(fake, image)), timeout=20)
    assert isinstance(job.request, ImageRequest) and job.request.watermark and not job.request.thinking_mode
    assert job.state is JobState.DELIVERED, job.error_message
    await fake.wait_for(lambda: [u for u in fake.uploads if u.filename == f"wan-{job.id}-1.png"])


def _recorder(bot: Any) -> RecordingActions:
    handlers = bot.port._client.handlers
    recorder = handlers.actions
    assert isinstance(recorder, RecordingActions)
    return recorder


async def test_editing_and_animating_on_discord_go_through_their_use_cases(make_env) -> None:  # type: ignore[no-untyped-def]
    """``/wan image`` with attachments and **Edit with Wan** reach ``edit_image``; ``/wan animate``,
    **Animate with Wan** and the **Animate** button reach ``animate``; each answers with a public status."""
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start(actions=spy)
    recorder = _recorder(bot)

    async def made(inter: Any, use_case: str) -> Any:
        callback = await fake.wait_for(lambda: fake.response_to(inter))
        assert callback.type == 4 and callback.data.get("embeds"), callback.data
        assert use_case in recorder.called, (use_case, recorder.called)
        recorder.called.clear()
        return await bot.rt.engine.wait(job_id_of(fake, status_id(fake, inter)), timeout=30)

    edit = await fake.slash(fake.alice, "image", prompt="add a moon", image=fake.attachment("a.png", png()))
    edited = await made(edit, "edit_image")
    assert isinstance(edited.request, ImageRequest) and len(edited.request.images) == 1
    assert edited.state is JobState.DELIVERED, edited.error_message

    posted = fake.user_message(fake.bob, attachments=[fake.attachment("b.png", png(rgb=(1, 2, 3)))])
    menu = await fake.message_command(fake.alice, "Edit with Wan", posted.id)
    assert (await fake.wait_for(lambda: fake.response_to(menu))).type == 9
    await made(await fake.submit_modal(fake.alice, menu, ["a sunset"]), "edit_image")

    typed = await fake.slash(fake.bob, "animate", image=fake.attachment("c.png", png()), duration=2)
    assert (await made(typed, "animate")).request.model == "wan2.7-i2v"

    menu = await fake.message_command(fake.bob, "Animate with Wan", posted.id)
    assert (await fake.wait_for(lambda: fake.response_to(menu))).type == 9
    await made(await fake.submit_modal(fake.bob, menu, ["it rains"]), "animate")

    status = status_id(fake, edit)
    await fake.wait_for(lambda: f"wan:animate:{edited.id}" in button_ids(fake, status))
    click = await fake.click(fake.alice, status, f"wan:animate:{edited.id}")
    assert (await fake.wait_for(lambda: fake.response_to(click))).type == 9
    from_result = await made(await fake.submit_modal(fake.alice, click, [""]), "animate")
    assert from_result.request.prompt == ""
