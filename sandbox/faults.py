"""Fault injection: which request gets a 429/500/503, a dropped or reset connection, or extra latency.

One seeded ``random.Random`` decides, so a run with the same seed and the same request sequence
injects the same faults. The server asks ``decide(route)`` once per request on a faulty route and
acts on the answer: a fault with ``before_effect`` is applied instead of the handler, the others after
it ran (see ``sandbox.config.Faults``); ``stuck()`` is asked once per new video task.
"""

from __future__ import annotations

import random
from enum import StrEnum

from sandbox.config import Faults
from sandbox.errors import MSG_INTERNAL, MSG_THROTTLING, MSG_UNAVAILABLE, ApiError


class Fault(StrEnum):
    THROTTLE = "429"
    INTERNAL = "500"
    UNAVAILABLE = "503"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    THROTTLE_AFTER = "429_after"
    INTERNAL_AFTER = "500_after"
    UNAVAILABLE_AFTER = "503_after"
    RESET_AFTER = "reset_after"

    @property
    def before_effect(self) -> bool:
        """Applied instead of the handler (nothing was done), rather than after it."""
        return self in _BEFORE

    @property
    def error_answer(self) -> bool:
        """Answered with a JSON error body (rather than no answer at all)."""
        return self in _ERRORS


_BEFORE = frozenset({Fault.THROTTLE, Fault.INTERNAL, Fault.UNAVAILABLE, Fault.DROP_BEFORE})


_ERRORS: dict[Fault, ApiError] = {
    Fault.THROTTLE: ApiError(429, "Throttling", MSG_THROTTLING),
    Fault.INTERNAL: ApiError(500, "InternalError", MSG_INTERNAL),
    Fault.UNAVAILABLE: ApiError(503, "ModelUnavailable", MSG_UNAVAILABLE),
    # The same bodies after the effect: nothing in the answer tells the client the task exists.
    Fault.THROTTLE_AFTER: ApiError(429, "Throttling", MSG_THROTTLING),
    Fault.INTERNAL_AFTER: ApiError(500, "InternalError", MSG_INTERNAL),
    Fault.UNAVAILABLE_AFTER: ApiError(503, "ModelUnavailable", MSG_UNAVAILABLE),
}


class FaultInjector:
    def __init__(self, faults: Faults, rng: random.Random) -> None:
        self.faults = faults
        self.rng = rng

    def applies(self, route: str) -> bool:
        return self.faults.any and route in self.faults.routes

    def decide(self, route: str) -> Fault | None:
        """The fault for this request, if any (at most one)."""
        if route not in self.faults.routes:
            return None
        f = self.faults
        roll = self.rng.random()
        for fault, rate in ((Fault.THROTTLE, f.rate_429), (Fault.INTERNAL, f.rate_500),
                            (Fault.UNAVAILABLE, f.rate_503), (Fault.DROP_BEFORE, f.drop_before_rate),
                            (Fault.DROP_AFTER, f.drop_after_rate), (Fault.THROTTLE_AFTER, f.rate_429_after),
                            (Fault.INTERNAL_AFTER, f.rate_500_after),
                            (Fault.UNAVAILABLE_AFTER, f.rate_503_after), (Fault.RESET_AFTER, f.reset_after_rate)):
            if roll < rate:
                return fault
            roll -= rate
        return None

    def latency(self) -> float:
        f = self.faults
        if f.latency_jitter > 0:
            return f.latency + self.rng.uniform(0.0, f.latency_jitter)
        return f.latency

    def stuck(self) -> bool:
        return self.faults.stuck_rate > 0 and self.rng.random() < self.faults.stuck_rate

    @staticmethod
    def error(fault: Fault) -> ApiError:
        err = _ERRORS[fault]
        return ApiError(err.status, err.code, err.message)
