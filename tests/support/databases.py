"""Real databases for tests: a SQLite file in a temp dir, or a fresh PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

POSTGRES_ENV = "CONTENTHUB_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_ENV)

requires_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason=f"{POSTGRES_ENV} is not set (.ci/run sets it to the local server)"
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=requires_postgres),
]


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _admin_execute(sql: str) -> None:
    """Run one statement on the test server with asyncpg, outside any event loop we own."""
    import asyncio
    import concurrent.futures

    import asyncpg
    from sqlalchemy.engine import make_url

    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)

    async def run() -> None:
        conn = await asyncpg.connect(
            host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
            password=url.password, database=url.database,
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # In its own thread, so it works from sync and async tests alike.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL for an empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'contenthub.db'}"
        return
    assert POSTGRES_URL, f"{POSTGRES_ENV} is not set"
    schema = "t_" + uuid.uuid4().hex[:12]
    _admin_execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_schema(POSTGRES_URL, schema)
    finally:
        _admin_execute(f"DROP SCHEMA {schema} CASCADE")


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator["Database"]:  # noqa: F821
    from contenthub_async.store.database import Database
    from contenthub_async.store.migrations import migrate

    db = Database.open(url)
    try:
        await migrate(db)
        yield db
    finally:
        await db.close()
