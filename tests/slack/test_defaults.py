"""``/wan defaults`` on Slack: admins and owners set them (``users.info``), everyone's videos get them."""

from __future__ import annotations

from core.request import GenerationRequest
from tests.fakes.slack_server import TEAM
from tests.slack.conftest import SlackBot, job_id_of, until, video


async def _answer(bot: SlackBot, text: str, user: str) -> str:
    """Send ``/wan <text>`` as ``user`` and return the ephemeral answer it got."""
    before = len(bot.ephemeral_texts(user))
    status, _ = await bot.command(text, user=user)
    assert status == 200
    await until(lambda: len(bot.ephemeral_texts(user)) > before, what="an ephemeral answer")
    return bot.ephemeral_texts(user)[before]


async def test_admins_set_channel_defaults_and_videos_there_use_them(bot: SlackBot) -> None:
    assert bot.rt is not None
    channels = bot.rt.store.channels

    # A plain member may look but not change; users.info is asked about roles only for a change (a person's
    # language is looked up once, issue 14: ``adapters.slack.locales``).
    def role_lookups() -> list[object]:
        return [c.args.get("user") for c in bot.fake.called("users.info") if not c.args.get("include_locale")]

    assert await _answer(bot, "defaults", "U1") == "This channel has no defaults: videos use each model's own."
    assert role_lookups() == []
    refused = await _answer(bot, "defaults --resolution 1080P", "U1")
    assert refused == "Only workspace admins and owners may change this channel's defaults."
    assert role_lookups() == ["U1"]
    assert await channels.get("slack", TEAM, "C_MEMBER") == {}

    # An admin sets them (validated as a request first), an owner may too.
    bad = await _answer(bot, "defaults --model wan2.2-t2v-plus --duration 10", "U_ADMIN")
    assert bad == "That request doesn't work: duration must be a whole number of seconds 5 for wan2.2-t2v-plus."
    saved = await _answer(bot, "defaults --res 1080P --ar 9:16 --no-extend", "U_ADMIN")
    assert saved == "Saved. Videos in this channel now default to: 1080P, 9:16, prompt extension off."
    assert await channels.get("slack", TEAM, "C_MEMBER") == {"resolution": "1080P", "ratio": "9:16",
                                                             "prompt_extend": False}
    assert "1080P, 9:16" in await _answer(bot, "defaults", "U1")

    # A later video by anyone in that channel starts from them; typed flags win.
    message = await video(bot, "video a fox on a frozen lake --duration 2 --ar 1:1")
    job = await bot.rt.engine.get(job_id_of(message))
    assert job is not None and isinstance(job.request, GenerationRequest)
    assert (job.request.resolution, job.request.ratio, job.request.prompt_extend, job.request.duration) == (
        "1080P", "1:1", False, 2)

    assert await _answer(bot, "defaults --clear", "U_OWNER") == (
        "Cleared. Videos in this channel use each model's own defaults again.")
    assert await channels.get("slack", TEAM, "C_MEMBER") == {}
