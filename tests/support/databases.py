"""Real databases for tests: a SQLite file in a temp dir, or a PostgreSQL schema of the test server.

``database_url`` gives an empty database (for the tests of migrating itself). Every other test
gets a database at the latest schema from ``MigratedDatabases``, which migrates once per test
process and then hands out copies: a file copy of a migrated SQLite template, and on PostgreSQL
a migrated schema that is emptied (rows deleted, sequences restarted) when its test is done and
handed to the next test. A schema whose test changed its shape (tables, version) is dropped,
never handed on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    import asyncpg

    from contenthub_async.store.database import Database

POSTGRES_ENV = "CONTENTHUB_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_ENV)

SKIP_POSTGRES = f"{POSTGRES_ENV} is not set (.ci/run sets it to the local server)"

requires_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=SKIP_POSTGRES)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=requires_postgres),
]

T = TypeVar("T")


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _in_own_loop(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a loop of its own thread, so it works from sync and async tests alike."""
    async def run() -> T:
        return await make()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _admin(action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """``action(conn)`` on a connection to the test server (asyncpg, outside any loop we own)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    assert POSTGRES_URL, f"{POSTGRES_ENV} is not set"
    url = make_url(POSTGRES_URL)

    async def run() -> T:
        conn = await asyncpg.connect(
            host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
            password=url.password, database=url.database,
        )
        try:
            return await action(conn)
        finally:
            await conn.close()

    return _in_own_loop(run)


def _admin_execute(sql: str) -> None:
    """Run statements on the test server."""
    async def execute(conn: asyncpg.Connection) -> None:
        await conn.execute(sql)

    _admin(execute)


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL for an empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'contenthub.db'}"
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    _admin_execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_schema(POSTGRES_URL or "", schema)
    finally:
        _admin_execute(f"DROP SCHEMA {schema} CASCADE")


def _migrate(url: str) -> None:
    async def run() -> None:
        async with open_database(url):
            pass

    _in_own_loop(run)


class MigratedDatabases:
    """Databases at the latest schema, migrated once per test process (see the module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite_template: Path | None = None
        self._free_schemas: list[str] = []
        self._schema_shape: tuple[frozenset[str], int] | None = None

    def sqlite_template(self) -> Path:
        """A migrated SQLite file to copy (made on first use)."""
        if self._sqlite_template is None:
            path = self.root / "template.db"
            _migrate(f"sqlite:///{path}")
            with sqlite3.connect(path) as conn:  # everything in the main file: a copy is whole
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite_template = path
        return self._sqlite_template

    def sqlite_copy(self, path: Path) -> Path:
        """``path`` becomes a migrated, empty SQLite database."""
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.sqlite_template(), path)
        return path

    @contextmanager
    def url(self, backend: str, tmp_path: Path) -> Iterator[str]:
        """A DATABASE_URL for an empty database of ``backend`` at the latest schema."""
        if backend == "sqlite":
            yield f"sqlite:///{self.sqlite_copy(tmp_path / 'contenthub.db')}"
            return
        schema = self._free_schemas.pop() if self._free_schemas else self._new_schema()
        try:
            yield _with_schema(POSTGRES_URL or "", schema)
        finally:
            if self._emptied(schema):
                self._free_schemas.append(schema)
            else:
                _admin_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def _new_schema(self) -> str:
        schema = "t_" + uuid.uuid4().hex[:12]
        _admin_execute(f"CREATE SCHEMA {schema}")
        _migrate(_with_schema(POSTGRES_URL or "", schema))
        if self._schema_shape is None:
            self._schema_shape = _admin(lambda conn: _shape(conn, schema))
        return schema

    def _emptied(self, schema: str) -> bool:
        """Delete every row of ``schema`` and restart its sequences; False if its shape changed."""
        from contenthub_async.store.tables import metadata

        async def empty(conn: asyncpg.Connection) -> bool:
            if await _shape(conn, schema) != self._schema_shape:
                return False
            sequences = await conn.fetch(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = $1", schema)
            children_first = [t.name for t in reversed(metadata.sorted_tables)]
            statements = [
                "BEGIN", "SET LOCAL lock_timeout = '10s'",
                *(f"DELETE FROM {schema}.{table}" for table in children_first),
                *(f"SELECT setval('{schema}.{row[0]}', 1, false)" for row in sequences),
                "COMMIT",
            ]
            await conn.execute(";\n".join(statements))
            return True

        try:
            return _admin(empty)
        except Exception:
            return False

    def close(self) -> None:
        """Drop the schemas kept for reuse."""
        if self._free_schemas:
            _admin_execute(";".join(f"DROP SCHEMA IF EXISTS {s} CASCADE" for s in self._free_schemas))
            self._free_schemas.clear()


async def _shape(conn: Any, schema: str) -> tuple[frozenset[str], int]:
    """The tables of ``schema`` and its schema version: what a reused schema must still have."""
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    names = frozenset(row[0] for row in tables)
    version = await conn.fetchval(f"SELECT max(version) FROM {schema}.schema_version") if "schema_version" in names else 0
    return names, int(version or 0)


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[Database]:
    """The database at ``url``, migrated to the latest schema, closed afterwards."""
    from contenthub_async.store.database import Database
    from contenthub_async.store.migrations import migrate

    db = Database.open(url)
    try:
        await migrate(db)
        yield db
    finally:
        await db.close()


async def query_rows(url: str, sql: str) -> list[Any]:
    """The rows of one plain SQL query, read as an operator would, on a connection of its own."""
    from sqlalchemy import text

    from contenthub_async.store.database import Database

    db = Database.open(url)
    try:
        async with db.read() as conn:
            return list((await conn.execute(text(sql))).all())
    finally:
        await db.close()
