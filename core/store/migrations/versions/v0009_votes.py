"""0009: votes on delivered results (issue 13; hand-written version 9 on the branch that added it)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column, String

from core.store.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    op.create_table(
        "votes",
        Column("job_id", String, primary_key=True),
        Column("voter_id", String, primary_key=True),
        Column("platform", String, nullable=False),
        Column("workspace_id", String, nullable=True),
        Column("channel_id", String, nullable=False),
        Column("message_id", String, nullable=False),
        Column("emoji", String, nullable=False),
        Column("voted_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_votes_channel", "votes", ["platform", "workspace_id", "channel_id"])
    op.create_index("ix_votes_message", "votes", ["message_id"])


def downgrade(op: Operations) -> None:
    op.drop_index("ix_votes_message", table_name="votes")
    op.drop_index("ix_votes_channel", table_name="votes")
    op.drop_table("votes")
