"""Everything that differs between SQLite and PostgreSQL, behind one interface (after River's
driver): the rest of ``store/`` writes one statement for both and asks :func:`dialect_of` for
the few things that cannot be said the same way.

=====================  ===============================  ======================================
duty                   SQLite                           PostgreSQL
=====================  ===============================  ======================================
serialize claims       ``BEGIN IMMEDIATE`` already did  ``pg_advisory_xact_lock``
skip rows others hold  nothing to skip (one writer)     ``FOR UPDATE SKIP LOCKED``
lock rows to change    nothing to lock (one writer)     ``FOR UPDATE``
insert-or-ignore       ``ON CONFLICT DO NOTHING``       ``ON CONFLICT DO NOTHING``
wake other daemons     the commit changes               ``NOTIFY contenthub_changes``
                       ``PRAGMA data_version``
explicit ids           nothing to do                    move the serial's sequence past them
schema version         ``PRAGMA user_version``          one-row table ``schema_version``
hour of a timestamp    ``substr(ts, 1, 13)`` of the     ``to_char`` of the UTC time
                       ISO text
database time          ``strftime(…, 'now')``           ``clock_timestamp()``
=====================  ===============================  ======================================
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from contenthub_async.store.sqlite_text import parse_utc

if TYPE_CHECKING:  # SQLAlchemy is imported where a statement is built: the everyday commands never do
    from sqlalchemy import ColumnElement, Select, Table

    from contenthub_async.store.connection import Connection
    from contenthub_async.store.prepared import PreparedConnection

Backend = Literal["sqlite", "postgresql"]

#: The one notification channel: every commit that gives a daemon work (a task submitted or
#: requeued, a job created, changed or triggered) notifies it; idle loops wake on it.
CHANGES_CHANNEL = "contenthub_changes"


class Dialect(Protocol):
    name: Backend

    async def lock_claims(self, conn: Connection) -> None:
        """Serialize claimers across daemons until the end of the transaction."""
        ...

    async def lock_migrations(self, conn: Connection) -> None:
        """Serialize schema upgrades (two daemons starting at once) until the end of the transaction."""
        ...

    def skip_locked(self, query: Select[Any]) -> Select[Any]:
        """``query`` locking the rows it returns and skipping rows another transaction holds."""
        ...

    async def lock_rows(self, conn: Connection, query: Select[Any]) -> None:
        """Lock the rows ``query`` selects until the end of the transaction."""
        ...

    def insert_ignoring_duplicates(self, table: Table) -> Any:
        """An INSERT that skips rows violating a unique constraint (``ON CONFLICT DO NOTHING``)."""
        ...

    async def notify_changes(self, conn: Any) -> None:
        """Wake idle daemons when this transaction commits."""
        ...

    async def after_explicit_ids(self, conn: Connection, table: Table) -> None:
        """Keep generated ids ahead of ids chosen explicitly in this transaction."""
        ...

    async def schema_version(self, conn: Any) -> int:
        """The schema version of the database (0: empty)."""
        ...

    async def set_schema_version(self, conn: Connection, version: int) -> None: ...

    def hour_label(self, column: Any) -> ColumnElement[str]:
        """The UTC hour a timestamp column falls in, as text ``YYYY-MM-DDTHH``."""
        ...

    async def database_now(self, conn: Connection | PreparedConnection) -> datetime:
        """The database's clock now (aware UTC): the one clock every daemon agrees on (on either
        driver's connection)."""
        ...


class SqliteDialect:
    name: Backend = "sqlite"

    async def lock_claims(self, conn: Connection) -> None:
        return None  # every write transaction began with BEGIN IMMEDIATE: it is the only writer

    async def lock_migrations(self, conn: Connection) -> None:
        return None

    def skip_locked(self, query: Select[Any]) -> Select[Any]:
        return query

    async def lock_rows(self, conn: Connection, query: Select[Any]) -> None:
        return None  # the write transaction holds the database's only write lock

    def insert_ignoring_duplicates(self, table: Table) -> Any:
        from sqlalchemy.dialects.sqlite import insert

        return insert(table).on_conflict_do_nothing()

    async def notify_changes(self, conn: Any) -> None:
        return None  # the commit itself changes PRAGMA data_version, which daemons watch

    async def after_explicit_ids(self, conn: Connection, table: Table) -> None:
        return None  # INTEGER PRIMARY KEY takes max(id) + 1 by itself

    async def schema_version(self, conn: Any) -> int:
        return int((await conn.exec_driver_sql("PRAGMA user_version")).scalar_one())

    async def set_schema_version(self, conn: Connection, version: int) -> None:
        await conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")

    def hour_label(self, column: Any) -> ColumnElement[str]:
        from sqlalchemy import Text, func

        return func.substr(column, 1, 13, type_=Text())  # timestamps are ISO text: 2026-11-22T08:00:00.000Z

    async def database_now(self, conn: Connection | PreparedConnection) -> datetime:
        stamp = (await conn.exec_driver_sql("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")).scalar_one()
        return parse_utc(stamp)


class PostgresDialect:
    name: Backend = "postgresql"

    async def lock_claims(self, conn: Connection) -> None:
        from sqlalchemy import text

        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('contenthub.claim'))"))

    async def lock_migrations(self, conn: Connection) -> None:
        from sqlalchemy import text

        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('contenthub.migrate'))"))

    def skip_locked(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update(skip_locked=True)

    async def lock_rows(self, conn: Connection, query: Select[Any]) -> None:
        await conn.execute(query.with_for_update())

    def insert_ignoring_duplicates(self, table: Table) -> Any:
        from sqlalchemy.dialects.postgresql import insert

        return insert(table).on_conflict_do_nothing()

    async def notify_changes(self, conn: Any) -> None:
        # The payload names the schema of the tables (``?schema=``): daemons of another
        # deployment in the same database listen on the same channel and ignore it.
        from sqlalchemy import text

        await conn.execute(text("SELECT pg_notify(:channel, coalesce(current_schema(), ''))"),
                           {"channel": CHANGES_CHANNEL})

    async def after_explicit_ids(self, conn: Connection, table: Table) -> None:
        from sqlalchemy import text

        await conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")
        )

    async def schema_version(self, conn: Any) -> int:
        from sqlalchemy import text

        exists = (await conn.execute(text("SELECT to_regclass('schema_version') IS NOT NULL"))).scalar_one()
        if not exists:
            return 0
        return int((await conn.execute(text("SELECT version FROM schema_version"))).scalar_one())

    async def set_schema_version(self, conn: Connection, version: int) -> None:
        from sqlalchemy import text

        await conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
        await conn.execute(text("DELETE FROM schema_version"))
        await conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})

    def hour_label(self, column: Any) -> ColumnElement[str]:
        from sqlalchemy import Text, func, literal_column

        return func.to_char(func.timezone("UTC", column), literal_column("'YYYY-MM-DD\"T\"HH24'"), type_=Text())

    async def database_now(self, conn: Connection | PreparedConnection) -> datetime:
        stamp: datetime = (await conn.exec_driver_sql("SELECT clock_timestamp()")).scalar_one()
        return stamp.astimezone(UTC)


_DIALECTS: dict[str, Dialect] = {"sqlite": SqliteDialect(), "postgresql": PostgresDialect()}


def dialect_of(conn: Connection | PreparedConnection) -> Dialect:
    """The dialect of the database ``conn`` (either driver's connection) is connected to."""
    return _DIALECTS[conn.dialect.name]


async def notify_changes(conn: Connection | PreparedConnection) -> None:
    """Wake idle daemons when this transaction commits: call it in every transaction that
    gives a daemon work (tasks submitted or requeued, jobs created, changed or triggered)."""
    await dialect_of(conn).notify_changes(conn)
