"""The parity table itself: every action is listed, for every surface, and every cell says how."""

from __future__ import annotations

import inspect

from core.actions import ChatActions
from tests.parity.table import ACTIONS, SURFACES, table


def test_the_readme_lists_every_action_on_every_surface() -> None:
    rows = table()
    assert sorted(rows) == sorted(ACTIONS)
    for action, cells in rows.items():
        assert sorted(cells) == sorted(SURFACES), action
        for surface, cell in cells.items():
            assert cell.strip(" —-"), f"{action} is missing on {surface}"


def test_every_action_is_one_use_case() -> None:
    for action in ACTIONS:
        assert callable(getattr(ChatActions, action)), action
        assert inspect.iscoroutinefunction(getattr(ChatActions, action)) or action == "help"
