"""The job store's tables and column types, as the code reads and writes them today.

Owns the database shape: the portable column types (aware UTC timestamps, JSON text, exact decimals)
and the tables of ``metadata``. The migrations that build this shape live in ``core.store.migrations``
(Alembic revisions); a test checks that the migrated database and ``metadata`` agree, so a change here
needs a new revision there (the recipe is in that package's docstring).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.types import TypeDecorator, TypeEngine

from core.jobs import JobState

# -- column types ------------------------------------------------------------------------------------------


def require_aware(value: datetime, what: str = "timestamp") -> datetime:
    """Naive datetimes are a bug upstream: refuse them rather than guess a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value


def iso_utc(value: datetime) -> str:
    # Fixed width (always microseconds, always +00:00) so text comparison in SQLite is time order.
    return require_aware(value).astimezone(UTC).isoformat(timespec="microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime: ``timestamptz`` on PostgreSQL, fixed-width ISO-8601 UTC text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return require_aware(value).astimezone(UTC)
        return iso_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return require_aware(value).astimezone(UTC)
        return datetime.fromisoformat(str(value))


class JSONText(TypeDecorator[Any]):
    """JSON kept as text: the same bytes on every backend, readable with ``sqlite3`` by a person."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` as its exact string: SQLite has no decimal type and would round through float."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


# -- the current shape ------------------------------------------------------------------------------------

metadata = MetaData()

#: The version table of the hand-written migrations Alembic replaced: databases they built are adopted from
#: it (``core.store.migrations``), and a marker row in it makes those older builds refuse a newer database.
schema_version = Table(
    "schema_version",
    metadata,
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


def _user_prefs_columns() -> list[Column[Any]]:
    """Issue 14: one person's preferences (``notify`` = ``on``/``off``: pinged when their job finishes)."""
    return [
        Column("platform", String, primary_key=True),
        Column("workspace_id", String, primary_key=True),  # "" for no workspace (a DM, the console)
        Column("user_id", String, primary_key=True),
        Column("key", String, primary_key=True),
        Column("value", Text, nullable=False),
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


def _votes_columns() -> list[Column[Any]]:
    """Issue 13 votes: one row per person's vote on a delivered result (``core.store.votes``)."""
    return [
        Column("job_id", String, primary_key=True),
        # One person, one vote per result: (job, voter) is the key.
        Column("voter_id", String, primary_key=True),
        Column("platform", String, nullable=False),
        Column("workspace_id", String, nullable=True),
        Column("channel_id", String, nullable=False),
        # The message (or Slack file) the reaction was on: un-reacting there takes the vote back.
        Column("message_id", String, nullable=False),
        Column("emoji", String, nullable=False),
        Column("voted_at", UTCDateTime, nullable=False),
    ]


def _votes_indexes(table: Table) -> list[Index]:
    c = table.c
    return [Index("ix_votes_channel", c.platform, c.workspace_id, c.channel_id),
            # An un-react names the message, not the job.
            Index("ix_votes_message", c.message_id)]


jobs = Table("jobs", metadata, *_jobs_columns(), *_v2_job_columns(), *_v3_job_columns(), *_v5_job_columns())
_jobs_indexes(jobs)

#: Per-channel request defaults an admin set (model, resolution, duration …).
channel_defaults = Table("channel_defaults", metadata, *_channel_defaults_columns())

#: How wanbot behaves in a channel (``/wan settings``: threads, spend thresholds …), apart from the request
#: defaults: a setting is not a request field and is never merged into a request.
channel_settings = Table("channel_settings", metadata, *_channel_settings_columns())

#: Issue 13: costly requests waiting for a Confirm or an Approve (``core.store.spend``).
spend_asks = Table("spend_asks", metadata, *_spend_asks_columns())
#: Issue 13: once-only notices (budget alerts, admin incidents), by key.
spend_notes = Table("spend_notes", metadata, *_spend_notes_columns())

#: Issue 14: per-person preferences (``core.store.user_prefs``), e.g. not being pinged when a job finishes.
user_prefs = Table("user_prefs", metadata, *_user_prefs_columns())

#: The wanbot processes sharing this database, with their last heartbeat.
replicas = Table("replicas", metadata, *_replicas_columns())

#: DashScope tasks on the account that no job owns (lost creates, ambiguous ones, foreign prompts):
#: never adopted again (``core.store.orphans``).
orphan_tasks = Table("orphan_tasks", metadata, *_orphan_tasks_columns())
_orphan_tasks_indexes(orphan_tasks)

#: Archived copies of delivered results, kept past DashScope's 24 h links (``core.store.archive``).
archive = Table("archive", metadata, *_archive_columns())
_archive_indexes(archive)

#: Issue 13: votes on delivered results (reactions), one per person per result (``core.store.votes``).
votes = Table("votes", metadata, *_votes_columns())
_votes_indexes(votes)


# -- shared query pieces -----------------------------------------------------------------------------------

ACTIVE_STATES = tuple(s.value for s in JobState if not s.terminal)
# EXPIRED was billed too: DashScope made the video, wanbot could not deliver it in time.
BILLED_STATES = (JobState.SUCCEEDED.value, JobState.DELIVERED.value, JobState.EXPIRED.value)
# Failed generations are not billed; cancelled ones never ran.
FREE_STATES = (JobState.FAILED.value, JobState.CANCELED.value)
# Holding one of the account's DashScope in-flight slots.
IN_FLIGHT_STATES = tuple(s.value for s in JobState if s.in_flight)


def user_filter(platform: str, workspace_id: str | None, user_id: str | None) -> list[ColumnElement[bool]]:
    """Jobs of one user (or, with ``user_id=None``, of one workspace) on one platform."""
    # workspace None is its own bucket (DMs, the console), as in ``Requester.user_key``.
    ws = jobs.c.workspace_id.is_(None) if workspace_id is None else jobs.c.workspace_id == workspace_id
    conds = [jobs.c.platform == platform, ws]
    if user_id is not None:
        conds.append(jobs.c.user_id == user_id)
    return conds
