"""Markup injection: a hostile prompt renders as its own text everywhere wanbot shows it on Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.markup import fitted, plain
from adapters.discord.render import quote_prompt, status_embed
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef, StatusField, StatusView
from core.request import GenerationRequest
from core.status import status_view
from tests.discord.markup_check import live_markup, unquoted

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HOSTILE = ("[Free Nitro](http://evil) then [Second](https://evil.example/x) # Header @everyone @here "
           "<@123456789012345678> <@!1> <#42> <@&7> </wan video:1> <t:1:R> ||spoiler|| `code` ~~x~~ __u__")

#: Pieces an attacker would combine: markup openers, link syntax, mention syntax, line breaks, escapes.
_PIECES = st.sampled_from([
    "[", "]", "(", ")", "](", "http://evil", "https://e.x/a_b", "<", ">", "@", "@everyone", "@here", "<@",
    "<#", "<@&", "#", "##", "-#", "-", "+", "*", "_", "~", "`", "```", "|", "||", "\\", "1.", "12.", "\n",
    "\r\n", "\u2028", " ", "\t", "a", "x", "9", ":", ".", "!", "\u200b", "Nitro",
])
HOSTILE_TEXT = st.lists(_PIECES | st.text(max_size=3), max_size=40).map("".join)


def test_the_first_reports_are_gone() -> None:
    """Every masked link, header and mention of one hostile prompt, not only the first link."""
    shown = plain(HOSTILE)
    assert live_markup(shown) == []
    assert "http://evil" in shown and "@\u200beveryone" in shown  # the text is still all there
    for text in ("# head", "- item", "* item", "+ item", "1. item", "> quote", ">>> quote", "-# small"):
        assert live_markup(plain(text)) == [], text
        assert live_markup(text) != [], f"the checker must see {text!r} as markup"
    assert plain("a lighthouse at dusk, slow push-in") == "a lighthouse at dusk, slow push-in"
    assert plain("see https://example.com/a_b_c.") == "see https://example.com/a_b_c."  # links stay clickable


def test_the_checker_sees_what_escape_markdown_misses() -> None:
    import discord

    # What the embed and the caption did before: a second masked link, an ordered list, a channel stay live.
    for text in ("[a](http://a) [b](http://b)", "1. item", "<#42>", "+ item"):
        assert live_markup(discord.utils.escape_markdown(text)) != [], text


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_plain_leaves_nothing_live(text: str) -> None:
    shown = plain(text)
    assert live_markup(shown) == [], (text, shown)
    assert live_markup(fitted(text, 30)) == []


def _view(prompt: str, negative: str, detail: str | None) -> StatusView:
    return StatusView(job_id="abcd2345", state="FAILED", title="🎬 Failed", prompt=prompt,
                      fields=(StatusField("Avoid", negative), StatusField("Job", "abcd2345")), detail=detail)


@settings(max_examples=200, deadline=None)
@given(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT)
def test_no_embed_part_is_live(prompt: str, negative: str, detail: str) -> None:
    embed = status_embed(_view(prompt, negative, detail or None))
    assert embed.description is not None
    quoted, _, rest = embed.description.partition("\n\n")
    for line in unquoted(quoted):
        assert live_markup(line) == [], (prompt, line)
    assert len(unquoted(quoted)) == len(quoted.split("\n")), "every prompt line stays inside the quote"
    assert live_markup(rest) == []
    for field in embed.fields:
        assert field.value is not None and live_markup(field.value) == []
        assert len(field.value) <= 1024


def test_real_status_embed_of_a_hostile_job() -> None:
    # A request folds line breaks into spaces (core.text), so a header can only open the prompt itself.
    request = GenerationRequest.build(prompt="# " + HOSTILE + "\n# second line\n1. third",
                                      negative_prompt="> " + HOSTILE, seed=1, duration=5)
    job = Job(id="abcd2345", requester=Requester("discord", "1", "2", "3"),
              conversation=ConversationRef("discord", "2", "3"), request=request, state=JobState.QUEUED,
              created_at=NOW - timedelta(seconds=5), state_times={"QUEUED": NOW})
    embed = status_embed(status_view(job, now=NOW, position=1, messages=Messages()))
    assert embed.description is not None
    lines = unquoted(embed.description)
    assert len(lines) == 1 and all(live_markup(line) == [] for line in lines)
    avoid = next(f for f in embed.fields if f.name == "Avoid")
    assert avoid.value is not None and live_markup(avoid.value) == [] and "Free Nitro" in avoid.value
    assert len(quote_prompt("*" * 5000)) <= 2500
