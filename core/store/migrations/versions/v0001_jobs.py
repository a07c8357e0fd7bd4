"""0001: the ``jobs`` table (the hand-written system's schema version 1).

Also ``schema_version``, that system's version table: the hand-written ``migrate`` created it before
version 1. It stays as a marker that makes builds older than Alembic refuse the database.
"""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, Float, Integer, String, Text

from core.store.schema import DecimalText, JSONText, UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "schema_version",
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("description", Text, nullable=False),
        Column("applied_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "jobs",
        Column("id", String, primary_key=True),
        Column("platform", String, nullable=False),
        Column("workspace_id", String, nullable=True),
        Column("channel_id", String, nullable=False),
        Column("user_id", String, nullable=False),
        Column("user_name", Text, nullable=True),
        Column("conversation", JSONText, nullable=False),
        Column("request", JSONText, nullable=False),
        Column("state", String, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=True),
        Column("state_times", JSONText, nullable=False),
        Column("task_id", String, nullable=True),
        Column("submit_started_at", UTCDateTime, nullable=True),
        Column("status_ref", JSONText, nullable=True),
        Column("video_url", Text, nullable=True),
        Column("video_expires_at", UTCDateTime, nullable=True),
        Column("delivered_ref", JSONText, nullable=True),
        Column("delivery_note", Text, nullable=True),
        Column("billed_seconds", Float, nullable=True),
        Column("cost", DecimalText, nullable=True),
        Column("error_code", String, nullable=True),
        Column("error_message", Text, nullable=True),
        Column("shown_state", String, nullable=True),
        Column("version", Integer, nullable=False),
        Column("extra", JSONText, nullable=False),
    )
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])
    op.create_index("ix_jobs_user", "jobs", ["platform", "workspace_id", "user_id", "created_at"])
    op.create_index("ux_jobs_task_id", "jobs", ["task_id"], unique=True)


def downgrade(op: Operations) -> None:
    op.drop_table("jobs")
    op.drop_table("schema_version")
