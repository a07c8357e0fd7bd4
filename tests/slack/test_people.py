"""Issue 14 on Slack: who is named and who is pinged, through slack_sdk against the fake Slack.

A ``<@U…>`` in a posted message pings on Slack (there is no ``allowed_mentions``), so the status message and
the upload's comment name the requester by display name (``users.info``); the one message that pings is
posted when the job is done or failed: ``<@U…>`` of the requester, once, and (done) the permalink of the
message sharing the video in the status message's thread. ``/wan notify off`` keeps the name, drops the
ping, and survives a restart.
"""

from __future__ import annotations

import json

from core.jobs import JobState
from tests.fakes.slack_server import Message
from tests.slack.conftest import SlackBot, delivered, job_id_of, until, video


def _notices(bot: SlackBot) -> list[Message]:
    """The bot's channel messages that are not status messages (the pings)."""
    return [m for m in bot.fake.posts() if not m.text.startswith("[")]


async def _flagged(bot: SlackBot, job_id: str, value: str) -> None:
    """Until the engine has stored what it did about the ping (``sent`` / ``opted_out``)."""
    assert bot.rt is not None
    engine = bot.rt.engine
    await until(lambda: (job := engine.peek(job_id)) is not None and job.extra.get("requester_notified") == value,
                what=f"job {job_id} marked {value}")


async def test_done_names_by_display_name_and_pings_once_with_the_video_permalink(bot: SlackBot) -> None:
    bot.fake.display_names["U1"] = "Alice Liddell"
    status = await video(bot, "video a fox <!everyone> <@U2> --duration 2")
    await delivered(bot, status)
    await until(lambda: bool(_notices(bot)), what="the ping")
    job_id = job_id_of(status)
    assert bot.rt is not None
    job = await bot.rt.engine.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED and job.delivered_ref is not None

    # Named, never pinged, on the status message (its post and every edit) and the upload's comment.
    shown = json.dumps(status.blocks)
    assert "*Requested by:* Alice Liddell" in shown
    for call in bot.fake.called("chat.update") + [c for c in bot.fake.called("chat.postMessage")
                                                  if str(c.args.get("text", "")).startswith("[")]:
        assert "<@" not in str(call.args.get("text")) + str(call.args.get("blocks")), call.args
    upload = bot.fake.uploads[job.delivered_ref.message_id]
    assert (upload.initial_comment or "").endswith("requested by Alice Liddell")

    # The one ping: the requester's mention, once, and the permalink of the message sharing the video.
    [notice] = _notices(bot)
    thread = job.delivered_ref.conversation.thread_id
    assert thread == status.ts and notice.thread_ts is None  # in the channel, linking into the thread
    shared = upload.ts or f"{thread}.{job.delivered_ref.message_id}"  # the ts Slack shared the file at
    permalink = f"https://fake.slack.com/archives/C_MEMBER/p{shared.replace('.', '')}?thread_ts={thread}"
    assert notice.text == f"<@U1> your video is ready: {permalink}"
    assert notice.text.count("<@") == 1 and "<!" not in notice.text


async def test_failed_pings_the_requester(bot: SlackBot) -> None:
    status = await video(bot, "video a kite [[sandbox:fail]] --duration 2", user="U7")
    await delivered(bot, status)
    await until(lambda: bool(_notices(bot)), what="the ping")
    [notice] = _notices(bot)
    assert notice.text.startswith(f"<@U7> your job {job_id_of(status)} did not finish: ")
    assert "*Requested by:* u7" in json.dumps(status.blocks)  # no display name: the user name


async def test_notify_off_names_without_pinging_and_survives_a_restart(bot: SlackBot) -> None:
    status, _ = await bot.command("notify off")
    assert status == 200
    await until(lambda: any("won't be pinged" in t for t in bot.ephemeral_texts()), what="the answer")
    message = await video(bot, "video a quiet fox --duration 2")
    await delivered(bot, message)
    await _flagged(bot, job_id_of(message), "opted_out")
    assert _notices(bot) == []
    assert "*Requested by:* u1" in json.dumps(message.blocks)

    await bot.stop()
    await bot.start()
    await bot.command("notify")
    await until(lambda: any("not pinged" in t for t in bot.ephemeral_texts()), what="the stored choice")
    again = await video(bot, "video another quiet fox --duration 2")
    await delivered(bot, again)
    await _flagged(bot, job_id_of(again), "opted_out")
    assert _notices(bot) == []

    await bot.command("notify on")
    await until(lambda: any("You'll be pinged" in t for t in bot.ephemeral_texts()), what="the answer")
    loud = await video(bot, "video a loud fox --duration 2")
    await delivered(bot, loud)
    await until(lambda: bool(_notices(bot)), what="the ping")
    assert _notices(bot)[0].text.startswith("<@U1> your video is ready: https://fake.slack.com/archives/")
