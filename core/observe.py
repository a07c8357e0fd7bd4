"""What the engine reports as it works, for metrics and other observers.

``EngineObserver`` is a small set of callbacks; ``NullObserver`` ignores them all. The engine calls
them synchronously and cheaply (no I/O), so an observer must not block: a Prometheus observer updates
counters, a test observer appends to lists. Nothing here imports a metrics library.
"""

from __future__ import annotations

from typing import Protocol

from core.jobs import Job


class EngineObserver(Protocol):
    def job_changed(self, job: Job) -> None:
        """A job was stored with a new state or new fields."""

    def queue_depth(self, waiting: int, in_flight: int) -> None:
        """The fair queue's length and the DashScope slots in use, after every change."""

    def task_finished_seen(self, lag_seconds: float) -> None:
        """A terminal task state was seen ``lag_seconds`` after DashScope's own end time."""

    def dashscope_error(self, code: str) -> None:
        """A DashScope call (create, query, cancel) failed with ``code``."""

    def uploaded(self, size: int) -> None:
        """A video of ``size`` bytes reached the chat platform."""

    def orphan_task(self, action: str) -> None:
        """An unknown DashScope task was found on the account: ``cancelled`` (it was PENDING) or ``left``."""


class NullObserver:
    def job_changed(self, job: Job) -> None:
        return None

    def queue_depth(self, waiting: int, in_flight: int) -> None:
        return None

    def task_finished_seen(self, lag_seconds: float) -> None:
        return None

    def dashscope_error(self, code: str) -> None:
        return None

    def uploaded(self, size: int) -> None:
        return None

    def orphan_task(self, action: str) -> None:
        return None
