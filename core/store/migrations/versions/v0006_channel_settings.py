"""0006: per-channel settings (hand-written schema version 6)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, String

from core.store.schema import JSONText, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "channel_settings",
        Column("platform", String, primary_key=True),
        Column("workspace_id", String, primary_key=True),
        Column("channel_id", String, primary_key=True),
        Column("settings", JSONText, nullable=False),
        Column("updated_by", String, nullable=True),
        Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade(op: Operations) -> None:
    op.drop_table("channel_settings")
