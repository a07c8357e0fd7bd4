"""Logging set-up: readable lines for people, one line per event, secrets never printed.

On a terminal, rich renders the lines; elsewhere (Docker, CI) a plain ``time level logger: message``
format. Library chatter (aiohttp access logs, discord.py's gateway debug) stays at WARNING unless asked.
"""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler

_QUIET = ("aiohttp.access", "discord", "slack_bolt", "slack_sdk", "asyncio", "sqlalchemy")


def setup_logging(level: str = "INFO", *, console: Console | None = None) -> None:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if console is not None and console.is_terminal:
        handler = RichHandler(console=console, show_path=False, rich_tracebacks=False, log_time_format="%H:%M:%S")
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
