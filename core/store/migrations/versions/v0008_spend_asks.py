"""0008: spend asks first: pending confirmations and approvals; once-only notices (hand-written version 8)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, String

from core.store.schema import DecimalText, JSONText, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "spend_asks",
        Column("id", String, primary_key=True),
        Column("kind", String, nullable=False),
        Column("state", String, nullable=False),
        Column("platform", String, nullable=False),
        Column("workspace_id", String, nullable=True),
        Column("channel_id", String, nullable=False),
        Column("user_id", String, nullable=False),
        Column("user_name", String, nullable=True),
        Column("conversation", JSONText, nullable=False),
        Column("requests", JSONText, nullable=False),
        Column("origin", String, nullable=False),
        Column("parent_id", String, nullable=True),
        Column("total", DecimalText, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        Column("decided_by", String, nullable=True),
        Column("job_ids", JSONText, nullable=True),
    )
    op.create_table(
        "spend_notes",
        Column("key", String, primary_key=True),
        Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade(op: Operations) -> None:
    op.drop_table("spend_notes")
    op.drop_table("spend_asks")
