"""Calls on a SQLite connection (store/sqlite_calls.py): at once in the event loop's thread, in the
worker thread only while SQLite must wait for another connection's lock, and always in the order
they were made. Real files, a second real connection holding the write lock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text

from contenthub_async.store.database import Database
from contenthub_async.store.sqlite_calls import SqliteCalls, Wait, connect


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "calls.db"
    with sqlite3.connect(file) as raw:
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("CREATE TABLE things (name TEXT)")
    return file


@pytest.fixture
async def calls(path: Path) -> AsyncIterator[SqliteCalls]:
    opened = await SqliteCalls.open(lambda: connect(path))
    try:
        yield opened
    finally:
        await opened.close()


@contextmanager
def write_lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the write lock until the block ends (or it commits)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        if other.in_transaction:
            other.rollback()
        other.close()


def busy_timeout(raw: sqlite3.Connection) -> int:
    return int(raw.execute("PRAGMA busy_timeout").fetchone()[0])


async def test_a_call_runs_at_once_in_the_loops_thread(calls: SqliteCalls) -> None:
    threads: list[int] = []

    def insert() -> None:
        threads.append(threading.get_ident())
        calls.raw.execute("INSERT INTO things VALUES ('at once')")

    await calls.call(insert)
    assert threads == [threading.get_ident()]
    assert calls.raw.execute("SELECT name FROM things").fetchall() == [("at once",)]
    assert busy_timeout(calls.raw) == 0  # never waits in the loop's thread


async def test_an_error_other_than_busy_is_raised_at_once(calls: SqliteCalls) -> None:
    threads: list[int] = []

    def missing_table() -> None:
        threads.append(threading.get_ident())
        calls.raw.execute("SELECT * FROM nowhere")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await calls.call(missing_table)
    assert threads == [threading.get_ident()]


async def test_a_write_that_must_wait_for_the_lock_waits_in_the_thread_while_the_loop_runs(
    path: Path, calls: SqliteCalls
) -> None:
    threads: list[int] = []

    def begin_immediate() -> None:
        threads.append(threading.get_ident())
        calls.raw.execute("BEGIN IMMEDIATE")

    with write_lock_held(path) as other:
        waiting = asyncio.ensure_future(calls.call(begin_immediate))
        ticks = 0
        with anyio.fail_after(60):
            while len(threads) < 2:  # tried at once (busy), then again in the thread
                await anyio.sleep(0.01)
                ticks += 1
        await anyio.sleep(0.1)
        assert not waiting.done() and ticks > 0, "the loop runs while the call waits"
        assert threads[0] == threading.get_ident() != threads[1]
        other.rollback()
        with anyio.fail_after(60):
            await waiting
    assert calls.raw.in_transaction  # the lock is ours now
    calls.raw.execute("INSERT INTO things VALUES ('after the wait')")
    calls.raw.commit()
    assert busy_timeout(calls.raw) == 0, "the full busy timeout is only for the thread's calls"


async def test_while_a_call_waits_in_the_thread_later_calls_queue_behind_it(path: Path, calls: SqliteCalls) -> None:
    """Even a call whose caller was cancelled: it goes on in the thread and has ended before the
    next call touches the connection (a rollback or a close meanwhile would break it)."""
    with write_lock_held(path) as other:
        waiting = asyncio.ensure_future(calls.call(calls.raw.execute, "BEGIN IMMEDIATE"))
        await anyio.sleep(0.2)
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        later = asyncio.ensure_future(calls.call(lambda: calls.raw.in_transaction))
        await anyio.sleep(0.2)
        assert not later.done(), "queued behind the waiting call, not run at once"
        other.rollback()
        with anyio.fail_after(60):
            assert await later is True  # the cancelled BEGIN IMMEDIATE ran first
    calls.raw.rollback()
    assert not isinstance(calls.at_once(lambda: None), Wait), "at once again once the thread is idle"


async def test_closing_while_a_call_waits_closes_after_it(path: Path) -> None:
    calls = await SqliteCalls.open(lambda: connect(path))
    order: list[str] = []

    def begin_immediate() -> None:
        calls.raw.execute("BEGIN IMMEDIATE")
        order.append("the waiting call")

    with write_lock_held(path) as other:
        waiting = asyncio.ensure_future(calls.call(begin_immediate))
        await anyio.sleep(0.2)
        closing = asyncio.ensure_future(calls.close())
        await anyio.sleep(0.2)
        assert not closing.done()
        other.rollback()
        with anyio.fail_after(60):
            await waiting
            await closing
    assert order == ["the waiting call"]
    with pytest.raises(sqlite3.ProgrammingError):
        calls.raw.execute("SELECT 1")


async def test_the_engine_waits_for_the_lock_without_stopping_the_loop(path: Path) -> None:
    """SQLAlchemy's engine on SQLite (store/sqlite_dbapi.py) runs on the same calls."""
    db = Database.open(f"sqlite:///{path}")
    try:
        async with db.read() as conn:  # at once: nothing holds a lock
            assert (await conn.execute(text("SELECT count(*) FROM things"))).scalar_one() == 0
        with write_lock_held(path) as other:
            other.execute("INSERT INTO things VALUES ('first')")

            async def write() -> None:
                async with db.write() as conn:
                    await conn.execute(text("INSERT INTO things VALUES ('second')"))

            writing = asyncio.ensure_future(write())
            await anyio.sleep(0.2)  # the loop runs meanwhile: a wait in its thread would hold it 60 s
            assert not writing.done(), "waiting for the lock"
            other.commit()
            with anyio.fail_after(60):
                await writing
        async with db.read() as conn:
            names = (await conn.execute(text("SELECT name FROM things ORDER BY rowid"))).scalars().all()
        assert names == ["first", "second"]
    finally:
        await db.close()
