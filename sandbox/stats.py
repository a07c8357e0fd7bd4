"""Counters a test can assert on: requests by route, answers by status and code, faults fired (and
which request got which), and tasks created per API key (to catch a client that bills twice by re-sending a create).

Keys are never stored in the clear: counters are indexed by ``key_id(api_key)``, a short hash,
and ``tasks_created(api_key)`` looks one up.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field


def key_id(api_key: str) -> str:
    """A stable, non-reversible label for an API key (``"key-1a2b3c4d5e6f"``)."""
    return "key-" + hashlib.sha256(api_key.encode()).hexdigest()[:12]


@dataclass
class Stats:
    requests_by_route: Counter[str] = field(default_factory=Counter)
    responses_by_status: Counter[int] = field(default_factory=Counter)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    #: ``request_id`` → the fault injected into that request (a task keeps its creating request's id).
    fault_by_request: dict[str, str] = field(default_factory=dict)
    created_by_key: Counter[str] = field(default_factory=Counter)
    images_by_key: Counter[str] = field(default_factory=Counter)
    downloads: int = 0
    bytes_generated: int = 0

    def record_fault(self, request_id: str, fault: str) -> None:
        self.faults[fault] += 1
        self.fault_by_request[request_id] = fault

    def tasks_created(self, api_key: str) -> int:
        """Video tasks created (and billable) with this key, however the answer fared."""
        return self.created_by_key[key_id(api_key)]

    def images_generated(self, api_key: str) -> int:
        return self.images_by_key[key_id(api_key)]

    def reset(self) -> None:
        for counter in (self.requests_by_route, self.responses_by_status, self.errors_by_code,
                        self.faults, self.created_by_key, self.images_by_key):
            counter.clear()
        self.fault_by_request.clear()
        self.downloads = 0
        self.bytes_generated = 0
