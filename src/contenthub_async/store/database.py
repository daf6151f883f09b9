"""Engine set-up for both backends behind one small API.

SQLite: the standard library's ``sqlite3`` under SQLAlchemy's SQLite dialect, its calls run at
once or, to wait for a lock, in a worker thread (``store/sqlite_dbapi.py``,
``store/sqlite_calls.py``); WAL, ``foreign_keys=ON``; SQLite's driver-level implicit
transactions are turned off and every transaction is begun by us: ``BEGIN IMMEDIATE``
for writes (the write lock is taken up front, so concurrent writers queue on the busy
timeout instead of failing with "database is locked" on upgrade) and plain ``BEGIN`` for reads.

PostgreSQL: asyncpg. ``?schema=NAME`` in the URL sets the ``search_path`` (tests give
each test its own schema; operators may keep contenthub in a schema of its own).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Engine, make_url

from contenthub_async.store.connection import Connection, connect, dispose
from contenthub_async.store.dialect import Backend
from contenthub_async.store.sqlite_calls import CONNECTION_PRAGMAS

registry.register("sqlite.contenthub", "contenthub_async.store.sqlite_dbapi", "Dialect")

_BEGIN_MODE = "contenthub_begin"
_FOREIGN_KEYS_OFF = "contenthub_foreign_keys_off"


class DatabaseUrlError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed DATABASE_URL: the driver URL plus what we handle ourselves."""

    backend: Backend
    sqlalchemy_url: str
    sqlite_path: Path | None = None
    schema: str | None = None


def parse_database_url(url: str) -> DatabaseUrl:
    """Accept ``sqlite:///rel/path.db``, ``sqlite:////abs/path.db``, ``postgresql://...``."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise DatabaseUrlError(f"cannot parse DATABASE_URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUrlError("DATABASE_URL must name a SQLite file (the queue must be durable)")
        path = Path(parsed.database)
        return DatabaseUrl(
            "sqlite",
            parsed.set(drivername="sqlite+contenthub").render_as_string(hide_password=False),
            sqlite_path=path,
        )
    if backend in ("postgresql", "postgres"):
        query = dict(parsed.query)
        schema = query.pop("schema", None)
        if isinstance(schema, tuple):
            schema = schema[-1]
        parsed = parsed.set(drivername="postgresql+asyncpg", query=query)
        return DatabaseUrl("postgresql", parsed.render_as_string(hide_password=False), schema=schema)
    raise DatabaseUrlError(f"unsupported database backend {backend!r}: use sqlite:/// or postgresql://")


def database_label(url: str) -> str:
    """The database of ``url`` as an operator recognises it, never with a password:
    ``/srv/contenthub/data/contenthub.db`` or ``postgresql://contenthub@db.internal:5432/contenthub``.
    Raises :class:`DatabaseUrlError` for a URL that is not one."""
    from sqlalchemy.engine import URL

    parsed = parse_database_url(url)
    if parsed.sqlite_path is not None:
        return str(parsed.sqlite_path.resolve())
    given = make_url(url)
    return URL.create(given.drivername, given.username, None, given.host, given.port, given.database,
                      given.query).render_as_string(hide_password=False)


#: Modes of a SQLite database this program creates, and of the directories it creates for it:
#: the queue holds articles and account data, so neither is world-readable whatever the umask.
#: SQLite gives the -wal and -shm files the database file's mode.
SQLITE_FILE_MODE = 0o640
SQLITE_DIRECTORY_MODE = 0o750


def create_sqlite_file(path: Path) -> None:
    """Create ``path`` (empty) and its missing parent directories, unless it exists."""
    missing = [parent for parent in reversed(path.parent.absolute().parents) if not parent.exists()]
    if not path.parent.exists():
        missing.append(path.parent.absolute())
    for directory in missing:
        try:
            directory.mkdir(mode=SQLITE_DIRECTORY_MODE)
        except FileExistsError:
            pass
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    except FileExistsError:
        pass


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); stop the driver from doing it implicitly.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in CONNECTION_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(_FOREIGN_KEYS_OFF):
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # only outside a transaction
        conn.exec_driver_sql(f"BEGIN {options.get(_BEGIN_MODE, 'DEFERRED')}")


class Database:
    """One engine, and the only two ways in: :meth:`read` and :meth:`write`."""

    def __init__(self, url: DatabaseUrl, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @property
    def backend(self) -> Backend:
        return self.url.backend

    @classmethod
    def open(cls, url: str, *, pool_size: int = 5) -> Database:
        parsed = parse_database_url(url)
        if parsed.sqlite_path is not None:
            create_sqlite_file(parsed.sqlite_path)
        return cls.from_url(parsed, pool_size=pool_size)

    @classmethod
    def from_url(cls, parsed: DatabaseUrl, *, pool_size: int = 5) -> Database:
        """A database of an already parsed URL (its SQLite directory must exist)."""
        if parsed.backend == "sqlite":
            engine = create_engine(
                parsed.sqlalchemy_url,
                pool_size=pool_size,
                max_overflow=pool_size,
            )
            _install_sqlite_hooks(engine)
        else:
            connect_args: dict[str, Any] = {}
            if parsed.schema:
                connect_args["server_settings"] = {"search_path": parsed.schema}
            engine = create_engine(
                parsed.sqlalchemy_url,
                connect_args=connect_args,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
            )
        return cls(parsed, engine)

    def connect(self) -> AbstractAsyncContextManager[Connection]:
        """A connection outside any transaction (a listener; otherwise use :meth:`read` or :meth:`write`)."""
        return connect(self.engine)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """A write transaction: committed on success, rolled back on error."""
        async with connect(self.engine) as conn, self.write_on(conn):
            yield conn

    @asynccontextmanager
    async def write_on(self, conn: Connection) -> AsyncIterator[None]:
        """A write transaction on ``conn``, a connection of this database held outside any
        transaction (:meth:`connect`)."""
        if self.backend == "sqlite":
            await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
        async with conn.begin():
            yield

    @asynccontextmanager
    async def schema_change(self) -> AsyncIterator[Connection]:
        """A write transaction for a migration.

        On SQLite, foreign keys are not enforced inside it, so a migration can rebuild a table
        (SQLite's documented procedure for changes ALTER TABLE cannot make); they must hold
        again before the commit (``PRAGMA foreign_key_check``), and the connection is closed
        afterwards rather than returned to the pool with enforcement off.
        """
        if self.backend != "sqlite":
            async with self.write() as conn:
                yield conn
            return
        async with connect(self.engine) as conn:
            await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE", _FOREIGN_KEYS_OFF: True})
            try:
                async with conn.begin():
                    yield conn
                    violations = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if violations:
                        raise RuntimeError(f"the schema change breaks foreign keys: {violations[:5]}")
            finally:
                await conn.invalidate()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        async with connect(self.engine) as conn:
            async with conn.begin():
                yield conn

    async def close(self) -> None:
        await dispose(self.engine)
