"""The persistent job store: every ``Job`` survives a restart here (SQLite by default, or PostgreSQL).

``JobStore`` (in ``core.store.jobstore``) is the API; ``core.store.schema`` owns the tables and the
versioned migrations applied at ``JobStore.open``. Import from this package, not the submodules.
"""

from core.store.jobstore import (
    CorruptJob,
    DuplicateJob,
    JobStore,
    StaleJob,
    StoreError,
    TaskClaimed,
    UsageTotals,
    driver_url,
)
from core.store.schema import LATEST_VERSION, MIGRATIONS, Migration, SchemaError

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "CorruptJob",
    "DuplicateJob",
    "JobStore",
    "Migration",
    "SchemaError",
    "StaleJob",
    "StoreError",
    "TaskClaimed",
    "UsageTotals",
    "driver_url",
]
