"""HTTP mode end to end: signed requests in, Web API calls out, one video delivered into its thread."""

from __future__ import annotations

import json
import time

from core.jobs import JobState
from tests.fakes.slack_server import TEAM
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
        status, body = await bot.command(text)
        # Answered inside the acknowledgement itself: Slack shows its text to the user alone.
        assert status == 200, body
        assert expected in json.loads(body)["text"], (text, body)
    assert bot.fake.called("chat.postEphemeral") == [] and bot.fake.responses == []
    assert bot.status_messages() == []
    assert bot.rt is not None and await bot.rt.store.active() == []


async def test_a_private_channel_without_the_bot_gets_an_invite_hint_not_a_job(bot: SlackBot) -> None:
    status, body = await bot.command("video a fox", channel="G_PRIVATE")
    assert status == 200
    # chat.postEphemeral cannot reach a channel the bot is not in; the acknowledgement can.
    assert "/invite @wanbot" in json.loads(body)["text"]
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
    assert usage.startswith("*Usage*") and "You, today: 1 video(s), 0 image(s), 2 s billed" in usage


async def test_an_image_is_a_job_stored_before_the_ack_and_delivered_by_the_engine(bot: SlackBot) -> None:
    status, body = await bot.command("image a red apple on a table --n 2")
    assert status == 200 and body == ""  # nothing to say: the status message says it
    assert bot.rt is not None
    [job] = await bot.rt.store.recent_for_user("slack", TEAM, "U1", limit=5)  # stored before Slack heard back
    assert job.request.prompt == "a red apple on a table"
    await until(lambda: bool(bot.status_messages()), what="the image job's status message")
    await until(lambda: sum(u.completed for u in bot.fake.uploads.values()) == 2, what="two images", timeout=30)
    first, second = [u for u in bot.fake.uploads.values() if u.completed]
    status_message = bot.status_messages()[0]
    assert job_id_of(status_message) == job.id
    assert first.channel_id == second.channel_id == "C_MEMBER"
    assert first.thread_ts == second.thread_ts == status_message.ts  # into the status message's thread
    assert first.head.startswith(b"\x89PNG") and first.received == first.length


HOSTILE = "<https://evil.example|Free Nitro> @here <!subteam^S1> *big* &amp; <#C_MEMBER>"


async def test_hostile_prompts_are_inert_in_every_echo(bot: SlackBot) -> None:
    message = await video(bot, f"video {HOSTILE} --negative <@U999> @everyone <mailto:a@b.c|x> --duration 2")
    job_id = job_id_of(message)
    await delivered(bot, message)
    [upload] = bot.fake.uploads.values()
    await bot.click("remix", job_id, user="U1")
    await until(lambda: bool(bot.fake.views), what="views.open")
    await bot.command(f"status {job_id}")
    await until(lambda: len(bot.ephemeral_texts()) >= 1, what="the status answer")

    shown = [json.dumps(message.blocks, ensure_ascii=False), message.text, upload.initial_comment or "",
             *bot.ephemeral_texts(), *message.history]
    for text in shown:
        for raw in ("<https://", "<!subteam", "<#C", "<@U999>", "<mailto", "@here", "@everyone"):
            assert raw not in text, (raw, text)
    blocks = json.dumps(message.blocks, ensure_ascii=False)
    assert "&lt;https://evil.example|Free Nitro&gt;" in blocks and "&amp;amp;" in blocks
    assert "&lt;@U999&gt;" in blocks  # the negative prompt, in its field
    assert "&lt;https://evil.example|Free Nitro&gt;" in (upload.initial_comment or "")
    mrkdwn = [o for b in message.blocks for o in [b.get("text") or {}, *b.get("elements", [])]
              if o.get("type") == "mrkdwn"]
    assert mrkdwn and all(o.get("verbatim") is True for o in mrkdwn)
    # The modal shows the prompt as plain text (an input and a plain_text title): literal, never parsed.
    modal = bot.fake.views[-1]["view"]
    assert modal["title"]["type"] == "plain_text" and modal["blocks"][0]["element"]["type"] == "plain_text_input"
    assert all(c.args.get("parse") == "none" for c in bot.fake.called("chat.postMessage") + bot.fake.called(
        "chat.update"))


async def test_a_slow_slack_is_a_try_again_inside_the_ack_not_a_missed_deadline(bot: SlackBot) -> None:
    bot.fake.delay("conversations.info", 10.0)  # Slack would answer long after its own 3 s deadline
    status, body = await bot.command("video a fox", channel="C_PUBLIC")
    assert status == 200
    assert json.loads(body)["text"] == "Slack didn't answer wanbot just now. Please try again in a moment."
    assert bot.rt is not None and await bot.rt.store.active() == []
