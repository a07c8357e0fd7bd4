"""0010: per-person preferences (issue 14: pinged or not when a job finishes)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, String, Text

from core.store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "user_prefs",
        Column("platform", String, primary_key=True),
        Column("workspace_id", String, primary_key=True),
        Column("user_id", String, primary_key=True),
        Column("key", String, primary_key=True),
        Column("value", Text, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade(op: Operations) -> None:
    op.drop_table("user_prefs")
