"""``/wan history`` on Slack (issue 13), through the real slack_sdk/bolt app against the fake Slack: the
channel's delivered results newest first as an ephemeral Block Kit message, filtered by a mention in Slack's
``<@U…|name>`` syntax and by text (case-insensitively), only this channel's; each entry links its message
through ``chat.getPermalink``; its **Use these settings** button opens the remix form pre-filled from
another person's job and starts a job of the clicker's with those settings — after a restart too."""

from __future__ import annotations

from typing import Any

from core.request import GenerationRequest
from tests.fakes.until import until as until_async
from tests.slack.conftest import SlackBot, delivered, job_id_of, until, video


async def _made(bot: SlackBot, text: str, *, user: str = "U1", channel: str = "C_MEMBER") -> str:
    message = await video(bot, text, user=user, channel=channel)
    await delivered(bot, message, timeout=30)
    job_id = job_id_of(message)
    assert bot.rt is not None
    rt = bot.rt
    await until_async(lambda: rt.store.archive.for_jobs([job_id]), f"job {job_id} archived", timeout=30)
    return job_id


async def _history(bot: SlackBot, text: str, *, user: str = "U1") -> list[dict[str, Any]]:
    before = len(bot.fake.ephemerals)
    status, _ = await bot.command(f"history {text}".strip(), user=user)
    assert status == 200
    await until(lambda: len(bot.fake.ephemerals) > before, what="the history answer")
    answer = bot.fake.ephemerals[-1]
    assert answer["user"] == user and answer["channel"] == "C_MEMBER"
    blocks: list[dict[str, Any]] = answer["blocks"]
    return blocks


def _entries(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["accessory"]["value"] for b in blocks if b.get("accessory", {}).get("action_id") == "wan_reuse"]


async def test_history_filters_links_and_reuses_settings_after_a_restart(bot: SlackBot) -> None:
    lighthouse = await _made(bot, "video A Lighthouse at dusk --ratio 9:16 --duration 2")
    fox = await _made(bot, "video a red fox in the snow <!channel> --duration 2", user="U2")
    elsewhere = await _made(bot, "video a lighthouse in another channel --duration 2", channel="C_PUBLIC")

    blocks = await _history(bot, "")
    assert _entries(blocks) == [fox, lighthouse]  # newest first; the other channel's is not here
    assert elsewhere not in str(blocks)
    text = "\n".join(b["text"]["text"] for b in blocks)
    assert "wan2.7-t2v · 720P · 9:16 · 2 s" in text and "👍 0" in text
    assert "<!channel>" not in text  # a prompt never pings (escaped)
    assert bot.rt is not None
    fox_job = await bot.rt.engine.get(fox)
    assert fox_job is not None and fox_job.delivered_ref is not None
    thread = fox_job.delivered_ref.conversation.thread_id
    # The thread message sharing the file (issue 14), at the ts Slack shared it at.
    shared = bot.fake.uploads[fox_job.delivered_ref.message_id].ts or f"{thread}.{fox_job.delivered_ref.message_id}"
    permalink = f"https://fake.slack.com/archives/C_MEMBER/p{shared.replace('.', '')}?thread_ts={thread}"
    assert f"<{permalink}|Open>" in text  # a Slack upload is a file: the message sharing it is the link
    assert bot.fake.called("chat.getPermalink")

    assert _entries(await _history(bot, "<@U2|u2>")) == [fox]
    assert _entries(await _history(bot, "<@U1> lighthouse")) == [lighthouse]
    assert _entries(await _history(bot, "@U2")) == [fox]  # unescaped: the user name (the fake's is the id)
    assert _entries(await _history(bot, "LIGHTHOUSE")) == [lighthouse]
    nothing = await _history(bot, "submarine")
    assert _entries(nothing) == [] and "Nothing delivered" in nothing[0]["text"]["text"]

    await bot.stop()
    await bot.start()  # a new process on the same database
    assert _entries(await _history(bot, "", user="U2")) == [fox, lighthouse]
    views = len(bot.fake.views)
    status, _ = await bot.click("reuse", lighthouse, user="U2")
    assert status == 200
    await until(lambda: len(bot.fake.views) > views, what="views.open")
    modal = bot.fake.views[-1]["view"]
    assert modal["callback_id"] == "wan_remix_modal"
    assert modal["blocks"][0]["element"]["initial_value"] == "A Lighthouse at dusk"
    before = {m.ts for m in bot.status_messages()}
    status, body = await bot.interact({
        "type": "view_submission", "api_app_id": "A0WANBOT", "token": "legacy",
        "team": {"id": "T0TEST"}, "user": {"id": "U2", "username": "u2", "team_id": "T0TEST"},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"],
                 "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input",
                                                            "value": "a lighthouse at dawn"}}}}},
    })
    assert status == 200 and body == ""
    await until(lambda: any(m.ts not in before for m in bot.status_messages()), what="the new job's status")
    made_id = job_id_of(next(m for m in bot.status_messages() if m.ts not in before))
    assert bot.rt is not None
    made, original = await bot.rt.engine.get(made_id), await bot.rt.engine.get(lighthouse)
    assert made is not None and original is not None
    assert made.requester.user_id == "U2" and made.request.prompt == "a lighthouse at dawn"
    assert isinstance(made.request, GenerationRequest) and isinstance(original.request, GenerationRequest)
    assert (made.request.model, made.request.resolution, made.request.ratio, made.request.duration) == (
        original.request.model, original.request.resolution, original.request.ratio, original.request.duration)
    # The status message's own Remix stays the owner's.
    await bot.click("remix", lighthouse, user="U2")
    await until(lambda: any("Only the person who asked" in t for t in bot.ephemeral_texts("U2")),
                what="the refusal")
