"""The store's errors: what can go wrong writing or reading a job, as ``WanbotError``s."""

from __future__ import annotations

from core.errors import WanbotError


class StoreError(WanbotError):
    default_code = "StoreError"


class StaleJob(StoreError):
    """``save`` found the row at another version (or gone): someone else wrote it since it was read."""

    default_code = "StaleJob"

    def __init__(self, job_id: str, version: int, *, missing: bool = False) -> None:
        what = "no longer exists" if missing else f"changed since version {version} was read"
        super().__init__(f"job {job_id} {what}")
        self.job_id = job_id
        self.version = version
        self.missing = missing


class DuplicateJob(StoreError):
    """``insert`` of an id that exists: pick a new id and insert again."""

    default_code = "DuplicateJob"


class TaskClaimed(StoreError):
    """Another job already holds this DashScope task id (one task, one job)."""

    default_code = "TaskClaimed"


class CorruptJob(StoreError):
    """A stored row no longer decodes into a ``Job`` (e.g. its model left the catalogue)."""

    default_code = "CorruptJob"

