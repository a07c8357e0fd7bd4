"""The persistent job store: every ``Job`` survives a restart here (SQLite by default, or PostgreSQL).

``JobStore`` (in ``core.store.jobstore``) is the API; ``core.store.schema`` owns the tables and
``core.store.migrations`` the Alembic revisions applied at ``JobStore.open``; ``rows`` maps jobs to rows;
``limits`` checks caps and budgets at insert; ``leases`` shares jobs and DashScope slots between replicas;
``channels`` keeps per-channel defaults. Import from this package, not the submodules.
"""

from core.store.errors import CorruptJob, DuplicateJob, StaleJob, StoreError, TaskClaimed
from core.store.jobstore import JobStore, UsageTotals, driver_url
from core.store.leases import Leases
from core.store.migrations import HEAD_REVISION, LATEST_VERSION, SchemaError, SchemaState

__all__ = [
    "HEAD_REVISION",
    "LATEST_VERSION",
    "CorruptJob",
    "DuplicateJob",
    "JobStore",
    "Leases",
    "SchemaError",
    "SchemaState",
    "StaleJob",
    "StoreError",
    "TaskClaimed",
    "UsageTotals",
    "driver_url",
]
