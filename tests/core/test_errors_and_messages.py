"""The error tree's parsing and the message catalogue's promises."""

from __future__ import annotations

import pytest

from core.errors import (
    KNOWN_CODES,
    DashScopeError,
    DashScopeRateLimited,
    DashScopeServerError,
    DashScopeUnsupportedOperation,
    TransportError,
    normalize_code,
    parse_error_body,
)
from core.messages import CATALOGUES, EN, Messages, human_bytes, human_duration, shorten


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("invalid_api_key", "InvalidApiKey"), ("data_inspection_failed", "DataInspectionFailed"),
     ("THROTTLING.RATEQUOTA", "Throttling.RateQuota"), ("Model.AccessDenied", "Model.AccessDenied"),
     ("SomethingNew", "SomethingNew"), (None, "Unknown"), ("", "Unknown")],
)
def test_code_spellings_are_normalised(raw: str | None, expected: str) -> None:
    assert normalize_code(raw) == expected


def test_flat_and_enveloped_error_bodies() -> None:
    flat = parse_error_body(400, {"request_id": "r1", "code": "InvalidParameter", "message": "bad"})
    assert (type(flat), flat.code, flat.request_id, flat.retryable, flat.http_status) == (
        DashScopeError, "InvalidParameter", "r1", False, 400)
    wrapped = parse_error_body(401, {"error": {"code": "invalid_api_key", "message": "nope"}})
    assert wrapped.code == "InvalidApiKey" and wrapped.request_id is None
    assert isinstance(parse_error_body(429, {"code": "Throttling"}), DashScopeRateLimited)
    server = parse_error_body(503, {"code": "ModelUnavailable"})
    assert isinstance(server, DashScopeServerError) and server.retryable
    assert not parse_error_body(500, {"code": "InternalError.Timeout"}).retryable
    assert parse_error_body(502, None).code == "Unknown"


def test_unsupported_operation_is_a_type_with_its_code_kept() -> None:
    refused = parse_error_body(400, {"code": "UnsupportedOperation", "message": "not PENDING"})
    assert isinstance(refused, DashScopeUnsupportedOperation) and refused.code == "UnsupportedOperation"
    assert refused.to_dict()["code"] == "UnsupportedOperation" and not refused.retryable
    assert not isinstance(parse_error_body(400, {"code": "InvalidParameter"}), DashScopeUnsupportedOperation)


def test_errors_carry_structured_fields_and_print_them() -> None:
    err = parse_error_body(400, {"request_id": "r9", "code": "Arrearage", "message": "overdue"})
    assert err.to_dict() == {"type": "DashScopeError", "code": "Arrearage", "message": "overdue",
                             "request_id": "r9", "retryable": False, "http_status": 400}
    assert "Arrearage" in str(err) and "r9" in str(err)
    lost = TransportError("timed out", ambiguous=True)
    assert lost.retryable and lost.ambiguous and isinstance(lost, ConnectionError)


def test_every_documented_code_has_a_user_explanation() -> None:
    messages = Messages()
    for code in KNOWN_CODES:
        assert f"error.{code}" in EN, code
        text = messages.explain(code)
        assert text and text != messages("error.Unknown")
    assert "admin" in messages.explain("InvalidApiKey").lower()
    assert "admin" in messages.explain("Arrearage").lower()
    assert messages.explain("NeverHeardOf") == messages("error.Unknown")


def test_translations_fall_back_to_english_key_by_key() -> None:
    CATALOGUES["xx"] = {"state.QUEUED": "En file"}
    try:
        m = Messages("xx")
        assert m("state.QUEUED") == "En file"
        assert m("state.RUNNING") == "Generating"
    finally:
        del CATALOGUES["xx"]


def test_human_formats() -> None:
    assert [human_duration(s) for s in (0, 42, 61, 3725)] == ["0s", "42s", "1m 01s", "1h 02m"]
    assert human_bytes(10 * 1024 * 1024) == "10.0 MB" and human_bytes(512) == "512 B"
    assert shorten("a  b\nc", 10) == "a b c" and shorten("x" * 20, 10) == "x" * 9 + "…"
