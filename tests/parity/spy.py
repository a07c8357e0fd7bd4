"""``ChatActions`` that remembers which use case each surface reached: what the parity tests check."""

from __future__ import annotations

from typing import Any

from core.actions import ChatActions
from tests.parity.table import ACTIONS


class RecordingActions(ChatActions):
    """Every public action method records its name in ``called`` before doing its work."""

    called: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.called = []

    def __getattribute__(self, name: str) -> Any:
        if name in ACTIONS:
            object.__getattribute__(self, "called").append(name)
        return object.__getattribute__(self, name)
