"""Issue 14: options whose values depend on the model are completed from the catalogue as they are typed.

Through the real discord.py: the fake sends APPLICATION_COMMAND_AUTOCOMPLETE (type 4) with the option
being typed marked ``focused`` and the options filled in so far; the bot answers type 8 with ``choices``.
"""

from __future__ import annotations

from typing import Any

from tests.discord.conftest import ephemeral_reply
from tests.fakes.discord_server import MEMBER_PERMISSIONS, FakeDiscord

MANAGE_CHANNELS = 1 << 4


async def offered(fake: FakeDiscord, sub: str, focused: str, typed: str = "", **options: Any) -> list[Any]:
    inter = await fake.autocomplete(fake.alice, sub, focused, typed, **options)
    await fake.wait_for(lambda: fake.suggestions(inter) is not None)
    return list(fake.suggestions(inter) or [])


async def test_resolutions_follow_the_model_picked_and_what_is_typed(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    await env.start()

    # wan2.7 renders 720P and 1080P: 480P is never offered; without a model, the default (wan2.7) is meant.
    assert await offered(fake, "video", "resolution", model="wan2.7-t2v") == ["720P", "1080P"]
    assert await offered(fake, "video", "resolution") == ["720P", "1080P"]
    # A model that renders 480P offers it, lowest first.
    assert await offered(fake, "video", "resolution", model="wan2.5-t2v-preview") == ["480P", "720P", "1080P"]
    assert await offered(fake, "video", "resolution", model="wan2.1-t2v-turbo") == ["480P", "720P"]
    # What is typed filters (case-insensitive, prefix first).
    assert await offered(fake, "video", "resolution", "10", model="wan2.5-t2v-preview") == ["1080P"]
    assert await offered(fake, "video", "resolution", "4", model="wan2.5-t2v-preview") == ["480P"]
    assert await offered(fake, "video", "resolution", "48", model="wan2.7-t2v") == []
    assert await offered(fake, "storyboard", "resolution", "7", model="wan2.2-t2v-plus") == []
    assert await offered(fake, "animate", "resolution") == ["720P", "1080P"]


async def test_durations_ratios_shot_types_and_image_sizes_follow_the_model(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    await env.start()

    # Whole seconds, as integers, labelled "N s".
    assert await offered(fake, "video", "duration", model="wan2.5-t2v-preview") == [5, 10]
    assert await offered(fake, "video", "duration", model="wan2.2-t2v-plus") == [5]
    assert await offered(fake, "video", "duration", "1", model="wan2.7-t2v") == [10, 11, 12, 13, 14, 15]
    inter = await fake.autocomplete(fake.alice, "video", "duration", "5", model="wan2.5-t2v-preview")
    await fake.wait_for(lambda: fake.suggestions(inter) is not None)
    response = fake.response_to(inter)
    assert response is not None and response.data["choices"] == [{"name": "5 s", "value": 5}]
    assert await offered(fake, "animate", "duration", "2") == [2, 12]  # starts with it, then contains it

    assert await offered(fake, "video", "ratio", model="wan2.6-t2v") == ["16:9", "9:16", "1:1", "4:3", "3:4"]
    assert await offered(fake, "video", "ratio", "9", model="wan2.7-t2v", resolution="1080P") == ["9:16", "16:9"]
    # wan2.7 has no shot types; wan2.6 has two.
    assert await offered(fake, "video", "shot_type", model="wan2.7-t2v") == []
    assert await offered(fake, "video", "shot_type", model="wan2.6-t2v") == ["single", "multi"]
    # Image sizes: 4K only for the pro model.
    assert await offered(fake, "image", "size") == ["1K", "2K"]
    assert await offered(fake, "image", "size", model="wan2.7-image-pro") == ["1K", "2K", "4K"]


async def test_without_a_model_a_new_video_offers_what_the_channel_default_model_takes(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    await env.start()
    saved = await fake.slash(fake.mod, "defaults", model="wan2.1-t2v-turbo",
                             permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS)
    assert "Saved." in await ephemeral_reply(fake, saved)

    assert await offered(fake, "video", "resolution") == ["480P", "720P"]
    assert await offered(fake, "video", "duration") == [5]
    # A model picked in the command wins; /wan defaults itself replaces them, so it starts from wan2.7.
    assert await offered(fake, "video", "resolution", model="wan2.7-t2v") == ["720P", "1080P"]
    assert await offered(fake, "defaults", "resolution") == ["720P", "1080P"]


async def test_a_value_typed_by_hand_that_the_model_does_not_take_is_still_refused(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    bot = await env.start()

    # Autocomplete only suggests: the option is free text, so core keeps the last word, in one sentence.
    wrong = await fake.slash(fake.alice, "video", prompt="a fox", model="wan2.7-t2v", resolution="480P")
    assert await ephemeral_reply(fake, wrong) == (
        "That request doesn't work: resolution must be 720P or 1080P for wan2.7-t2v.")
    small = await fake.slash(fake.alice, "image", prompt="a fox", size="4K")
    assert await ephemeral_reply(fake, small) == "That request doesn't work: size must be 1K or 2K for wan2.7-image."
    assert await bot.rt.store.active() == []


async def test_the_model_dependent_options_are_registered_with_autocomplete(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    await env.start()
    _, wan = fake.registered("wan")
    assert wan is not None
    subs = {s["name"]: {o["name"]: o for o in s.get("options", [])} for s in wan["options"]}
    completed = {(sub, name) for sub, options in subs.items() for name, o in options.items() if o.get("autocomplete")}
    assert completed == {
        ("video", "resolution"), ("video", "ratio"), ("video", "duration"), ("video", "shot_type"),
        ("storyboard", "resolution"), ("storyboard", "ratio"), ("storyboard", "duration"),
        ("image", "size"), ("animate", "resolution"), ("animate", "duration"),
        ("defaults", "resolution"), ("defaults", "ratio"), ("defaults", "duration"),
    }
    # The model itself stays a fixed list (every model, from the catalogue).
    assert [c["value"] for c in subs["video"]["model"]["choices"]][0] == "wan2.7-t2v"


def test_the_fake_refuses_what_discord_refuses() -> None:
    """An option with both choices and autocomplete is refused at registration; an answer is 25 choices at most."""
    from tests.fakes.discord_fake.rest import _choices_and_autocomplete, _valid_choices

    option = {"name": "resolution", "type": 3, "autocomplete": True, "choices": [{"name": "720P", "value": "720P"}]}
    wan = {"name": "wan", "options": [{"name": "video", "type": 1, "options": [option]}]}
    assert _choices_and_autocomplete([wan]) == "wan video resolution"
    assert _choices_and_autocomplete([{"name": "wan", "options": [{**option, "choices": []}]}]) is None
    assert _valid_choices([{"name": "5 s", "value": 5}] * 25) and not _valid_choices([{"name": "5 s", "value": 5}] * 26)
    assert not _valid_choices([{"name": "", "value": "x"}])
