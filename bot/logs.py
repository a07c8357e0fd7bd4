"""Logging set-up: readable lines for people, one line per event, secrets never printed.

On a terminal, rich renders the lines; elsewhere (Docker, CI) a plain ``time level logger: message``
format. Library chatter (aiohttp access logs, discord.py's gateway debug) stays at WARNING unless asked.
Every formatted line — wanbot's, a library's, a traceback — goes through the ``Redactor`` given
(``bot.redact``), so a secret of the configuration never reaches the log.
"""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler

from bot.redact import RedactingFormatter, Redactor

_QUIET = ("aiohttp.access", "discord", "slack_bolt", "slack_sdk", "asyncio", "sqlalchemy")


def setup_logging(level: str = "INFO", *, console: Console | None = None, redact: Redactor | None = None) -> None:
    redact = redact or Redactor()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if console is not None and console.is_terminal:
        handler = RichHandler(console=console, show_path=False, rich_tracebacks=False, log_time_format="%H:%M:%S")
        handler.setFormatter(RedactingFormatter("%(name)s: %(message)s", redact=redact))
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                                "%Y-%m-%d %H:%M:%S", redact=redact))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
