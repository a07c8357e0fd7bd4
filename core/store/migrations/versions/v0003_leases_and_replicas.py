"""0003: job leases; replica heartbeats (hand-written schema version 3)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, String

from core.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    # Which replica owns the job's watching and delivery, and until when.
    op.add_column("jobs", Column("lease_owner", String, nullable=True))
    op.add_column("jobs", Column("lease_until", UTCDateTime, nullable=True))
    op.create_table(
        "replicas",
        Column("replica_id", String, primary_key=True),
        Column("started_at", UTCDateTime, nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
    )


def downgrade(op: Operations) -> None:
    op.drop_table("replicas")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
