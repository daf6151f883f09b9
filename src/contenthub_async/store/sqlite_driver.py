"""A SQLite database on the standard library's ``sqlite3``, running prepared statements only.

``contenthub-ctl``'s everyday commands (submit, status, list, cancel) run on it so that they
start without SQLAlchemy (``store/prepared.py``). The connection is set up as
``store/database.py`` sets up SQLAlchemy's (WAL, foreign keys, a ``BEGIN IMMEDIATE`` for writes
and a plain ``BEGIN`` for reads), and its calls run as that engine's do (``store/sqlite_calls.py``):
at once, or in a worker thread when SQLite must wait for a lock, so the event loop — and Ctrl-C —
stays responsive while it waits.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from contenthub_async.store.prepared import Prepared
from contenthub_async.store.sqlite_calls import SqliteCalls, connect
from contenthub_async.store.sqlite_text import dump_json, format_utc, load_json, parse_utc

T = TypeVar("T")

_TO_SQLITE: dict[str | None, Callable[[Any], Any]] = {"utc": format_utc, "json": dump_json, "bool": int}
_FROM_SQLITE: dict[str | None, Callable[[Any], Any]] = {"utc": parse_utc, "json": load_json, "bool": bool}
_EXPANDING = re.compile(r"__\[POSTCOMPILE_(\w+)\]")
_SQLITE_FILE_URL = re.compile(r"sqlite:///([^?#%]+)")


def sqlite_file_of(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL; None for any other URL (SQLAlchemy's to read)."""
    match = _SQLITE_FILE_URL.fullmatch(url)
    if match is None or match.group(1) == ":memory:":
        return None
    return Path(match.group(1))


def _compiled(statement: Prepared) -> tuple[Any, ...]:
    from contenthub_async.store.sqlite_statements import STATEMENTS

    found = STATEMENTS.get(statement.key)
    if found is None:  # a shape not compiled ahead of time: compile it now (imports SQLAlchemy)
        from contenthub_async.store.compile_sqlite import compile_statement

        found = STATEMENTS[statement.key] = compile_statement(statement)
    return tuple(found)


class Row:
    """One result row: by position, by column name as an attribute, or as ``_mapping``."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: tuple[Any, ...]) -> None:
        self._names = names
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[self._names[name]]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, index: int) -> Any:
        return self._values[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def _mapping(self) -> Mapping[str, Any]:
        return {name: self._values[i] for name, i in self._names.items()}


class Result:
    """Rows fetched when the statement ran."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)

    def all(self) -> list[Row]:
        return list(self._rows)

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Row:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class _Dialect:
    name = "sqlite"


class SqliteConnection:
    """One ``sqlite3`` connection, used by one coroutine at a time."""

    dialect = _Dialect()

    def __init__(self, database: SqliteDatabase, raw: sqlite3.Connection) -> None:
        self._database = database
        self._raw = raw

    async def execute(self, statement: Prepared, parameters: Any = None) -> Result:
        """Run ``statement`` with ``parameters`` (a dict, or a list of dicts for executemany)."""
        sql, binds, fixed, columns, results = _compiled(statement)
        if isinstance(parameters, list):
            rows = [_bound(binds, fixed, values) for values in parameters]
            return await self._database.call(_run_many, self._raw, sql, rows)
        values = _bound(binds, fixed, parameters or {})
        sql = _EXPANDING.sub(lambda m: _expand(m.group(1), values), sql)
        names = {name: i for i, name in enumerate(columns)}
        return await self._database.call(_run, self._raw, sql, values, names, results)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Result:
        """Run SQL text as it is (PRAGMAs)."""
        return await self._database.call(_run, self._raw, statement, parameters or {}, {}, ())


def _bound(binds: dict[str, str | None], fixed: dict[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The statement's parameters as SQLite stores them (every bound name must be given)."""
    values = dict(fixed)
    for name, conversion in binds.items():
        value = given[name]
        if value is not None and conversion is not None:
            convert = _TO_SQLITE[conversion]
            value = [convert(v) for v in value] if isinstance(value, list | tuple) else convert(value)
        values[name] = value
    return values


def _expand(name: str, values: dict[str, Any]) -> str:
    """``:name_1, :name_2, …`` for the list ``values[name]``, whose items become those parameters."""
    items = list(values.pop(name))
    for i, item in enumerate(items, start=1):
        values[f"{name}_{i}"] = item
    return ", ".join(f":{name}_{i}" for i in range(1, len(items) + 1))


def _run(raw: sqlite3.Connection, sql: str, values: Any, names: dict[str, int],
         results: tuple[str | None, ...]) -> Result:
    cursor = raw.execute(sql, values)
    try:
        fetched = cursor.fetchall() if cursor.description else []
        conversions = [(i, _FROM_SQLITE[c]) for i, c in enumerate(results) if c is not None]
        rows = []
        for row in fetched:
            if conversions:
                row = list(row)
                for i, convert in conversions:
                    if row[i] is not None:
                        row[i] = convert(row[i])
            rows.append(Row(names, tuple(row)))
        return Result(rows, cursor.rowcount)
    finally:
        cursor.close()


def _run_many(raw: sqlite3.Connection, sql: str, rows: list[dict[str, Any]]) -> Result:
    cursor = raw.executemany(sql, rows)
    try:
        return Result([], cursor.rowcount)
    finally:
        cursor.close()


class SqliteDatabase:
    """One SQLite file and one connection to it, opened on first use; :meth:`read` and :meth:`write`."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calls: SqliteCalls | None = None

    async def calls(self) -> SqliteCalls:
        """The connection's calls (the connection opened on first use)."""
        if self._calls is None:
            self._calls = await SqliteCalls.open(lambda: connect(self.path))
        return self._calls

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on this database's connection (``store/sqlite_calls.py``): calls
        run one at a time, in the order they were made."""
        return await (await self.calls()).call(function, *args)

    async def connection(self) -> sqlite3.Connection:
        """The connection (opened on first use), for :meth:`call`."""
        return (await self.calls()).raw

    async def call_to_completion(self, function: Callable[..., T], *args: Any) -> T:
        """:meth:`call`, run to its end even if the caller is cancelled meanwhile (the caller
        still sees the cancellation): a transaction's end must reach the connection, or the
        transaction — with its write lock — would stay open for whoever uses it next."""
        return await (await self.calls()).call_to_completion(function, *args)

    @asynccontextmanager
    async def _transaction(self, begin: str) -> AsyncIterator[SqliteConnection]:
        raw = await self.connection()
        try:
            await self.call(raw.execute, begin)
            yield SqliteConnection(self, raw)
        except BaseException:
            await self.call_to_completion(raw.rollback)  # a no-op when BEGIN did not run
            raise
        await self.call_to_completion(raw.commit)

    def write(self) -> AbstractAsyncContextManager[SqliteConnection]:
        """A write transaction: committed on success, rolled back on error."""
        return self._transaction("BEGIN IMMEDIATE")

    def read(self) -> AbstractAsyncContextManager[SqliteConnection]:
        """A read-only transaction (a consistent snapshot)."""
        return self._transaction("BEGIN")

    async def close(self) -> None:
        if self._calls is not None:
            calls, self._calls = self._calls, None
            await calls.close()
