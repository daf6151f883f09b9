"""Schema versioning and upgrades.

The version lives in ``PRAGMA user_version`` on SQLite (visible to ``sqlite3``) and in the
one-row table ``schema_version`` on PostgreSQL. Version 1 is the whole of ``schema.sql``;
each later version is a list of statements appended to :data:`UPGRADES`, applied in order,
each in the same transaction as the version bump.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from contenthub_async.store.database import Database
from contenthub_async.store.tables import SCHEMA_VERSION, metadata

#: version -> statements that upgrade from version - 1. Version 1 is created from metadata.
UPGRADES: Mapping[int, Sequence[str]] = {}


class SchemaVersionError(RuntimeError):
    pass


async def current_version(conn: AsyncConnection) -> int:
    if conn.dialect.name == "sqlite":
        return int((await conn.exec_driver_sql("PRAGMA user_version")).scalar_one())
    exists = (await conn.execute(text("SELECT to_regclass('schema_version') IS NOT NULL"))).scalar_one()
    if not exists:
        return 0
    return int((await conn.execute(text("SELECT version FROM schema_version"))).scalar_one())


async def _set_version(conn: AsyncConnection, version: int) -> None:
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    await conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
    await conn.execute(text("DELETE FROM schema_version"))
    await conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})


async def migrate(
    db: Database,
    *,
    target: int = SCHEMA_VERSION,
    upgrades: Mapping[int, Sequence[str]] = UPGRADES,
) -> tuple[int, int]:
    """Bring the database to ``target``; return (version before, version after). Idempotent."""
    async with db.write() as conn:
        if conn.dialect.name == "postgresql":
            # Two daemons starting at once must not both create the tables.
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('contenthub.migrate'))"))
        before = await current_version(conn)
        if before > target:
            raise SchemaVersionError(
                f"database schema version {before} is newer than this program's ({target}); upgrade contenthub-async"
            )
        version = before
        if version == 0:
            await conn.run_sync(metadata.create_all)
            version = 1
        while version < target:
            version += 1
            for statement in upgrades[version]:
                await conn.execute(text(statement))
        if version != before:
            await _set_version(conn, version)
    return before, version
