"""0005: image jobs: their result links (hand-written schema version 5)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Column

from core.store.schema import JSONText

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade(op: Operations) -> None:
    # A JSON list of the result links; NULL for a video.
    op.add_column("jobs", Column("image_urls", JSONText, nullable=True))


def downgrade(op: Operations) -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("image_urls")
