"""The prompt Wan rendered on Slack: a context block on the finished message, and a remix from it.

Prompt extension's rewrite comes back as ``output.actual_prompt`` on wan2.6 and earlier (the sandbox,
like the service, reports one only with prompt_extend on; the seed's wan2.7-t2v answers carry none).
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import escape
from sandbox.render import extended_prompt
from tests.slack.conftest import SlackBot, delivered, job_id_of, until, video

PROMPT = "a paper boat <!channel> & a *kite*"


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _contexts(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]


async def test_finished_message_shows_wans_prompt_and_remix_starts_from_it(bot: SlackBot) -> None:
    first = await video(bot, f"video {PROMPT} --model wan2.6-t2v --duration 2")
    job_id = job_id_of(first)
    await delivered(bot, first)
    assert bot.shown_states(first)[-1] == "DELIVERED"
    rewrite = extended_prompt(PROMPT)
    # Escaped like every echoed text: the broadcast stays text, and the element is sent verbatim.
    assert f"*Prompt Wan used:* {escape(rewrite)}" in _contexts(first.blocks)
    assert "<!channel>" not in str(first.blocks)
    buttons = _buttons(first.blocks)
    assert buttons.index("wan_remixwan") == buttons.index("wan_remix") + 1

    await bot.click("remix", job_id, user="U1")
    await until(lambda: len(bot.fake.views) == 1, what="the remix modal")
    assert bot.fake.views[-1]["view"]["blocks"][0]["element"]["initial_value"] == PROMPT

    await bot.click("remixwan", job_id, user="U1")
    await until(lambda: len(bot.fake.views) == 2, what="the remix-from-Wan's-prompt modal")
    modal = bot.fake.views[-1]["view"]
    assert modal["callback_id"] == "wan_remix_modal" and len(modal["title"]["text"]) <= 24
    assert modal["title"]["text"] == f"Wan's prompt, {job_id}"
    assert modal["blocks"][0]["element"]["initial_value"] == rewrite

    submission = {
        "type": "view_submission", "api_app_id": "A0WANBOT", "token": "legacy",
        "team": {"id": "T0TEST"}, "user": {"id": "U1", "username": "u1", "team_id": "T0TEST"},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"],
                 "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input", "value": rewrite}}}}},
    }
    status, body = await bot.interact(submission)
    assert status == 200 and body == ""
    await until(lambda: bool(bot.ephemeral_texts("U1")), what="the remix answer")
    text = bot.ephemeral_texts("U1")[-1]
    assert text.startswith(f"Remixing job {job_id} as job ")
    assert bot.rt is not None
    remix = await bot.rt.engine.get(text.split(" as job ")[-1].rstrip("."))
    assert remix is not None and remix.request.prompt == rewrite and remix.request.model == "wan2.6-t2v"


async def test_no_rewrite_no_context_and_no_button(bot: SlackBot) -> None:
    off = await video(bot, "video a fox --model wan2.6-t2v --duration 2 --no-extend")
    await delivered(bot, off)
    plain27 = await video(bot, "video a fox --duration 2")
    await delivered(bot, plain27)
    for message in (off, plain27):
        assert bot.shown_states(message)[-1] == "DELIVERED"
        assert not any("Prompt Wan used" in t for t in _contexts(message.blocks))
        assert "wan_remixwan" not in _buttons(message.blocks)
