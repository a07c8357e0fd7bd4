"""The README's parity table (action × surface), read as data for the parity tests.

The table sits between ``<!-- parity:start -->`` and ``<!-- parity:end -->`` in README.md; its first
column is an action (a ``core.actions.ChatActions`` method), the others say how each surface does it.
An empty cell (or ``—``) means "not on this surface": the parity tests then expect nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
#: Every chat action, by the ``ChatActions`` method that carries it out.
ACTIONS = ("video", "image", "storyboard", "status", "cancel", "usage", "reroll", "remix", "upscale", "delete",
           "defaults", "help", "edit_image", "animate", "history", "settings", "confirm", "approve")
SURFACES = ("discord", "slack", "console")


def table(text: str | None = None) -> dict[str, dict[str, str]]:
    """``{action: {surface: cell}}`` as the README says."""
    text = README.read_text(encoding="utf-8") if text is None else text
    match = re.search(r"<!-- parity:start -->(.*?)<!-- parity:end -->", text, re.S)
    assert match, "README.md has no parity table"
    rows = [line.strip() for line in match.group(1).splitlines() if line.strip().startswith("|")]
    header = [cell.strip().lower() for cell in _cells(rows[0])]
    found: dict[str, dict[str, str]] = {}
    for row in rows[2:]:
        cells = _cells(row)
        action = cells[0].strip("`* ").lower()
        found[action] = {name: cell for name, cell in zip(header[1:], cells[1:], strict=True)}
    return found


def _cells(row: str) -> list[str]:
    """A row's cells; ``\\|`` inside a cell is a literal bar (the storyboard's shot separator)."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1])]


def on(surface: str) -> list[str]:
    """The actions the README says ``surface`` offers."""
    return [action for action, cells in table().items() if cells.get(surface, "").strip(" —-")]
