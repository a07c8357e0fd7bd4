"""Schema migrations: Alembic revisions shipped in this package, applied at ``JobStore.open``.

Alembic owns the migrations. Each schema change is one revision file in ``versions/``,
``vNNNN_<what>.py`` with ``revision = "NNNN"``, chained by ``down_revision``; ``0001``..``0008`` build
exactly what the hand-written versions 1..8 built. They run programmatically, without ``env.py`` or
``alembic.ini``: a ``ScriptDirectory`` on this package (it reads ``versions/``) and a ``MigrationContext`` on
the store's own connection (``JobStore.open`` calls ``migrate`` through ``run_sync``), inside the
caller's transaction. Both backends have transactional DDL, so a failed upgrade leaves nothing behind.
The revision a database is at is in Alembic's ``alembic_version`` table.

Still hand-written here, because Alembic does not do it:

* the lock. Replicas starting together must not both run the same DDL, and Alembic takes no lock of its
  own: on SQLite the caller's ``BEGIN IMMEDIATE`` holds the write lock (``core.store.jobstore``), on
  PostgreSQL ``migrate`` takes a transaction-scoped advisory lock before reading the revision;
* the refusal of a database at a revision this build does not know (a newer wanbot migrated it), as one
  sentence instead of Alembic's "Can't locate revision";
* adopting a database the hand-written system built: it has ``schema_version`` rows 1..N and no
  ``alembic_version``, so it is stamped at revision N (``f"{N:04d}"``) and upgraded from there;
* a marker row (version ``LEGACY_MARKER``) in that old ``schema_version`` table, so a build from before
  Alembic refuses the database as "newer than this wanbot" instead of running its own migrations on it.

One departure from Alembic's usual revision files: ``upgrade(op)`` and ``downgrade(op)`` take their
``Operations`` as an argument (``run_migrations`` passes it) instead of importing ``alembic.op``. That
proxy is one process-wide global: two stores opened at once in one process, on two databases, would
send one's DDL through the other's connection.

Adding a revision: change the tables in ``core.store.schema``; copy the latest ``versions/vNNNN_*.py`` to
the next number (``v0011_<what>.py``), set ``revision = "0011"`` and ``down_revision = "0010"``, and write
``upgrade(op)`` with ``op.create_table`` / ``op.add_column`` / ``op.create_index``, spelling the columns out
(never import the live tables: a shipped revision is frozen, and the live shape moves on), and a
``downgrade(op)`` undoing it. On SQLite, anything other than adding tables, columns and indexes (dropping
or altering a column, constraints) goes through ``with op.batch_alter_table(...)``, which copies the table.
``tests/store/test_migrations.py`` fails until the migrated database equals ``schema.metadata`` and the
numbers follow on. Never edit a shipped revision. ``0009`` (votes) and ``0010`` (user_prefs) are the two
tables first written for the hand-written system: their revisions keep those numbers, so a database
that system took to version 9 or 10 is stamped at the right place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select, text

from core.errors import WanbotError
from core.store.schema import schema_version

#: The revisions: Alembic reads ``versions/`` of this installed package, a plain directory (it loads the
#: files by path; a zipped install would not do).
SCRIPTS = ScriptDirectory(str(files(__name__)))

#: The revision this build brings a database to, and the same as a number ("0008" → 8).
HEAD_REVISION: str = SCRIPTS.get_current_head() or ""
LATEST_VERSION = int(HEAD_REVISION)

#: Written into the old ``schema_version`` table: builds from before Alembic refuse a database above their
#: own latest version, and this is above any they had.
LEGACY_MARKER = 1000

# Any fixed 64-bit number: serialises concurrent migrators on one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x77616E626F74  # "wanbot"


class SchemaError(WanbotError):
    default_code = "SchemaError"


@dataclass(frozen=True)
class SchemaState:
    """Where ``migrate`` found the database and where it left it."""

    #: The revision now (``HEAD_REVISION`` after a successful ``migrate``).
    revision: str
    #: The revision it was at; ``None`` for a new, empty database.
    before: str | None
    #: The hand-written ``schema_version`` it was adopted from, if it had no Alembic revision yet.
    adopted_from: int | None = None

    def describe(self) -> str:
        """One line for logs and ``wanbot doctor``: ``schema revision 0008 (upgraded from 0005)``."""
        if self.adopted_from is not None:
            how = f"adopted from hand-written schema version {self.adopted_from}"
            if self.before != self.revision:
                how += ", then upgraded"
        elif self.before is None:
            how = "new database"
        elif self.before != self.revision:
            how = f"upgraded from {self.before}"
        else:
            how = "up to date"
        return f"schema revision {self.revision} ({how})"


def migrate(conn: Connection) -> SchemaState:
    """Bring the database to ``HEAD_REVISION`` inside the caller's transaction.

    The caller holds the write lock on SQLite (``BEGIN IMMEDIATE``); on PostgreSQL an advisory lock is
    taken here, released when the caller's transaction ends. Raises ``SchemaError`` for a database newer
    than this build.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    context = MigrationContext.configure(conn, opts={"fn": _to_head})
    before = context.get_current_revision()
    adopted = None
    if before is None:
        adopted = _legacy_version(conn)
        if adopted is not None:
            before = f"{adopted:04d}"
            _refuse_unknown(before, f"hand-written schema version {adopted}")
            context.stamp(SCRIPTS, before)
    else:
        _refuse_unknown(before, f"schema revision {before}")
    context.run_migrations(op=Operations(context))
    _mark_legacy_table(conn)
    return SchemaState(revision=HEAD_REVISION, before=before, adopted_from=adopted)


def downgrade(conn: Connection, target: str) -> None:
    """Take the database down to revision ``target`` (``"base"``: nothing). For tests and by hand only."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})

    def down(heads: Any, _context: MigrationContext) -> list[RevisionStep]:
        return SCRIPTS._downgrade_revs(target, heads)  # what ``alembic.command.downgrade`` runs

    context = MigrationContext.configure(conn, opts={"fn": down})
    context.run_migrations(op=Operations(context))


def _to_head(heads: Any, _context: MigrationContext) -> list[RevisionStep]:
    # What ``alembic.command.upgrade`` hands its environment: the steps from ``heads`` to the head.
    return SCRIPTS._upgrade_revs(HEAD_REVISION, heads)


def _known(revision: str) -> bool:
    return any(script.revision == revision for script in SCRIPTS.walk_revisions())


def _refuse_unknown(revision: str, what: str) -> None:
    if not _known(revision):
        raise SchemaError(
            f"the database is at {what}, newer than this wanbot knows (its latest is {HEAD_REVISION}); "
            "upgrade wanbot instead of running an old build against it"
        )


def _legacy_version(conn: Connection) -> int | None:
    """The hand-written system's version of a database without ``alembic_version``; ``None`` if it has none."""
    if not inspect(conn).has_table(schema_version.name):
        return None
    version = int(conn.scalar(select(func.coalesce(func.max(schema_version.c.version), 0))) or 0)
    return version or None


def _mark_legacy_table(conn: Connection) -> None:
    if conn.scalar(select(schema_version.c.version).where(schema_version.c.version == LEGACY_MARKER)) is None:
        conn.execute(schema_version.insert().values(
            version=LEGACY_MARKER,
            description="schema managed by Alembic now (alembic_version): wanbot builds from before refuse it",
            applied_at=datetime.now(UTC),
        ))
