"""The connection every statement runs on: a SQLAlchemy Core connection for coroutines.

The engine is SQLAlchemy's ordinary :class:`~sqlalchemy.engine.Engine` with an asyncio driver
(asyncpg; on SQLite ``sqlite3`` as ``store/sqlite_dbapi.py`` adapts it); each call goes through
SQLAlchemy's greenlet bridge, exactly as its asyncio extension does. That extension is not used because importing it imports SQLAlchemy's
ORM, which every ``contenthub-ctl`` command would pay for at start (~0.1 s of CPU) and nothing
here uses. Results come back buffered (the asyncio drivers fetch rows at execute time), so they
are read without awaiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, overload

from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import CursorResult, Dialect, Engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.base import Executable
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlalchemy.util.typing import TupleAny, TypeVarTuple, Unpack

from contenthub_async.store.prepared import Prepared

if TYPE_CHECKING:
    from sqlalchemy.sql.selectable import TypedReturnsRows

T = TypeVar("T")
_Ts = TypeVarTuple("_Ts")


class Connection:
    """One database connection, used by one coroutine at a time."""

    def __init__(self, sync_connection: SyncConnection) -> None:
        self.sync_connection = sync_connection

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    @overload
    async def execute(
        self, statement: TypedReturnsRows[Unpack[_Ts]], parameters: Any = None
    ) -> CursorResult[Unpack[_Ts]]: ...

    @overload
    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Unpack[TupleAny]]: ...

    @overload
    async def execute(self, statement: Prepared, parameters: Any = None) -> CursorResult[Unpack[TupleAny]]: ...

    async def execute(
        self, statement: Executable | Prepared, parameters: Any = None
    ) -> CursorResult[Unpack[TupleAny]]:
        """Run a statement, or a prepared one (``parameters``: a dict, or a list of dicts for executemany)."""
        if isinstance(statement, Prepared):
            statement = statement.build()
        return await greenlet_spawn(self.sync_connection.execute, statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> CursorResult[Unpack[TupleAny]]:
        """Run SQL text as the driver takes it (PRAGMAs, BEGIN)."""
        return await greenlet_spawn(self.sync_connection.exec_driver_sql, statement, parameters)

    async def run_sync(self, function: Callable[..., T], *args: Any) -> T:
        """``function(sync_connection, *args)`` with the blocking API (schema inspection)."""
        return await greenlet_spawn(function, self.sync_connection, *args)

    async def execution_options(self, **options: Any) -> Connection:
        await greenlet_spawn(self.sync_connection.execution_options, **options)
        return self

    def get_execution_options(self) -> Any:
        return self.sync_connection.get_execution_options()

    def begin(self) -> AbstractAsyncContextManager[None]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        return _within(self.sync_connection.begin)

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        """A savepoint inside the transaction: released when the block ends, rolled back to when it raises."""
        return _within(self.sync_connection.begin_nested)

    async def get_raw_connection(self) -> PoolProxiedConnection:
        """The pool's connection (its ``driver_connection`` is the asyncio driver's own)."""
        raw: PoolProxiedConnection = await greenlet_spawn(getattr, self.sync_connection, "connection")
        return raw

    async def invalidate(self) -> None:
        """Discard the connection instead of returning it to the pool."""
        await greenlet_spawn(self.sync_connection.invalidate)

    async def close(self) -> None:
        await greenlet_spawn(self.sync_connection.close)


async def _to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Run clean-up to its end even if the caller is cancelled meanwhile (then re-raise the
    cancellation): a connection half returned to a pool that is being disposed of is lost."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError as err:
            if task.done():
                raise
            cancelled = err
        else:
            break
    if cancelled is not None:
        raise cancelled
    return result


@asynccontextmanager
async def connect(engine: Engine) -> AsyncIterator[Connection]:
    """A connection from ``engine``'s pool, returned to it (closed) on exit."""
    conn = Connection(await greenlet_spawn(engine.connect))
    try:
        yield conn
    finally:
        await _to_completion(conn.close())


async def dispose(engine: Engine) -> None:
    """Close every pooled connection."""
    await greenlet_spawn(engine.dispose)


@asynccontextmanager
async def _within(open_transaction: Callable[[], Any]) -> AsyncIterator[None]:
    """A transaction or savepoint of the blocking API, opened and ended through the greenlet bridge."""
    transaction = await greenlet_spawn(open_transaction)
    try:
        yield
    except BaseException as exc:
        await greenlet_spawn(transaction.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await greenlet_spawn(transaction.__exit__, None, None, None)
