"""Waking idle loops soon after new work is committed, without scanning tables.

One :class:`Wakeup` per daemon, owned by the runner: every loop that waits for work (the
dispatcher, the scheduler, …) waits on it, and one *change source* feeds it:

* SQLite: ``PRAGMA data_version`` on a dedicated connection changes whenever another
  connection commits; polling it every ``CONTENTHUB_WAKEUP_INTERVAL`` costs no table access.
* PostgreSQL: ``LISTEN contenthub_changes`` on a connection opened exactly like the daemon's
  others (same URL, TLS settings, socket directory and ``?schema=``); writers ``NOTIFY`` it in
  the transaction that gives a daemon work (``store.dialect.notify_changes``), with the schema
  of their tables as the payload: a listener wakes only for changes in its own schema.

In-process code notifies directly (:meth:`Wakeup.notify`: a slot was freed here).

Not every change concerns every loop. The HTTP API's submissions only add pending tasks, which
only the dispatcher takes: on SQLite they are committed on the change source's own connection
(:meth:`SqliteDataVersionSource.new_task_writes`), whose commits leave *its* ``data_version``
unchanged, and the source then wakes only :meth:`Wakeup.narrower` ``new_tasks`` (at most once
per poll, as for any change). At a thousand submissions a second the scheduler, the publisher
and the webhook deliverer would otherwise run an idle round ten times a second for nothing.
The daemon's heartbeat and the renewals of its tracker term concern no loop at all: they are
committed on that connection too (:meth:`SqliteDataVersionSource.unheard_writes`) and wake
nothing here; otherwise each would run an idle round of the dispatcher, the publisher and the
webhook deliverer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import anyio

from contenthub_async.store.database import Database
from contenthub_async.store.dialect import CHANGES_CHANNEL
from contenthub_async.store.prepared import PreparedConnection
from contenthub_async.store.sqlite_driver import SqliteDatabase


class Wakeup:
    """A broadcast "something changed": any number of loops wait, one call wakes them all.

    A loop reads :attr:`generation` before a round of work and passes it to :meth:`wait`
    afterwards, so a change that happened during the round is never missed.
    """

    def __init__(self) -> None:
        self.generation = 0
        self._changed = anyio.Event()
        self._narrower: list[Wakeup] = []

    def notify(self) -> None:
        self.generation += 1
        self._changed.set()
        self._changed = anyio.Event()
        for narrower in self._narrower:
            narrower.notify()

    def narrower(self) -> Wakeup:
        """A wake-up for loops that care about only some changes: every :meth:`notify` of this one
        notifies it too, and it can be notified on its own (waking only its own waiters)."""
        narrower = Wakeup()
        self._narrower.append(narrower)
        return narrower

    async def wait(self, seen: int, timeout: float) -> bool:
        """True as soon as :attr:`generation` differs from ``seen``; False after ``timeout`` seconds."""
        if self.generation != seen:
            return True
        changed = self._changed
        with anyio.move_on_after(timeout):
            await changed.wait()
            return True
        return False


class ChangeSource(Protocol):
    async def run(self, wakeup: Wakeup) -> None:
        """Notify ``wakeup`` of every change committed by others, until cancelled."""
        ...

    def new_task_writes(self) -> AbstractAsyncContextManager[PreparedConnection]:
        """A write transaction that only adds pending tasks, with their events and idempotency
        keys (its commit need wake only the loops that take new tasks); prepared statements only
        (``store/prepared.py``)."""
        ...

    def unheard_writes(self) -> AbstractAsyncContextManager[PreparedConnection]:
        """A write transaction that gives no loop of this daemon work (its heartbeat, its lease
        renewals): its commit wakes none of them (other daemons still see it); prepared
        statements only."""
        ...


class SqliteDataVersionSource:
    """Polls ``PRAGMA data_version`` on a connection of its own (the standard library's
    ``sqlite3``, ``store/sqlite_driver.py``) and lends that connection to
    :meth:`new_task_writes`: SQLite leaves a connection's ``data_version`` unchanged by its own
    commits, so those wake only ``new_tasks``."""

    def __init__(self, db: Database, poll_interval: float, *, new_tasks: Wakeup | None = None) -> None:
        assert db.url.sqlite_path is not None
        self._db = db
        self._path = db.url.sqlite_path
        self._interval = poll_interval
        self._new_tasks = new_tasks
        self._own: SqliteDatabase | None = None  # while run() polls
        self._lock = anyio.Lock()  # one user of the connection at a time
        self._tasks_added = False  # a new_task_writes transaction committed since the last poll
        self._broken = False  # a transaction on the connection did not end cleanly: replace it

    @property
    def polling(self) -> bool:
        """Whether :meth:`new_task_writes` commits on the polled connection now."""
        return self._own is not None and not self._broken

    async def run(self, wakeup: Wakeup) -> None:
        own = SqliteDatabase(self._path)
        try:
            last = await self._data_version(own)
            self._own = own
            while True:
                await anyio.sleep(self._interval)
                async with self._lock:
                    if self._broken:
                        raise RuntimeError("a transaction of new tasks did not end cleanly")
                    version = await self._data_version(own)
                    tasks_added, self._tasks_added = self._tasks_added, False
                if version != last:
                    last = version
                    wakeup.notify()
                elif tasks_added:
                    (self._new_tasks or wakeup).notify()
        finally:
            self._own = None
            self._broken = False
            with anyio.CancelScope(shield=True):
                async with self._lock:
                    await own.close()

    def new_task_writes(self) -> AbstractAsyncContextManager[PreparedConnection]:
        """A write transaction on the polled connection whose commit wakes only ``new_tasks``."""
        return self._own_writes(adding_tasks=True)

    def unheard_writes(self) -> AbstractAsyncContextManager[PreparedConnection]:
        """A write transaction on the polled connection whose commit wakes nothing."""
        return self._own_writes(adding_tasks=False)

    @asynccontextmanager
    async def _own_writes(self, *, adding_tasks: bool) -> AsyncIterator[PreparedConnection]:
        """A write transaction on the polled connection (while :meth:`run` polls; else an
        ordinary one, whose commit wakes every loop). Prepared statements only
        (``store/prepared.py``)."""
        async with self._lock:
            own = self._own
            if own is None or not self.polling:
                async with self._db.write() as other:
                    yield other
                return
            try:
                async with own.write() as conn:
                    yield conn
            except BaseException:
                if (await own.connection()).in_transaction:  # the rollback did not finish (cancelled)
                    self._broken = True
                raise
            self._tasks_added = self._tasks_added or adding_tasks

    @staticmethod
    async def _data_version(own: SqliteDatabase) -> int:
        return int((await own.call(_data_version, await own.connection())))


def _data_version(raw: sqlite3.Connection) -> int:
    return int(raw.execute("PRAGMA data_version").fetchone()[0])


class PostgresListenSource:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._url = db.url

    def new_task_writes(self) -> AbstractAsyncContextManager[PreparedConnection]:
        # The NOTIFY of the transaction wakes every daemon's loops, this one's too.
        return self._db.write()

    def unheard_writes(self) -> AbstractAsyncContextManager[PreparedConnection]:
        return self._db.write()  # it does not NOTIFY: nobody hears it

    async def run(self, wakeup: Wakeup) -> None:
        # A one-connection engine of the same URL: the listener connects exactly as the
        # daemon's other connections do.
        listener = Database.from_url(self._url, pool_size=1)
        try:
            async with listener.connect() as conn:
                raw = await conn.get_raw_connection()
                driver_connection: Any = raw.driver_connection
                # outside any transaction: a session in a transaction receives no notifications
                schema = await driver_connection.fetchval("SELECT coalesce(current_schema(), '')")

                def on_notify(_connection: object, _pid: int, _channel: str, payload: str) -> None:
                    if payload == schema:  # not another deployment's change in this database
                        wakeup.notify()

                await driver_connection.add_listener(CHANGES_CHANNEL, on_notify)
                try:
                    await anyio.sleep_forever()
                finally:
                    with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                        await driver_connection.remove_listener(CHANGES_CHANNEL, on_notify)
        finally:
            with anyio.CancelScope(shield=True):
                await listener.close()


def change_source_for(db: Database, poll_interval: float, *, new_tasks: Wakeup | None = None) -> ChangeSource:
    """``new_tasks``: what to wake (instead of everything) when only new tasks were committed."""
    if db.backend == "sqlite":
        return SqliteDataVersionSource(db, poll_interval, new_tasks=new_tasks)
    return PostgresListenSource(db)


async def feed_wakeup(source: ChangeSource, wakeup: Wakeup, log: Any, *, retry_seconds: float = 1.0) -> None:
    """Run ``source`` for the daemon's life, reconnecting after a failure (meanwhile the loops
    still run on their own intervals)."""
    while True:
        try:
            await source.run(wakeup)
        except Exception:
            log.exception("change notifications interrupted; reconnecting")
        await anyio.sleep(retry_seconds)
        wakeup.notify()  # something may have changed while nobody listened
