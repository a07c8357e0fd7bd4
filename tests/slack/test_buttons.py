"""The status message's buttons and the remix modal, clicked the way Slack sends them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from core.jobs import JobState
from core.request import GenerationRequest
from tests.fakes.slack_server import TEAM
from tests.slack.conftest import SlackBot, delivered, job_id_of, until, video


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def _answer(bot: SlackBot, user: str, count: int) -> str:
    await until(lambda: len(bot.ephemeral_texts(user)) > count, what=f"an answer to {user}")
    return bot.ephemeral_texts(user)[-1]


async def test_cancel_while_queued_only_by_the_requester(make_bot: Callable[..., Any]) -> None:
    bot: SlackBot = await make_bot(max_in_flight=1)
    blocker = await video(bot, "video [[sandbox:stuck]] holds the only slot")
    await until(lambda: bot.shown_states(blocker)[-1] == "RUNNING", what="the first job running")
    queued = await video(bot, "video waits its turn")
    job_id = job_id_of(queued)
    assert bot.shown_states(queued) == ["QUEUED"] and _buttons(queued.blocks) == ["wan_cancel"]

    await bot.click("cancel", job_id, user="U2")
    assert "Only the person who asked for this video (or a moderator)" in await _answer(bot, "U2", 0)
    await bot.click("cancel", job_id, user="U1")
    assert f"Cancelled job {job_id}. Nothing was billed." in await _answer(bot, "U1", 0)
    await until(lambda: bot.shown_states(queued)[-1] == "CANCELED", what="the cancelled status")
    assert _buttons(queued.blocks) == ["wan_reroll", "wan_remix", "wan_delete"]
    assert bot.rt is not None
    job = await bot.rt.engine.get(job_id)
    assert job is not None and job.state is JobState.CANCELED and job.task_id is None


async def test_reroll_upscale_and_delete_with_a_requester_check(bot: SlackBot) -> None:
    first = await video(bot, "video a lighthouse at dusk --seed 42 --duration 2")
    job_id = job_id_of(first)
    await delivered(bot, first)
    assert bot.rt is not None

    # A re-roll is a new billed job from someone's prompt: the requester's alone.
    await bot.click("reroll", job_id, user="U2")
    assert "Only the person who asked for this video" in await _answer(bot, "U2", 0)
    await bot.click("reroll", job_id, user="U1")
    answer = await _answer(bot, "U1", 0)
    assert answer.startswith(f"Re-rolling job {job_id} with a new seed as job ")
    reroll_id = answer.rsplit(" ", 1)[-1].rstrip(".")
    rerolled = await bot.rt.engine.get(reroll_id)
    assert rerolled is not None and rerolled.requester.user_id == "U1"
    assert rerolled.request.prompt == "a lighthouse at dusk" and rerolled.request.seed != 42
    assert rerolled.conversation.channel_id == "C_MEMBER"

    await bot.click("upscale", job_id, user="U1")
    answer = await _answer(bot, "U1", 1)
    upscale_id = answer.split(" as job ")[-1].rstrip(".")
    upscaled = await bot.rt.engine.get(upscale_id)
    assert upscaled is not None and isinstance(upscaled.request, GenerationRequest)
    assert upscaled.request.resolution == "1080P" and upscaled.request.seed == 42
    assert len(bot.status_messages()) == 3  # each new job has its own status message

    await bot.click("delete", job_id, user="U2")
    assert "Only the person who asked for this video" in await _answer(bot, "U2", 1)
    assert not first.deleted and bot.fake.called("chat.delete") == []

    await bot.click("delete", job_id, user="U1")
    assert await _answer(bot, "U1", 2) == "Deleted."
    assert first.deleted
    [upload] = [u for u in bot.fake.uploads.values() if u.thread_ts == first.ts]
    assert upload.deleted


async def test_remix_opens_a_modal_and_its_submission_is_validated(bot: SlackBot) -> None:
    first = await video(bot, "video a paper boat --duration 2 --seed 7")
    job_id = job_id_of(first)
    await bot.click("remix", job_id, user="U1")
    await until(lambda: bool(bot.fake.views), what="views.open")
    opened = bot.fake.views[-1]
    assert opened["trigger_id"].startswith("trigger-")
    modal = opened["view"]
    assert modal["callback_id"] == "wan_remix_modal"
    assert modal["blocks"][0]["element"]["initial_value"] == "a paper boat"

    def submission(prompt: str) -> dict[str, Any]:
        return {
            "type": "view_submission", "api_app_id": "A0WANBOT", "token": "legacy",
            "team": {"id": "T0TEST"}, "user": {"id": "U1", "username": "u1", "team_id": "T0TEST"},
            "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                     "private_metadata": modal["private_metadata"],
                     "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input", "value": prompt}}}}},
        }

    status, body = await bot.interact(submission("   "))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "prompt is empty" in answer["errors"]["prompt"]

    status, body = await bot.interact(submission("a paper boat on fire"))
    assert status == 200 and body == ""
    text = await _answer(bot, "U1", 0)
    assert text.startswith(f"Remixing job {job_id} as job ")
    assert bot.rt is not None
    remix = await bot.rt.engine.get(text.split(" as job ")[-1].rstrip("."))
    # The old job's settings with the new prompt, and (core.actions: one rule on every surface) a new seed.
    assert remix is not None and isinstance(remix.request, GenerationRequest)
    assert remix.request.prompt == "a paper boat on fire"
    assert (remix.request.duration, remix.request.seed is not None) == (2, True)
    await until(lambda: len(bot.status_messages()) == 2, what="the remix's status message")


async def test_delete_removes_what_it_can_and_says_what_it_could_not(bot: SlackBot) -> None:
    first = await video(bot, "video a sandcastle --duration 2")
    job_id = job_id_of(first)
    await delivered(bot, first)
    [upload] = [u for u in bot.fake.uploads.values() if u.thread_ts == first.ts]

    bot.fake.fail("files.delete", "cant_delete_file")
    await bot.click("delete", job_id, user="U1")
    answer = await _answer(bot, "U1", 0)
    # One wording on every surface (core.actions.delete).
    assert answer == ("Deleted what I could, but the platform would not let me delete the delivered file; "
                      "try again in a moment or ask an admin to remove it.")
    assert first.deleted and not upload.deleted  # the status message went, whatever became of the file

    # Clicked again (the button is still in a client's view): the file goes now; a gone message is no error.
    await bot.click("delete", job_id, user="U1")
    assert await _answer(bot, "U1", 1) == "Deleted."
    assert upload.deleted

    second = await video(bot, "video a sandcastle at night --duration 2")
    await delivered(bot, second)
    bot.fake.fail("files.delete", "cant_delete_file")
    bot.fake.fail("chat.delete", "cant_delete_message")
    await bot.click("delete", job_id_of(second), user="U1")
    assert await _answer(bot, "U1", 2) == ("The platform would not let me delete the status message or the "
                                           "delivered file; try again in a moment or ask an admin to remove them.")
    assert not second.deleted


async def test_jobs_made_by_buttons_and_the_modal_are_stored_before_slack_hears_back(bot: SlackBot) -> None:
    first = await video(bot, "video a stored kite --duration 2 --seed 3")
    job_id = job_id_of(first)
    await delivered(bot, first)
    await bot.stop()
    await bot.start()  # a fresh process: it must ask Slack again whether it may post in the channel
    assert bot.rt is not None
    store = bot.rt.store

    bot.fake.delay("conversations.info", 0.3)
    status, _ = await bot.click("reroll", job_id, user="U1")
    assert status == 200
    # The 200 came back only once the new job was in the store: a kill now would not lose it.
    assert len(await store.recent_for_user("slack", TEAM, "U1", limit=10)) == 2

    await bot.click("remix", job_id, user="U1")
    await until(lambda: bool(bot.fake.views), what="views.open")
    modal = bot.fake.views[-1]["view"]
    status, body = await bot.interact({
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U1", "team_id": TEAM},
        "view": {"id": "V1", "type": "modal", "callback_id": modal["callback_id"],
                 "private_metadata": modal["private_metadata"],
                 "state": {"values": {"prompt": {"prompt": {"type": "plain_text_input", "value": "a kite, remixed"}}}}},
    })
    assert status == 200 and body == ""
    assert len(await store.recent_for_user("slack", TEAM, "U1", limit=10)) == 3


async def test_the_1080p_button_makes_the_same_video_sharper_with_the_same_seed(bot: SlackBot) -> None:
    """A video asked for without a seed still gets one, and 1080P repeats it: same seed, same prompt."""
    first = await video(bot, "video a lighthouse in fog --duration 2")
    job_id = job_id_of(first)
    await delivered(bot, first)
    assert bot.rt is not None
    original = await bot.rt.engine.get(job_id)
    assert original is not None and original.request.seed is not None

    await bot.click("upscale", job_id, user="U1")
    answer = await _answer(bot, "U1", 0)
    upscaled = await bot.rt.engine.get(answer.split(" as job ")[-1].rstrip("."))
    assert upscaled is not None and isinstance(upscaled.request, GenerationRequest)
    assert upscaled.request.resolution == "1080P"
    assert upscaled.request.seed == original.request.seed
    assert upscaled.request.prompt == original.request.prompt


async def test_the_buttons_typed_answer_inside_the_ack_once_the_job_is_stored(bot: SlackBot) -> None:
    first = await video(bot, "video a harbour at night --duration 2 --seed 5")
    job_id = job_id_of(first)
    await delivered(bot, first)
    assert bot.rt is not None
    for text, said in ((f"upscale {job_id}", f"Making job {job_id} again at 1080P (same seed) as job "),
                       (f"reroll {job_id}", f"Re-rolling job {job_id} with a new seed as job "),
                       (f"remix {job_id} a harbour at dawn", f"Remixing job {job_id} as job ")):
        status, body = await bot.command(text)
        answer = json.loads(body)["text"]
        assert status == 200 and answer.startswith(said), answer
        made = await bot.rt.engine.get(answer.rsplit(" ", 1)[-1].rstrip("."))  # stored before the ack
        assert made is not None and made.conversation.channel_id == "C_MEMBER"
    status, _ = await bot.command(f"delete {job_id}", user="U2")
    assert "Only the person who asked for this video" in await _answer(bot, "U2", 0)
    await bot.command(f"delete {job_id}")
    await until(lambda: first.deleted, what="the status message deleted")
