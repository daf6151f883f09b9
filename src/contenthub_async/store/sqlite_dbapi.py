"""SQLAlchemy's SQLite dialect for coroutines, on the standard library's ``sqlite3`` with the
calls of ``store/sqlite_calls.py``: each statement runs at once, its rows fetched in the same
call, and only a statement that must wait for a lock goes to the connection's worker thread.

SQLAlchemy's aiosqlite adapter sends every call to aiosqlite's thread, three or four per
statement (open a cursor, execute, fetch, close), each a hop to the thread and back to the event
loop. Everything else — SQL, types, pooling, events — is that dialect's, unchanged. The URL
``sqlite+contenthub:///path`` selects this one (``store/database.py`` registers it).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_module
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.util import parse_version_string
from sqlalchemy.util.concurrency import await_

from contenthub_async.store.sqlite_calls import SqliteCalls, Wait

T = TypeVar("T")

#: What one statement left: (description, rowcount, lastrowid, rows).
_Outcome = tuple[Any, int, int | None, list[Any]]


def _execute(raw: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = raw.execute(operation) if parameters is None else raw.execute(operation, parameters)
    try:
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _execute_many(raw: sqlite3.Connection, operation: str, parameters: Sequence[Any]) -> _Outcome:
    cursor = raw.executemany(operation, parameters)
    try:
        return None, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


def _set_isolation_level(raw: sqlite3.Connection, value: Any) -> None:
    raw.isolation_level = value


class Cursor:
    """A DB-API cursor whose ``execute`` runs the statement and fetches all its rows in one call."""

    server_side = False

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def _keep(self, outcome: _Outcome) -> None:
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = deque(rows)

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._keep(self._connection.call(_execute, self._connection.driver_connection, operation, parameters))

    def executemany(self, operation: str, parameters: Sequence[Any]) -> None:
        self._keep(self._connection.call(_execute_many, self._connection.driver_connection, operation, parameters))

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *sizes: Any) -> None:
        pass


class Connection:
    """A ``sqlite3`` connection used from SQLAlchemy's greenlet bridge."""

    __slots__ = ("_calls", "_connection")

    def __init__(self, calls: SqliteCalls) -> None:
        self._connection = calls.raw
        self._calls = calls

    @property
    def driver_connection(self) -> sqlite3.Connection:
        return self._connection

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """:meth:`SqliteCalls.call` from the greenlet bridge, where a wait is ``await_``-ed."""
        result = self._calls.at_once(function, *args)
        if isinstance(result, Wait):
            return await_(self._calls.in_thread(function, *args))
        return result

    def cursor(self, server_side: bool = False) -> Cursor:
        return Cursor(self)

    def execute(self, operation: str, parameters: Any = None) -> Cursor:
        cursor = self.cursor()
        cursor.execute(operation, parameters)
        return cursor

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self.call(_set_isolation_level, self._connection, value)

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.call(lambda: self._connection.create_function(*args, **kwargs))

    def commit(self) -> None:
        self.call(self._connection.commit)

    def rollback(self) -> None:
        self.call(self._connection.rollback)

    def close(self) -> None:
        await_(self._calls.close())

    def terminate(self) -> None:
        """Close without awaiting (SQLAlchemy invalidating the connection, maybe outside any loop)."""
        self._calls.terminate()  # a close still queued in the thread runs there


class DBAPI(AsyncAdapt_dbapi_module):
    """The DB-API module SQLAlchemy sees: ``sqlite3``'s names and errors, these connections."""

    paramstyle = "qmark"
    has_stop = True  # connections can be terminated

    def __init__(self) -> None:
        super().__init__(sqlite3, dbapi_module=sqlite3)
        for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                     "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError", "Binary",
                     "PARSE_COLNAMES", "PARSE_DECLTYPES", "sqlite_version", "sqlite_version_info"):
            setattr(self, name, getattr(sqlite3, name))

    def connect(self, *args: Any, **kwargs: Any) -> Connection:
        kwargs = {**kwargs, "check_same_thread": False}
        kwargs.pop("async_creator_fn", None)
        return Connection(await_(SqliteCalls.open(lambda: sqlite3.connect(*args, **kwargs))))


class Dialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's asyncio SQLite dialect with :class:`DBAPI` in place of aiosqlite."""

    driver = "contenthub"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> DBAPI:  # type: ignore[override]
        return DBAPI()

    def retrieve_dbapi_version(self, dbapi: Any) -> Any:
        return parse_version_string(sqlite3.sqlite_version)

    def get_driver_connection(self, connection: Any) -> Any:
        return connection.driver_connection
