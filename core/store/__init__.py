"""The persistent job store: every ``Job`` survives a restart here (SQLite by default, or PostgreSQL).

``JobStore`` (in ``core.store.jobstore``) is the API; ``core.store.schema`` owns the tables and the
versioned migrations applied at ``JobStore.open``; ``rows`` maps jobs to rows; ``limits`` checks caps and
budgets at insert; ``leases`` shares jobs and DashScope slots between replicas; ``channels`` keeps
per-channel defaults. Import from this package, not the submodules.
"""

from core.store.errors import CorruptJob, DuplicateJob, StaleJob, StoreError, TaskClaimed
from core.store.jobstore import JobStore, UsageTotals, driver_url
from core.store.leases import Leases
from core.store.schema import LATEST_VERSION, MIGRATIONS, Migration, SchemaError

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "CorruptJob",
    "DuplicateJob",
    "JobStore",
    "Leases",
    "Migration",
    "SchemaError",
    "StaleJob",
    "StoreError",
    "TaskClaimed",
    "UsageTotals",
    "driver_url",
]
