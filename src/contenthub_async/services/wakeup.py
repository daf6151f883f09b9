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
"""

from __future__ import annotations

from typing import Any, Protocol

import anyio

from contenthub_async.store.database import Database
from contenthub_async.store.dialect import CHANGES_CHANNEL


class Wakeup:
    """A broadcast "something changed": any number of loops wait, one call wakes them all.

    A loop reads :attr:`generation` before a round of work and passes it to :meth:`wait`
    afterwards, so a change that happened during the round is never missed.
    """

    def __init__(self) -> None:
        self.generation = 0
        self._changed = anyio.Event()

    def notify(self) -> None:
        self.generation += 1
        self._changed.set()
        self._changed = anyio.Event()

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


class SqliteDataVersionSource:
    def __init__(self, db: Database, poll_interval: float) -> None:
        assert db.url.sqlite_path is not None
        self._path = db.url.sqlite_path
        self._interval = poll_interval

    async def run(self, wakeup: Wakeup) -> None:
        import aiosqlite

        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            last = await self._data_version(conn)
            while True:
                await anyio.sleep(self._interval)
                version = await self._data_version(conn)
                if version != last:
                    last = version
                    wakeup.notify()
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()

    @staticmethod
    async def _data_version(conn: Any) -> int:
        async with conn.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])


class PostgresListenSource:
    def __init__(self, db: Database) -> None:
        self._url = db.url

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


def change_source_for(db: Database, poll_interval: float) -> ChangeSource:
    if db.backend == "sqlite":
        return SqliteDataVersionSource(db, poll_interval)
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
