"""0002: budget reservations on jobs; per-channel defaults (hand-written schema version 2)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, Float, String

from core.store.schema import DecimalText, JSONText, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    # The estimate a queued job holds against budgets until it is billed.
    op.add_column("jobs", Column("reserved_seconds", Float, nullable=True))
    op.add_column("jobs", Column("reserved_cost", DecimalText, nullable=True))
    op.create_table(
        "channel_defaults",
        Column("platform", String, primary_key=True),
        Column("workspace_id", String, primary_key=True),
        Column("channel_id", String, primary_key=True),
        Column("defaults", JSONText, nullable=False),
        Column("updated_by", String, nullable=True),
        Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade(op: Operations) -> None:
    op.drop_table("channel_defaults")
    with op.batch_alter_table("jobs") as batch:  # SQLite: dropping a column copies the table
        batch.drop_column("reserved_cost")
        batch.drop_column("reserved_seconds")
