"""Operations logging: JSON lines when asked, secrets scrubbed in them, and per-poll lines only at DEBUG."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import setup_logging
from bot.redact import Redactor
from bot.settings import Settings


def test_json_lines_carry_every_field_and_no_secret() -> None:
    setup_logging("INFO", redact=Redactor({"sk-live-123"}), json_lines=True)
    stream = io.StringIO()
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    log = logging.getLogger("wanbot.test")
    log.info("create sent with key %s", "sk-live-123")
    try:
        raise RuntimeError("boom sk-live-123")
    except RuntimeError:
        log.exception("delivery failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "wanbot.test" and first["time"].endswith("+00:00")
    assert "sk-live-123" not in first["message"] and first["message"].startswith("create sent with key ")
    assert second["message"] == "delivery failed" and "RuntimeError" in second["exception"]
    assert "sk-live-123" not in stream.getvalue()


def test_the_log_format_setting_takes_text_or_json_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANBOT_LOG_FORMAT", "json")
    assert Settings(_env_file=None).log_format == "json"
    monkeypatch.setenv("WANBOT_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="WANBOT_LOG_FORMAT"):
        Settings(_env_file=None)
