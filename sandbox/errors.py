"""Error answers in the two dialects the sandbox speaks.

DashScope API errors are a flat JSON body ``{"request_id", "code", "message"}`` with the HTTP status
the real service uses; handlers raise ``ApiError`` and the server middleware renders it. Result
downloads are object-storage (OSS) answers: an XML ``<Error>`` document, ``application/xml``.
The messages mirror the service's wording where it is known; clients must match codes, not text.
"""

from __future__ import annotations

import secrets
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from core.errors import KNOWN_CODES

# The service's own wording for the answers the sandbox gives most.
MSG_SYNC_UNSUPPORTED = "current user api does not support synchronous calls."
MSG_NO_KEY = "No API-key provided."
MSG_BAD_KEY = "Invalid API-key provided."
MSG_MODEL_NOT_EXIST = "Model not exist."
MSG_URL_ERROR = "url error, please check url!"
MSG_RATE = "Requests rate limit exceeded, please try again later."
MSG_IN_FLIGHT = "Too many tasks in flight for this account: wait for a running task to finish."
MSG_THROTTLING = "Requests throttling triggered."
MSG_INTERNAL = "An internal error has occured, please try again later or contact service support."
MSG_UNAVAILABLE = "Model is unavailable, please try again later."
MSG_CANCEL = "Failed to cancel the task, please confirm if the task is in PENDING status."
MSG_INSPECTION_INPUT = "Input data may contain inappropriate content."
MSG_INSPECTION_OUTPUT = "Output data may contain inappropriate content."
MSG_TIMEOUT = "Task timed out: no result within 3 hours."


class ApiError(Exception):
    """A DashScope error answer: HTTP ``status``, service ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self, request_id: str) -> dict[str, Any]:
        return {"request_id": request_id, "code": self.code, "message": self.message}


def invalid(message: str) -> ApiError:
    """400 ``InvalidParameter`` — the answer to every malformed or out-of-range value."""
    return ApiError(400, "InvalidParameter", message)


def is_known(code: str) -> bool:
    """True when ``code`` is one wanbot's error tree knows (every code the sandbox emits should be)."""
    return code in KNOWN_CODES


def oss_request_id() -> str:
    """OSS prints request ids as 24 upper-case hex digits."""
    return secrets.token_hex(12).upper()


def oss_error(status: int, code: str, message: str, **extra: str) -> web.Response:
    """An object-storage error: ``<Error><Code/><Message/><RequestId/>...</Error>`` as XML."""
    rid = oss_request_id()
    parts = [f"  <Code>{escape(code)}</Code>", f"  <Message>{escape(message)}</Message>",
             f"  <RequestId>{rid}</RequestId>", "  <HostId>sandbox-result.oss.local</HostId>"]
    parts += [f"  <{k}>{escape(v)}</{k}>" for k, v in extra.items()]
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n' + "\n".join(parts) + "\n</Error>\n"
    return web.Response(status=status, body=text.encode(),
                        headers={"Content-Type": "application/xml", "x-oss-request-id": rid,
                                 "Server": "AliyunOSS"})
