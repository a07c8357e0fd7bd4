"""A frozen copy of the hand-written schema system that Alembic replaced (wanbot before revision 0001).

Tests build databases with it exactly as a deployed older wanbot did (``schema_version`` rows 1..N),
then open them with the current store, which must adopt them. Never edit it to follow the live schema:
it is what is out there. ``migrate(conn, upto=N)`` stops at version N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)

from core.store.schema import DecimalText, JSONText, UTCDateTime

_md = MetaData()

schema_version = Table(
    "schema_version",
    _md,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)


def _jobs_columns() -> list[Column[Any]]:
    """The jobs columns of schema v1 (fresh objects each call: a Column belongs to one Table)."""
    return [
        Column("id", String, primary_key=True),
        # Who asked: plain columns because per-user caps and /wan status query by them.
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
    ]


def _jobs_indexes(table: Table) -> list[Index]:
    c = table.c
    return [
        # active(): WHERE state IN (...) ORDER BY created_at.
        Index("ix_jobs_state_created", c.state, c.created_at),
        # Per-user caps, /wan status, /wan usage.
        Index("ix_jobs_user", c.platform, c.workspace_id, c.user_id, c.created_at),
        # One task belongs to one job: a second claim (a reconcile race) fails instead of double-delivering.
        # NULLs are distinct in unique indexes on both backends, so unsubmitted jobs do not collide.
        Index("ux_jobs_task_id", c.task_id, unique=True),
    ]


def _v2_job_columns() -> list[Column[Any]]:
    """What v2 added to jobs: the estimate a queued job holds against budgets until it is billed."""
    return [
        Column("reserved_seconds", Float, nullable=True),
        Column("reserved_cost", DecimalText, nullable=True),
    ]


def _channel_defaults_columns() -> list[Column[Any]]:
    return [
        Column("platform", String, primary_key=True),
        # "" rather than NULL for "no workspace": a primary key column cannot be NULL.
        Column("workspace_id", String, primary_key=True),
        Column("channel_id", String, primary_key=True),
        Column("defaults", JSONText, nullable=False),
        Column("updated_by", String, nullable=True),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


def _channel_settings_columns() -> list[Column[Any]]:
    return [
        Column("platform", String, primary_key=True),
        Column("workspace_id", String, primary_key=True),
        Column("channel_id", String, primary_key=True),
        Column("settings", JSONText, nullable=False),
        Column("updated_by", String, nullable=True),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


def _v3_job_columns() -> list[Column[Any]]:
    """What v3 added to jobs: which replica owns the job's watching and delivery, and until when."""
    return [
        Column("lease_owner", String, nullable=True),
        Column("lease_until", UTCDateTime, nullable=True),
    ]


def _v5_job_columns() -> list[Column[Any]]:
    """What v5 added to jobs: the result links of an image job (a JSON list; NULL for a video)."""
    return [Column("image_urls", JSONText, nullable=True)]


def _replicas_columns() -> list[Column[Any]]:
    return [
        Column("replica_id", String, primary_key=True),
        Column("started_at", UTCDateTime, nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
    ]


def _orphan_tasks_columns() -> list[Column[Any]]:
    return [
        Column("task_id", String, primary_key=True),
        Column("model", String, nullable=True),
        # The task's status when it was found, and what was done: "cancelled" or "left".
        Column("status", String, nullable=False),
        Column("action", String, nullable=False),
        Column("reason", Text, nullable=False),
        Column("task_created_at", UTCDateTime, nullable=True),
        Column("found_at", UTCDateTime, nullable=False),
        # The job that let go of it, when one had adopted it first.
        Column("job_id", String, nullable=True),
    ]


def _orphan_tasks_indexes(table: Table) -> list[Index]:
    return [Index("ix_orphan_tasks_found", table.c.found_at)]


def _archive_columns() -> list[Column[Any]]:
    """Issue 13: one row per archived file of a delivered job (a video: one; an image job: one per image)."""
    return [
        Column("job_id", String, primary_key=True),
        Column("key", String, primary_key=True),
        # "local" or "s3": which backend holds it (a deployment may switch; old rows keep their backend).
        Column("backend", String, nullable=False),
        Column("size", Integer, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("content_type", String, nullable=False),
        Column("archived_at", UTCDateTime, nullable=False),
    ]


def _archive_indexes(table: Table) -> list[Index]:
    return [Index("ix_archive_archived_at", table.c.archived_at)]

def _spend_asks_columns() -> list[Column[Any]]:
    """Issue 13: a costly job's request waiting for its requester's Confirm or an approver's Approve."""
    return [
        Column("id", String, primary_key=True),
        # "confirm" (the requester's) or "approve" (an approver's)
        Column("kind", String, nullable=False),
        # pending → started | cancelled | declined | expired | refused
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
    ]


def _spend_notes_columns() -> list[Column[Any]]:
    """Issue 13: things said once (an 80 % budget alert per period, an admin incident per window)."""
    return [
        Column("key", String, primary_key=True),
        Column("created_at", UTCDateTime, nullable=False),
    ]

# -- migrations ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1_jobs(conn: Connection) -> None:
    # Built from its own MetaData so later edits to ``jobs`` above can never change what v1 creates.
    md = MetaData()
    table = Table("jobs", md, *_jobs_columns())
    _jobs_indexes(table)
    md.create_all(conn)


def _add_job_columns(conn: Connection, columns: list[Column[Any]]) -> None:
    preparer = conn.dialect.identifier_preparer
    for column in columns:
        kind = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE jobs ADD COLUMN {preparer.quote(column.name)} {kind}"))


def _v2_budgets_and_channel_defaults(conn: Connection) -> None:
    _add_job_columns(conn, _v2_job_columns())
    md = MetaData()
    Table("channel_defaults", md, *_channel_defaults_columns())
    md.create_all(conn)


def _v3_leases_and_replicas(conn: Connection) -> None:
    _add_job_columns(conn, _v3_job_columns())
    md = MetaData()
    Table("replicas", md, *_replicas_columns())
    md.create_all(conn)


def _v4_orphan_tasks(conn: Connection) -> None:
    md = MetaData()
    table = Table("orphan_tasks", md, *_orphan_tasks_columns())
    _orphan_tasks_indexes(table)
    md.create_all(conn)


def _v5_image_results(conn: Connection) -> None:
    _add_job_columns(conn, _v5_job_columns())


def _v6_channel_settings(conn: Connection) -> None:
    md = MetaData()
    Table("channel_settings", md, *_channel_settings_columns())
    md.create_all(conn)


def _v7_archive(conn: Connection) -> None:
    md = MetaData()
    table = Table("archive", md, *_archive_columns())
    _archive_indexes(table)
    md.create_all(conn)


def _v8_spend_asks(conn: Connection) -> None:
    md = MetaData()
    Table("spend_asks", md, *_spend_asks_columns())
    Table("spend_notes", md, *_spend_notes_columns())
    md.create_all(conn)


def _v9_votes(conn: Connection) -> None:
    """Version 9 as the votes branch shipped it before Alembic (frozen here: its columns written out)."""
    md = MetaData()
    table = Table("votes", md,
                  Column("job_id", String, primary_key=True), Column("voter_id", String, primary_key=True),
                  Column("platform", String, nullable=False), Column("workspace_id", String, nullable=True),
                  Column("channel_id", String, nullable=False), Column("message_id", String, nullable=False),
                  Column("emoji", String, nullable=False), Column("voted_at", UTCDateTime, nullable=False))
    Index("ix_votes_channel", table.c.platform, table.c.workspace_id, table.c.channel_id)
    Index("ix_votes_message", table.c.message_id)
    md.create_all(conn)


def _v10_user_prefs(conn: Connection) -> None:
    md = MetaData()
    Table("user_prefs", md,
          Column("platform", String, primary_key=True), Column("workspace_id", String, primary_key=True),
          Column("user_id", String, primary_key=True), Column("key", String, primary_key=True),
          Column("value", Text, nullable=False), Column("updated_at", UTCDateTime, nullable=False))
    md.create_all(conn)


#: Applied in order at open; the database records the highest version it has.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "jobs table", _v1_jobs),
    Migration(2, "budget reservations on jobs; per-channel defaults", _v2_budgets_and_channel_defaults),
    Migration(3, "job leases; replica heartbeats", _v3_leases_and_replicas),
    Migration(4, "orphan DashScope tasks", _v4_orphan_tasks),
    Migration(5, "image jobs: their result links", _v5_image_results),
    Migration(6, "per-channel settings", _v6_channel_settings),
    Migration(7, "archived copies of delivered results", _v7_archive),
    Migration(8, "spend asks first: pending confirmations and approvals; once-only notices", _v8_spend_asks),
    Migration(9, "votes on delivered results", _v9_votes),
    Migration(10, "per-user preferences (issue 14: pinged or not when a job finishes)", _v10_user_prefs),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaError(Exception):
    pass


def migrate(conn: Connection, upto: int = LATEST_VERSION) -> int:
    """The old ``migrate`` (without its PostgreSQL lock), stopping at ``upto``."""
    schema_version.create(conn, checkfirst=True)
    have = int(conn.scalar(select(func.coalesce(func.max(schema_version.c.version), 0))) or 0)
    if have > LATEST_VERSION:
        raise SchemaError(
            f"the database is at schema version {have}, newer than this wanbot ({LATEST_VERSION}); "
            "upgrade wanbot instead of running an old build against it"
        )
    for migration in MIGRATIONS[have:upto]:
        migration.apply(conn)
        conn.execute(
            insert(schema_version).values(
                version=migration.version,
                description=migration.description,
                applied_at=datetime.now(UTC),
            )
        )
    return upto
