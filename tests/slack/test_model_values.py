"""Issue 14 on Slack: slash commands have no option completion, so the values each model takes are said.

``/wan help`` lists them per model (from the catalogue), and a value the chosen model does not take is
refused in one sentence naming the ones it does — for that model, not the default one.
"""

from __future__ import annotations

import json

from tests.slack.conftest import SlackBot, until


async def test_help_lists_each_models_own_values(bot: SlackBot) -> None:
    await bot.command("help")
    await until(lambda: len(bot.ephemeral_texts()) == 1)
    said = bot.ephemeral_texts()[-1]
    assert "What each model takes (--model):" in said
    assert "wan2.7-t2v: 720P, 1080P; from 2 to 15 s" in said
    assert "wan2.5-t2v-preview: 480P, 720P, 1080P; 5 or 10 s" in said
    assert "wan2.7-i2v (/wan animate): 720P, 1080P" in said
    assert "wan2.7-image-pro (/wan image): 1K, 2K, 4K" in said


async def test_a_value_the_chosen_model_does_not_take_is_refused_with_its_own_values(bot: SlackBot) -> None:
    cases = {
        "video a fox --model wan2.7-t2v --resolution 480P": "resolution must be 720P or 1080P for wan2.7-t2v",
        "video a fox --model wan2.1-t2v-turbo --resolution 1080P":
            "resolution must be 480P or 720P for wan2.1-t2v-turbo",
        "video a fox --model wan2.5-t2v-preview --duration 7":
            "duration must be a whole number of seconds 5 or 10 for wan2.5-t2v-preview",
        "image a fox --size 4K": "size must be 1K or 2K for wan2.7-image",
    }
    for text, expected in cases.items():
        status, body = await bot.command(text)
        assert status == 200 and expected in json.loads(body)["text"], (text, body)
    assert bot.rt is not None and await bot.rt.store.active() == []
