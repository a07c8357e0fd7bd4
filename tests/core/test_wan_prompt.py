"""The prompt Wan rendered (prompt extension's rewrite) in the status view and the remix use case's start,
and what the Discord and Slack renderings make of a long, hostile one (their limits)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from adapters.discord.render import EMBEDS_TOTAL, status_embed
from adapters.slack.blocks import SECTION_LIMIT, status_blocks
from core.jobs import WAN_PROMPT, Job, JobState, Requester, rewritten
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest, ImageRequest
from core.status import status_view

M = Messages()
NOW = datetime(2026, 1, 1, 12, 5, 0, tzinfo=UTC)
REWRITE = "A lighthouse at dusk. Cinematic wide shot, soft golden-hour light, slow dolly-in."


def job(state: JobState, wan: str | None = REWRITE, request: GenerationRequest | ImageRequest | None = None) -> Job:
    return Job(
        id="abcd2345",
        requester=Requester(platform="test", user_id="u1", channel_id="c1", workspace_id="w1"),
        conversation=ConversationRef(platform="test", channel_id="c1", workspace_id="w1"),
        request=request or GenerationRequest(prompt="a lighthouse"),
        state=state,
        created_at=datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC),
        state_times={state.value: NOW},
        extra={WAN_PROMPT: wan} if wan else {},
    )


def test_rewritten_only_when_the_words_changed() -> None:
    assert rewritten("a fox", None) is None
    assert rewritten("a fox", "") is None
    assert rewritten("a  fox ", "a fox") is None  # the same prompt re-spaced is no rewrite
    assert rewritten("a fox", "A red fox in snow.") == "A red fox in snow."


def test_a_delivered_job_shows_wans_prompt_and_offers_a_remix_from_it() -> None:
    view = status_view(job(JobState.DELIVERED), now=NOW, position=None, messages=M)
    assert view.wan_prompt is not None
    assert (view.wan_prompt.name, view.wan_prompt.value) == ("Prompt Wan used", REWRITE)
    assert view.prompt == "a lighthouse"  # the prompt as typed stays the main one
    assert view.actions == ("reroll", "remix", "remixwan", "upscale", "delete")


@pytest.mark.parametrize("state", [s for s in JobState if s is not JobState.DELIVERED])
def test_only_the_finished_message_shows_it(state: JobState) -> None:
    view = status_view(job(state), now=NOW, position=1, messages=M)
    assert view.wan_prompt is None and "remixwan" not in view.actions


def test_no_rewrite_nothing_shown() -> None:
    view = status_view(job(JobState.DELIVERED, wan=None), now=NOW, position=None, messages=M)
    assert view.wan_prompt is None and "remixwan" not in view.actions


def test_an_image_job_with_a_rewrite_offers_it_too() -> None:
    image = ImageRequest.build(prompt="a lake")
    view = status_view(job(JobState.DELIVERED, request=image), now=NOW, position=None, messages=M)
    assert view.wan_prompt is not None and view.actions == ("reroll", "remix", "remixwan", "animate", "delete")


def test_a_long_hostile_rewrite_fits_discord_and_slack() -> None:
    hostile = ("**bold** <@123> @everyone [x](https://evil.example) " * 120)[:5000]
    long_job = job(JobState.DELIVERED, wan=hostile, request=GenerationRequest(prompt="p" * 5000,
                                                                               negative_prompt="n" * 500))
    view = status_view(long_job, now=NOW, position=None, messages=M)
    embed = status_embed(view)
    [field] = [f for f in embed.fields if f.name == "Prompt Wan used"]
    assert field.value is not None and len(field.value) <= 1024 and field.value.endswith("…")
    # Markdown and mentions escaped (a backslash before each), broadcasts broken by a zero-width space.
    assert re.search(r"(?<!\\)<@", field.value) is None and "\\<@123>" in field.value
    assert "@everyone" not in field.value and "**bold**" not in field.value
    assert len(embed) <= EMBEDS_TOTAL
    contexts = [e["text"] for b in status_blocks(view, M) if b["type"] == "context" for e in b["elements"]]
    [slack] = [t for t in contexts if t.startswith("*Prompt Wan used:*")]
    assert len(slack) <= SECTION_LIMIT and "<@123>" not in slack and "&lt;@123&gt;" in slack
