"""The one error tree of wanbot.

Every failure that crosses a module boundary is a ``WanbotError`` carrying structured fields, so the
place that talks to a person (one per adapter) can turn it into a short reply without parsing text::

    WanbotError                          code, message, request_id, retryable, http_status
    ├── InvalidRequest                   the user's request does not fit the model (names the field)
    │   └── InvalidMedia                 InvalidMedia: a linked file (audio, image) is not one the model takes
    │       └── MediaGone                a stashed input file is no longer kept: attach it again
    ├── ConfigError                      settings are missing or contradict each other
    ├── QuotaExceeded                    a local cap (queue, cooldown, budget) refused the request
    │   ├── UserCapReached               UserCap: too many of the user's jobs in progress
    │   ├── CooldownActive               Cooldown: the last request was too recent (retry_after)
    │   └── BudgetExceeded               (core.budget) Budget: a spending budget would go over its limit
    ├── DashScopeError                   DashScope answered with an error body (any HTTP status)
    │   ├── DashScopeUnsupportedOperation  UnsupportedOperation: e.g. cancel of a task past PENDING
    │   ├── TaskNotFound                 (core.dashscope.client) a task query answered 404 / "not found"
    │   ├── DashScopeRateLimited         429 Throttling.*        retryable
    │   └── DashScopeServerError         5xx                     retryable
    ├── TransportError                   no usable answer: connection reset, timeout, bad JSON
    │   │                                (``ambiguous``: the request may have reached the server)
    │   └── CreateAmbiguous              (core.dashscope.client) several unknown tasks could be the create's
    ├── DownloadError                    a result file could not be fetched (timeout, 404, disk full …)
    │   ├── DownloadTooLarge             TooLarge: over the download cap
    │   ├── ResultExpired                Expired: the signed URL's time is up
    │   └── ResultDenied                 AccessDenied: storage refuses the URL
    ├── PlatformError                    the chat platform refused an edit or an upload
    │   ├── UploadTooLarge               TooLarge: the upload is over the platform's real limit
    │   └── SlackNotInChannel            (adapters.slack.errors) Slack's code: the bot cannot post there
    ├── ActionRefused                    (core.access) the actor may not do that to that job
    │   ├── JobNotFound                  NotFound: no such job here (or it lives elsewhere)
    │   ├── SpendPending                 (core.spend) SpendAsked: nothing started, a Confirm or Approve is asked
    │   └── NotYourJob                   NotYours: someone else's job, and not a moderator of it
    ├── TranscodeError                   (core.transcode) ffmpeg could not read or re-encode a file
    │   └── CannotFit                    the clip cannot fit the upload limit: post a link instead
    ├── StoreError                       (core.store.errors) a job could not be written or read
    │   ├── StaleJob                     the row changed (or vanished) since it was read
    │   ├── DuplicateJob                 an insert of an id that exists
    │   ├── TaskClaimed                  another job already holds that DashScope task id
    │   └── CorruptJob                   a stored row no longer decodes into a ``Job``
    └── SchemaError                      (core.store.migrations) the database is newer than this wanbot

Code to branch on is the type (``except UploadTooLarge``), never ``code``: each subclass keeps the
``code`` string logs, metrics and stored jobs have always shown. DashScope's own codes are data
(``DashScopeError.code``, normalised), except ``UnsupportedOperation``, which wanbot acts on. A class
drawn with ``(module)`` lives next to the code that raises it; ``tests/core/test_error_tree.py`` checks
this drawing against the classes.

``retryable`` answers one question: can sending the same request again later help?  It never means
"safe to resend a create" — creates are reconciled, not retried (see ``core.dashscope.client``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Every error code DashScope documents for the Wan APIs, spelled as the service spells it.
KNOWN_CODES: tuple[str, ...] = (
    "InvalidParameter",
    "DataInspectionFailed",
    "IPInfringementSuspect",
    "Arrearage",
    "UnsupportedOperation",
    "InvalidApiKey",
    "AccessDenied",
    "AccessDenied.Unpurchased",
    "Model.AccessDenied",
    "Workspace.AccessDenied",
    "SignatureDoesNotMatch",
    "ModelNotFound",
    "Throttling",
    "Throttling.RateQuota",
    "Throttling.BurstRate",
    "Throttling.AllocationQuota",
    "InternalError",
    "InternalError.Timeout",
    "InternalError.Upload",
    "SystemError",
    "ModelUnavailable",
    "ModelServingError",
)


def _squash(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


_BY_SQUASHED = {_squash(code): code for code in KNOWN_CODES}


def normalize_code(code: str | None) -> str:
    """Map the spellings seen in the wild (``invalid_api_key``, ``data_inspection_failed``) to one form."""
    if not code:
        return "Unknown"
    return _BY_SQUASHED.get(_squash(code), code)


class WanbotError(Exception):
    """Base of every wanbot error; the fields are what a log line or a user reply needs."""

    default_code = "WanbotError"
    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.http_status = http_status
        #: Seconds the server asked us to wait (``Retry-After``), when it said.
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"{self.code}: {self.message}"]
        if self.http_status is not None:
            parts.append(f"http={self.http_status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, retryable={self.retryable})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "retryable": self.retryable,
            "http_status": self.http_status,
        }


class InvalidRequest(WanbotError, ValueError):
    """The request does not fit the chosen model; ``field`` names what to fix."""

    default_code = "InvalidRequest"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidMedia(InvalidRequest):
    """A file the request links to (``audio_url``) cannot be fetched, or is not what DashScope takes;
    ``message`` is the sentence for the person (``core.media_check``)."""

    default_code = "InvalidMedia"


class MediaGone(InvalidMedia):
    """A media ref (``wanbot-media:…``) names a file the stash no longer keeps: attach the file again."""

    default_code = "MediaGone"


class ConfigError(WanbotError):
    default_code = "ConfigError"


class QuotaExceeded(WanbotError):
    """A local limit refused the request; ``retry_after`` seconds says when to try again, if known."""

    default_code = "QuotaExceeded"


class UserCapReached(QuotaExceeded):
    """The user already has as many jobs in progress as the per-user cap allows.

    ``active``: their jobs in progress before this request; ``wanted``: how many jobs the request needs
    (a variants batch needs N places at once, so "you already have 3 in progress" would be wrong when
    none are running).
    """

    default_code = "UserCap"

    def __init__(self, message: str, *, active: int | None = None, wanted: int = 1, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.active = active
        self.wanted = wanted


class CooldownActive(QuotaExceeded):
    """The user's previous request was too recent; ``retry_after`` says how long is left."""

    default_code = "Cooldown"


class DashScopeError(WanbotError):
    """DashScope answered with an error. ``code`` is normalised (see ``normalize_code``)."""

    default_code = "Unknown"


class DashScopeUnsupportedOperation(DashScopeError):
    """``UnsupportedOperation``: e.g. cancelling a task that is no longer PENDING."""

    default_code = "UnsupportedOperation"


class DashScopeRateLimited(DashScopeError):
    default_retryable = True


class DashScopeServerError(DashScopeError):
    default_retryable = True


class TransportError(WanbotError, ConnectionError):
    """No usable answer arrived. ``ambiguous`` is true when the request may have been processed."""

    default_code = "TransportError"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        ambiguous: bool,
        code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status, request_id=request_id)
        self.ambiguous = ambiguous


class DownloadError(WanbotError):
    """A result file could not be fetched. Codes: ``Timeout``, ``ConnectionError``, ``WriteFailed``, or the
    storage's own code (``SignatureDoesNotMatch``, ``HTTP404`` …); the ones delivery acts on are subclasses
    (``DownloadTooLarge``, ``ResultExpired``, ``ResultDenied``)."""

    default_code = "DownloadFailed"


class DownloadTooLarge(DownloadError):
    """The file is over the download cap (announced by ``Content-Length`` or seen while streaming)."""

    default_code = "TooLarge"


class ResultExpired(DownloadError):
    """The signed result URL's time is up: only a fresh task gives a new one."""

    default_code = "Expired"


class ResultDenied(DownloadError):
    """Storage answered ``AccessDenied`` for the result URL: it will not serve that link again."""

    default_code = "AccessDenied"


class PlatformError(WanbotError):
    """The chat platform refused a call, or could not be reached."""

    default_code = "PlatformError"


class UploadTooLarge(PlatformError):
    """The platform refused an upload as too large (its real limit is lower than it said): re-encode."""

    default_code = "TooLarge"


_SERVER_CODES_RETRYABLE = {"InternalError", "InternalError.Upload", "SystemError", "ModelUnavailable",
                           "ModelServingError"}


def dashscope_error(
    http_status: int,
    code: str | None,
    message: str | None,
    request_id: str | None = None,
) -> DashScopeError:
    """Build the right ``DashScopeError`` subclass for an error answer."""
    norm = normalize_code(code)
    text = message or norm
    if http_status == 429 or norm.startswith("Throttling"):
        return DashScopeRateLimited(text, code=norm, request_id=request_id, http_status=http_status)
    if http_status >= 500:
        # InternalError.Timeout means the task itself ran out of time: the same request would too.
        retryable = norm != "InternalError.Timeout"
        return DashScopeServerError(
            text, code=norm, request_id=request_id, http_status=http_status, retryable=retryable
        )
    kind = DashScopeUnsupportedOperation if norm == "UnsupportedOperation" else DashScopeError
    return kind(
        text, code=norm, request_id=request_id, http_status=http_status,
        retryable=norm in _SERVER_CODES_RETRYABLE,
    )


def parse_error_body(http_status: int, body: Mapping[str, Any] | None) -> DashScopeError:
    """Read a flat ``{"code","message","request_id"}`` body or an ``{"error": {...}}`` envelope."""
    body = body or {}
    inner = body.get("error")
    source: Mapping[str, Any] = inner if isinstance(inner, Mapping) else body
    code = source.get("code") or source.get("type")
    message = source.get("message")
    request_id = body.get("request_id") or source.get("request_id") or body.get("requestId")
    return dashscope_error(
        http_status,
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        str(request_id) if request_id else None,
    )
