"""Trigger phrases: text in a prompt that makes the sandbox misbehave on purpose.

Put a phrase anywhere in ``input.prompt`` (video) or the text of an image request:

================================  ==============================================================
phrase                            effect
================================  ==============================================================
``[[sandbox:reject]]``            task runs, then ends FAILED ``DataInspectionFailed`` (output
                                  flagged by moderation; HTTP 200 on query, like the service)
``[[sandbox:fail]]``              task runs, then ends FAILED ``InternalError``
``[[sandbox:stuck]]``             task stays RUNNING; after 3 h (÷ speed) FAILED
                                  ``InternalError.Timeout``, as the service gives up
``[[sandbox:reject-input]]``      create answers 400 ``DataInspectionFailed`` (input flagged)
``[[sandbox:ip]]``                create answers 400 ``IPInfringementSuspect``
``[[sandbox:arrearage]]``         create answers 400 ``Arrearage`` (account overdue)
================================  ==============================================================

The first matching phrase wins; create-time phrases are checked before a task exists.
"""

from __future__ import annotations

from enum import StrEnum

from sandbox.errors import MSG_INSPECTION_INPUT, ApiError


class Outcome(StrEnum):
    """How a task that is not canceled will end."""

    SUCCEED = "succeed"
    REJECT = "reject"  # FAILED DataInspectionFailed
    FAIL = "fail"  # FAILED InternalError
    STUCK = "stuck"  # RUNNING, then FAILED InternalError.Timeout


REJECT = "[[sandbox:reject]]"
FAIL = "[[sandbox:fail]]"
STUCK = "[[sandbox:stuck]]"
REJECT_INPUT = "[[sandbox:reject-input]]"
IP_INFRINGEMENT = "[[sandbox:ip]]"
ARREARAGE = "[[sandbox:arrearage]]"

_CREATE_ERRORS: tuple[tuple[str, ApiError], ...] = (
    (REJECT_INPUT, ApiError(400, "DataInspectionFailed", MSG_INSPECTION_INPUT)),
    (IP_INFRINGEMENT, ApiError(400, "IPInfringementSuspect",
                               "Input data is suspected of being involved in IP infringement.")),
    (ARREARAGE, ApiError(400, "Arrearage",
                         "Access denied, please make sure your account is in good standing.")),
)

_OUTCOMES: tuple[tuple[str, Outcome], ...] = (
    (REJECT, Outcome.REJECT),
    (FAIL, Outcome.FAIL),
    (STUCK, Outcome.STUCK),
)


def create_error(prompt: str) -> ApiError | None:
    """The error a create must answer for this prompt, if it holds a create-time phrase."""
    for phrase, error in _CREATE_ERRORS:
        if phrase in prompt:
            return ApiError(error.status, error.code, error.message)
    return None


def outcome(prompt: str) -> Outcome | None:
    """The forced outcome for this prompt, or ``None`` to let chance (``Faults``) decide."""
    for phrase, result in _OUTCOMES:
        if phrase in prompt:
            return result
    return None
