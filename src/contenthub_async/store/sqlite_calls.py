"""Calls on one ``sqlite3`` connection from a coroutine: at once, or in a worker thread when
SQLite would wait for a lock.

Nearly every SQLite call here ends within a fraction of a millisecond, so it runs at once, in
the event loop's thread, with SQLite's busy timeout at zero. A call that would have to wait for
another connection's lock (SQLite answers ``SQLITE_BUSY`` at once, having changed nothing) runs
again in the connection's worker thread, which waits up to :data:`BUSY_TIMEOUT_MS` for the lock
while the event loop — the daemon's other work, Ctrl-C — carries on. Every call used to go to
the thread: a hop there and back (waking the thread, then the loop) costs more CPU than most
statements, and was most of the daemon's CPU per task (docs/BENCHMARKS.md).

Calls run one at a time, in the order they were made: while a call is queued or running in the
worker thread, later calls queue behind it there. A call whose caller was cancelled goes on in
the thread and has ended before the next call (a rollback, a close) touches the connection.

Both SQLite drivers run on this: SQLAlchemy's engine (``store/sqlite_dbapi.py``) and the
prepared statements' own driver (``store/sqlite_driver.py``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: How long a call waits for another connection's lock (in the worker thread) before
#: "database is locked".
BUSY_TIMEOUT_MS = 60_000
#: Every SQLite connection's set-up, both drivers'. The busy timeout is not among them: it is
#: zero except while the worker thread runs a call.
CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


class Wait:
    """What :meth:`SqliteCalls.at_once` returns for a call that must run in the worker thread."""


_WAIT = Wait()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # BUSY and its extended codes


def _waiting(raw: sqlite3.Connection, function: Callable[..., T], args: tuple[Any, ...]) -> T:
    """``function(*args)`` with the full busy timeout (in the worker thread)."""
    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        return function(*args)
    finally:
        raw.execute("PRAGMA busy_timeout = 0")


class SqliteCalls:
    """The calls on one connection: :meth:`at_once`, then :meth:`in_thread` if it answered :class:`Wait`."""

    def __init__(self, raw: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self.raw = raw
        self._thread: ThreadPoolExecutor | None = thread
        self._last: Future[Any] | None = None  # the latest call given to the thread

    def at_once(self, function: Callable[..., T], *args: Any) -> T | Wait:
        """``function(*args)`` now, unless the thread has calls to finish first or SQLite is busy:
        then a :class:`Wait` (and nothing was changed)."""
        if self._last is not None and not self._last.done():
            return _WAIT
        try:
            return function(*args)
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                return _WAIT
            raise

    def in_thread(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``function(*args)`` in the worker thread, after the calls queued there, waiting for locks."""
        if self._thread is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        self._last = self._thread.submit(_waiting, self.raw, function, args)
        return asyncio.wrap_future(self._last)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """:meth:`at_once`, else :meth:`in_thread`."""
        result = self.at_once(function, *args)
        if isinstance(result, Wait):
            return await self.in_thread(function, *args)
        return result

    async def call_to_completion(self, function: Callable[..., T], *args: Any) -> T:
        """:meth:`call`, run to its end even if the caller is cancelled meanwhile (the caller
        still sees the cancellation)."""
        return await asyncio.shield(self.call(function, *args))

    async def close(self) -> None:
        """Close the connection once the thread's calls have ended (even if the caller is
        cancelled meanwhile); the thread then ends. Closing again does nothing."""
        closing = self.terminate()
        if closing is not None:
            await asyncio.shield(asyncio.wrap_future(closing))

    def terminate(self) -> Future[None] | None:
        """:meth:`close` without waiting: at once, or in the thread after its calls (then the
        future of that close)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return None
        closing = None
        if self._last is None or self._last.done():
            self.raw.close()
        else:
            closing = thread.submit(self.raw.close)
        thread.shutdown(wait=False)  # the thread ends once what was queued has run
        return closing

    @classmethod
    async def open(cls, opener: Callable[[], sqlite3.Connection]) -> SqliteCalls:
        """The connection ``opener()`` makes, opened in a new worker thread (opening may wait
        for a lock), its busy timeout then set to zero."""
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        try:
            raw = await asyncio.wrap_future(thread.submit(_opened, opener))
        except BaseException:
            thread.shutdown(wait=False)
            raise
        return cls(raw, thread)


def _opened(opener: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    raw = opener()
    try:
        raw.execute("PRAGMA busy_timeout = 0")
    except BaseException:
        raw.close()
        raise
    return raw


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the existing file ``path`` (never created here: ``db init`` does that),
    set up as every connection here is. Blocking: for :meth:`SqliteCalls.open`."""
    raw = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                          isolation_level=None, check_same_thread=False)
    try:
        for pragma in CONNECTION_PRAGMAS:
            raw.execute(pragma)
    except BaseException:
        raw.close()
        raise
    return raw
