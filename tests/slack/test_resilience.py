"""A restart mid-job, Slack's rate limits and 5xx answers, and a bot removed from its channel."""

from __future__ import annotations

from tests.slack.conftest import DASHSCOPE_KEY, SlackBot, delivered, job_id_of, until, video


async def test_a_restart_mid_job_edits_the_same_message_and_uploads_once(bot: SlackBot) -> None:
    message = await video(bot, "video a slow sunrise --duration 3")
    job_id = job_id_of(message)
    await until(lambda: bot.shown_states(message)[-1] == "RUNNING", what="RUNNING shown")
    assert bot.rt is not None
    engine = bot.rt.engine
    # The engine records what it showed right after the edit; a crash between the two would (harmlessly)
    # repeat the edit on restart, so stop once the record is there.
    await until(lambda: (j := engine.peek(job_id)) is not None and j.shown_state == "RUNNING")

    await bot.stop()  # the process goes away while DashScope keeps generating
    await bot.start()  # a fresh runtime and Slack app over the same database
    await delivered(bot, message)

    assert bot.shown_states(message) == ["QUEUED", "PENDING", "RUNNING", "SUCCEEDED", "DELIVERED"]
    # One status post; besides it at most the requester's one ping (issue 14), never a second status.
    posts = [str(c.args.get("text", "")) for c in bot.fake.called("chat.postMessage")]
    assert len([t for t in posts if t.startswith("[")]) == 1, posts
    assert len(posts) <= 2 and all(t.startswith(("[", "<@U1>")) for t in posts), posts
    assert {u["ts"] for u in bot.fake.updates} == {message.ts}
    completed = [u for u in bot.fake.uploads.values() if u.completed]
    assert len(completed) == 1 and completed[0].thread_ts == message.ts
    assert bot.sandbox.stats.tasks_created(DASHSCOPE_KEY) == 1

    # The buttons of a message posted by the previous process still work.
    await bot.click("reroll", job_id, user="U1")
    await until(lambda: any(t.startswith(f"Re-rolling job {job_id}") for t in bot.ephemeral_texts("U1")))


async def test_rate_limited_edits_are_retried_after_retry_after(bot: SlackBot) -> None:
    bot.fake.fail("chat.update", "ratelimited", retry_after=0)
    message = await video(bot, "video rain on a window --duration 2")
    await delivered(bot, message)
    states = bot.shown_states(message)
    # slack_sdk waited Retry-After and sent the same edit again; a state that passed meanwhile is skipped,
    # never shown twice.
    assert states[0] == "QUEUED" and states[-1] == "DELIVERED" and len(set(states)) == len(states)
    assert len(bot.fake.called("chat.update")) == len(states) - 1 + 1


async def test_slack_5xx_on_an_edit_and_an_upload_is_survived(bot: SlackBot) -> None:
    bot.fake.fail("chat.update", "internal_error", status=500)  # the PENDING edit is lost…
    bot.fake.fail("upload", "upstream", status=503)  # …and the first upload attempt (the engine retries in 5 s)
    message = await video(bot, "video waves on rocks --duration 2")
    await delivered(bot, message)
    states = bot.shown_states(message)
    assert states[0] == "QUEUED" and states[-1] == "DELIVERED" and len(set(states)) == len(states)
    assert len(bot.fake.called("files.getUploadURLExternal")) == 2
    assert [u.thread_ts for u in bot.fake.uploads.values() if u.completed] == [message.ts]


async def test_a_bot_removed_from_a_public_channel_joins_again_to_upload(bot: SlackBot) -> None:
    message = await video(bot, "video a small boat --duration 2")
    bot.fake.channels["C_MEMBER"].member = False  # someone removed the bot after the status was posted
    await delivered(bot, message)
    assert bot.shown_states(message)[-1] == "DELIVERED"
    assert [c.args["channel"] for c in bot.fake.called("conversations.join")] == ["C_MEMBER"]
    [upload] = [u for u in bot.fake.uploads.values() if u.completed]
    assert upload.thread_ts == message.ts


async def test_a_finished_upload_is_found_again_in_the_thread(bot: SlackBot) -> None:
    message = await video(bot, "video found again --duration 2")
    await delivered(bot, message)
    assert bot.service is not None
    port = bot.service.port
    from core.port import ConversationRef, MessageRef

    conversation = ConversationRef("slack", message.channel, workspace_id=None)
    status = MessageRef(conversation, message.ts)
    [upload] = [u for u in bot.fake.uploads.values() if u.completed]
    found = await port.find_upload(conversation, filename=upload.filename, reply_to=status)
    assert found is not None and found.message_id == upload.file_id
    assert await port.find_upload(conversation, filename="wan-nope.mp4", reply_to=status) is None
