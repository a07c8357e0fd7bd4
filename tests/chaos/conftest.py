"""Prints each chaos seed's one-line summary at the end of the run, passed or failed, so the CI log has it."""

from __future__ import annotations

import pytest

#: Filled by ``tests/chaos/test_chaos.py`` as seeds finish.
SUMMARIES: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARIES:
        terminalreporter.section("chaos seeds")
        for line in SUMMARIES:
            terminalreporter.write_line(line)
