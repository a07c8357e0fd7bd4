"""0004: orphan DashScope tasks (hand-written schema version 4)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, String, Text

from core.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "orphan_tasks",
        Column("task_id", String, primary_key=True),
        Column("model", String, nullable=True),
        Column("status", String, nullable=False),
        Column("action", String, nullable=False),
        Column("reason", Text, nullable=False),
        Column("task_created_at", UTCDateTime, nullable=True),
        Column("found_at", UTCDateTime, nullable=False),
        Column("job_id", String, nullable=True),
    )
    op.create_index("ix_orphan_tasks_found", "orphan_tasks", ["found_at"])


def downgrade(op: Operations) -> None:
    op.drop_table("orphan_tasks")
