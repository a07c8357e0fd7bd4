"""HTTP mode end to end: signed requests in, Web API calls out, one video delivered into its thread."""

from __future__ import annotations

import json
import time

from core.jobs import JobState
from tests.slack.conftest import DASHSCOPE_KEY, SlackBot, delivered, job_id_of, until, video


async def test_bad_signature_is_401_and_a_stale_timestamp_is_rejected(bot: SlackBot) -> None:
    body = bot.command_body("video a fox")
    status, _ = await bot.post(body, secret="not-the-secret")
    assert status == 401
    status, _ = await bot.post(body, timestamp=int(time.time()) - 6 * 60)
    assert status == 401
    assert bot.fake.called("chat.postMessage") == [] and bot.fake.ephemerals == []
    assert bot.rt is not None and await bot.rt.store.active() == []


async def test_a_video_is_posted_edited_once_per_state_and_uploaded_into_its_thread(bot: SlackBot) -> None:
    status, text = await bot.command("video “a red fox in the snow” --ar 9:16 --duration 2", channel="C_PUBLIC")
    assert status == 200 and text == ""  # the ack: empty (its speed is not asserted in a test)

    # The bot was not in the public channel: it looked, joined, then posted.
    await until(lambda: bool(bot.status_messages()), what="the status message")
    methods = [c.method for c in bot.fake.calls]
    assert methods.index("conversations.info") < methods.index("conversations.join") < methods.index(
        "chat.postMessage")
    message = bot.status_messages()[0]
    job_id = job_id_of(message)
    assert bot.rt is not None
    done = await bot.rt.engine.wait(job_id, timeout=20)
    assert done.state is JobState.DELIVERED, done.error_message
    await until(lambda: bot.shown_states(message)[-1] == "DELIVERED", what="the last edit")
    assert bot.shown_states(message) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]
    assert len(bot.fake.updates_of(message.ts)) == 4  # one chat.update per transition, no more

    [upload] = bot.fake.uploads.values()
    assert upload.completed and upload.channel_id == "C_PUBLIC" and upload.thread_ts == message.ts
    assert upload.received == upload.length > 1000 and upload.head[4:8] == b"ftyp"  # a real MP4, whole
    assert upload.filename == f"wan-{job_id}.mp4"
    assert job_id in (upload.initial_comment or "") and "9:16" in (upload.initial_comment or "")
    assert bot.sandbox.stats.tasks_created(DASHSCOPE_KEY) == 1

    final = message.blocks
    assert "Done" in json.dumps(final)
    buttons = [e for b in final if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["wan_reroll", "wan_remix", "wan_upscale", "wan_delete"]
    assert {b["value"] for b in buttons} == {job_id}


async def test_echoed_prompts_cannot_mention_anyone(bot: SlackBot) -> None:
    message = await video(bot, "video <!channel> <!here> hi <@U999> & <https://x.y|click>")
    posted = json.dumps(message.blocks) + message.text
    for raw in ("<!channel>", "<!here>", "<@U999>", "<https://"):
        assert raw not in posted
    assert "&lt;!channel&gt; &lt;!here&gt; hi &lt;@U999&gt; &amp; &lt;https://x.y|click&gt;" in posted
    await delivered(bot, message)
    [upload] = bot.fake.uploads.values()
    assert "<!channel>" not in (upload.initial_comment or "") and "&lt;!channel&gt;" in (upload.initial_comment or "")


async def test_bad_commands_get_one_ephemeral_sentence_and_queue_nothing(bot: SlackBot) -> None:
    cases = {
        "video a fox --duration 99": "duration must be a whole number of seconds from 2 to 15",
        "video a fox --ratio 2:1": "ratio must be 16:9, 9:16, 1:1, 4:3 or 3:4",
        "video a fox --sed 4": "unknown option --sed",
        "video --ar": "--ar needs a value",
        "video": "the prompt is empty",
        "dance": "unknown command 'dance'",
        "<!channel>": "unknown command '&lt;!channel&gt;'",  # even error messages echo safely
    }
    for text, expected in cases.items():
        count = len(bot.ephemeral_texts())
        status, body = await bot.command(text)
        assert status == 200 and body == ""
        await until(lambda: len(bot.ephemeral_texts()) > count, what=f"a reply to {text!r}")  # noqa: B023
        assert expected in bot.ephemeral_texts()[-1], (text, bot.ephemeral_texts()[-1])
    assert bot.status_messages() == []
    assert bot.rt is not None and await bot.rt.store.active() == []


async def test_a_private_channel_without_the_bot_gets_an_invite_hint_not_a_job(bot: SlackBot) -> None:
    status, _ = await bot.command("video a fox", channel="G_PRIVATE")
    assert status == 200
    # chat.postEphemeral cannot reach a channel the bot is not in: the answer goes through response_url.
    await until(lambda: bool(bot.fake.responses), what="the response_url answer")
    answer = bot.fake.responses[-1]
    assert answer["response_type"] == "ephemeral" and "/invite @wanbot" in answer["text"]
    assert bot.fake.called("conversations.join") == [] and bot.status_messages() == []
    assert bot.rt is not None and await bot.rt.store.active() == []


async def test_help_status_usage_and_cancel_commands(bot: SlackBot) -> None:
    await bot.command("help")
    await until(lambda: len(bot.ephemeral_texts()) == 1)
    help_text = bot.ephemeral_texts()[-1]
    assert help_text.startswith("```") and "/wan video &lt;prompt&gt;" in help_text

    await bot.command("status")
    await until(lambda: len(bot.ephemeral_texts()) == 2)
    assert "no job in progress" in bot.ephemeral_texts()[-1]

    message = await video(bot, "video a kite over the sea --duration 2")
    job_id = job_id_of(message)
    await bot.command(f"status {job_id.upper()}")
    await until(lambda: len(bot.ephemeral_texts()) == 3)
    assert f"[{job_id}]" in bot.ephemeral_texts()[-1]

    await bot.command("cancel nosuchjob")
    await until(lambda: len(bot.ephemeral_texts()) == 4)
    assert "can't find job nosuchjob" in bot.ephemeral_texts()[-1]

    await delivered(bot, message)
    await bot.command("usage")
    await until(lambda: len(bot.ephemeral_texts()) == 5)
    usage = bot.ephemeral_texts()[-1]
    assert usage.startswith("*Usage*") and "You, today: 1 video(s), 2 s billed" in usage


async def test_images_are_generated_and_uploaded_to_the_channel(bot: SlackBot) -> None:
    status, _ = await bot.command("image a red apple on a table --n 2")
    assert status == 200
    await until(lambda: sum(u.completed for u in bot.fake.uploads.values()) == 2, what="two images")
    first, second = bot.fake.uploads.values()
    assert first.channel_id == second.channel_id == "C_MEMBER" and first.thread_ts is None
    assert first.head.startswith(b"\x89PNG") and first.received == first.length
    assert (first.initial_comment or "").startswith("🖼️ a red apple on a table — 2K, 2 image(s)")
    assert bot.ephemeral_texts()[0].startswith("Generating 2 image(s)")
