"""``/wan history [@user] [text]`` as typed: Slack's escaped mentions, Discord's, a plain @name, the words."""

from __future__ import annotations

import pytest

from core.commands import parse_command
from core.errors import InvalidRequest
from core.history_command import HistoryCommand


@pytest.mark.parametrize(("typed", "expected"), [
    ("history", HistoryCommand()),
    ("/wan history lighthouse at dusk", HistoryCommand(text="lighthouse at dusk")),
    ("history <@U123|alice> lighthouse", HistoryCommand("U123", "lighthouse")),
    ("history <@U123>", HistoryCommand("U123")),
    ("history <@!4567> fox", HistoryCommand("4567", "fox")),
    ("history @alice fox", HistoryCommand(None, "fox", "alice")),
    ("history a fox @ dawn", HistoryCommand(text="a fox @ dawn")),
])
def test_history_reads_who_and_what(typed: str, expected: HistoryCommand) -> None:
    assert parse_command(typed) == expected


def test_a_second_person_is_refused_in_one_sentence() -> None:
    with pytest.raises(InvalidRequest, match="at most one person"):
        parse_command("history <@U1> <@U2> fox")
