"""Schema versions as numbered SQL files, one folder per backend.

``migrations/<backend>/NNNN_<name>.sql`` upgrades a database from version ``NNNN - 1`` to
``NNNN``; ``0001_initial.sql`` creates the first schema. Both backends always have the same
versions (checked at import, from the file names: the files are read only by :func:`migrate`), and a test proves that applying every file in order gives
exactly the reviewed DDL of ``schema.sql`` on SQLite and the same schema on PostgreSQL.

Each file runs in one transaction together with its version bump, so a database is always at
a whole version. On SQLite that transaction does not enforce foreign keys until its end (see
``Database.schema_change``), so a file can rebuild a table to change what ``ALTER TABLE`` cannot.
The version lives where operators can read it: ``PRAGMA user_version`` on SQLite, the one-row
table ``schema_version`` on PostgreSQL (see ``store.dialect``).

File format: plain SQL; ``--`` comments; statements end with ``;`` (no ``;`` inside string
literals).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from contenthub_async.store.dialect import Backend, dialect_of

if TYPE_CHECKING:
    from contenthub_async.store.connection import Connection
    from contenthub_async.store.database import Database
    from contenthub_async.store.prepared import PreparedConnection

BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


class SchemaVersionError(RuntimeError):
    """The database's schema is newer than this program knows."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def split_statements(sql: str) -> tuple[str, ...]:
    """The statements of a migration file, without comments."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return tuple(s.strip() for s in "\n".join(lines).split(";") if s.strip())


def _files_of(backend: Backend) -> list[tuple[int, str, Path]]:
    """(version, name, file) of ``backend``'s migration files in version order (1, 2, … without gaps)."""
    found = []
    for entry in (Path(__file__).parent / backend).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry))
    found.sort(key=lambda item: item[0])
    if [version for version, _, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations of {backend} are not numbered 1..n: {[version for version, _, _ in found]}")
    return found


@cache
def migrations_for(backend: Backend) -> tuple[Migration, ...]:
    """The migrations of ``backend`` in version order (versions 1, 2, … without gaps)."""
    return tuple(Migration(version, name, split_statements(entry.read_text("utf-8")))
                 for version, name, entry in _files_of(backend))


def _latest_version() -> int:
    """Every ``contenthub-ctl`` command compares the database with this: the names are enough."""
    versions = {backend: len(_files_of(backend)) for backend in BACKENDS}
    if len(set(versions.values())) != 1:
        raise RuntimeError(f"the backends' migrations disagree on the latest version: {versions}")
    return versions["sqlite"]


#: The schema version this program reads and writes.
SCHEMA_VERSION = _latest_version()


async def current_version(conn: Connection | PreparedConnection) -> int:
    """The schema version of the database (0: empty), on either driver's connection."""
    return await dialect_of(conn).schema_version(conn)


async def migrate(db: Database, *, migrations: Sequence[Migration] | None = None) -> tuple[int, int]:
    """Bring the database to the latest version; return (version before, version after). Idempotent.

    ``migrations``: the list to apply instead of the package's own (tests).
    """
    chosen = migrations_for(db.backend) if migrations is None else tuple(migrations)
    target = len(chosen)
    async with db.write() as conn:
        dialect = dialect_of(conn)
        await dialect.lock_migrations(conn)
        before = await dialect.schema_version(conn)
    if before > target:
        raise SchemaVersionError(
            f"database schema version {before} is newer than this program's ({target}); upgrade contenthub-async"
        )
    version = before
    for migration in chosen[before:]:
        async with db.schema_change() as conn:
            dialect = dialect_of(conn)
            await dialect.lock_migrations(conn)
            version = await dialect.schema_version(conn)
            if version >= migration.version:  # another process upgraded meanwhile
                continue
            for statement in migration.statements:
                await conn.exec_driver_sql(statement)
            await dialect.set_schema_version(conn, migration.version)
            version = migration.version
    return before, version
