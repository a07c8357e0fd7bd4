"""The Discord adapter's one error path: platform-only errors first, then core's sentence, then escaping."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from adapters.discord.errors import explain
from core.actions import Caller, ChatActions, UsageReport, sentence_for
from core.errors import DashScopeError
from core.messages import Messages
from tests.discord.conftest import ephemeral_reply


def test_an_unexplained_dashscope_error_shows_dashscope_s_words_like_every_surface() -> None:
    m = Messages()
    exc = DashScopeError("The model is resting today", code="Model.Resting")
    assert not m.has("error.Model.Resting")
    # The sentence Slack and the console show (core.actions.replies), not a generic "something went wrong".
    assert explain(exc, m) == sentence_for(exc, m) == "DashScope refused this request: The model is resting today"


def test_discord_only_errors_come_first_and_the_sentence_is_escaped() -> None:
    m = Messages()
    assert explain(app_commands.CheckFailure(), m) == m("access.denied")

    async def noop(interaction: object) -> None: ...

    command: app_commands.Command[Any, Any, None] = app_commands.Command(name="x", description="x", callback=noop)
    raised = DashScopeError("words [x](http://evil) <@1>", code="Odd")
    text = explain(app_commands.CommandInvokeError(command, raised), m)  # what the tree hands on_error
    assert "\\[x\\](http://evil)" in text and "\\<@1>" in text


class Unexplained(ChatActions):
    """Use cases whose ``/wan usage`` meets a DashScope error the catalogue does not explain."""

    async def usage(self, caller: Caller) -> UsageReport:
        raise DashScopeError("The model is resting today <@&1>", code="Model.Resting")


async def test_discord_shows_dashscope_s_words_end_to_end(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    await env.start(actions=lambda rt: Unexplained(rt.engine, rt.messages))
    reply = await ephemeral_reply(fake, await fake.slash(fake.alice, "usage"))
    assert reply == "DashScope refused this request: The model is resting today \\<@&1>"
