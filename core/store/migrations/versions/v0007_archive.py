"""0007: archived copies of delivered results (hand-written schema version 7)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, Integer, String

from core.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "archive",
        Column("job_id", String, primary_key=True),
        Column("key", String, primary_key=True),
        Column("backend", String, nullable=False),
        Column("size", Integer, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("content_type", String, nullable=False),
        Column("archived_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_archive_archived_at", "archive", ["archived_at"])


def downgrade(op: Operations) -> None:
    op.drop_table("archive")
