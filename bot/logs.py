"""Logging set-up: readable lines for people, one line per event, secrets never printed.

On a terminal, rich renders the lines; elsewhere (Docker, CI) a plain ``time level logger: message``
format; with ``WANBOT_LOG_FORMAT=json`` one JSON object per line (``time``, ``level``, ``logger``,
``message``, and ``exception`` when there is one) for a log pipeline. The JSON formatter is a dozen lines
of the standard library's ``json`` rather than a dependency: the redaction must run on every field before
encoding, which a generic JSON formatter would need subclassing for anyway.

Library chatter (aiohttp access logs, discord.py's gateway debug) stays at WARNING unless asked. Every
formatted line — wanbot's, a library's, a traceback — goes through the ``Redactor`` given
(``bot.redact``), so a secret of the configuration never reaches the log.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from rich.console import Console
from rich.logging import RichHandler

from bot.redact import RedactingFormatter, Redactor

_QUIET = ("aiohttp.access", "discord", "slack_bolt", "slack_sdk", "asyncio", "sqlalchemy", "alembic")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, every string field scrubbed before it is encoded."""

    def __init__(self, *, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", *, console: Console | None = None, redact: Redactor | None = None,
                  json_lines: bool = False) -> None:
    redact = redact or Redactor()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if json_lines:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter(redact=redact))
    elif console is not None and console.is_terminal:
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
