"""Fixtures that run every store contract test against SQLite and PostgreSQL.

PostgreSQL: one throw-away database per test session on ``WANBOT_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``, used only to issue CREATE/DROP DATABASE), with its
``public`` schema reset before each test. Skipped, with the reason, when the server is unreachable.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from core.store import JobStore

ADMIN_URL = os.environ.get("WANBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    # A private loop: these admin steps run in sync fixtures, outside the test's own event loop.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def _admin(sql: str, dsn: str = ADMIN_URL) -> None:
    conn = await asyncpg.connect(dsn, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a fresh PostgreSQL database that lives for the session."""
    name = f"wanbot_test_{uuid.uuid4().hex[:12]}"
    try:
        _run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc!r}")
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend."""
    if request.param == "sqlite":
        # A nested, not-yet-existing directory: open() must create it.
        return f"sqlite:///{tmp_path}/data/wanbot.db"
    url: str = request.getfixturevalue("pg_database")
    _run(_admin("DROP SCHEMA public CASCADE; CREATE SCHEMA public", url))
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[JobStore]:
    async with await JobStore.open(db_url) as s:
        yield s
