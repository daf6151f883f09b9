"""Wake an idle dispatcher soon after new work is committed, without scanning the table.

SQLite: ``PRAGMA data_version`` on a dedicated connection changes whenever another
connection commits; polling it costs no table access. PostgreSQL: ``LISTEN
contenthub_tasks`` (submissions ``NOTIFY`` it in their transaction).
In-process code can also :meth:`poke` the watcher (a slot was freed here).
"""

from __future__ import annotations

from typing import Any, Protocol

import anyio

from contenthub_async.store.database import DatabaseUrl

CHANNEL = "contenthub_tasks"


class ChangeWatcher(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def poke(self) -> None: ...
    async def wait(self, timeout: float) -> bool:
        """Return True when something changed (or was poked) within ``timeout`` seconds."""
        ...


class SqliteDataVersionWatcher:
    def __init__(self, url: DatabaseUrl, poll_interval: float) -> None:
        assert url.sqlite_path is not None
        self._path = url.sqlite_path
        self._interval = poll_interval
        self._conn: Any = None
        self._last: int | None = None
        self._poked = False

    async def open(self) -> None:
        import aiosqlite

        self._conn = await aiosqlite.connect(self._path, isolation_level=None)
        self._last = await self._data_version()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def poke(self) -> None:
        self._poked = True

    async def _data_version(self) -> int:
        async with self._conn.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def wait(self, timeout: float) -> bool:
        with anyio.move_on_after(timeout):
            while True:
                if self._poked:
                    self._poked = False
                    return True
                version = await self._data_version()
                if version != self._last:
                    self._last = version
                    return True
                await anyio.sleep(self._interval)
        return False


class PostgresListenWatcher:
    def __init__(self, url: DatabaseUrl) -> None:
        self._url = url
        self._conn: Any = None
        self._event = anyio.Event()

    async def open(self) -> None:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(self._url.sqlalchemy_url)
        self._conn = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=url.database,
        )
        await self._conn.add_listener(CHANNEL, self._on_notify)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def _on_notify(self, *_args: object) -> None:
        self._event.set()

    def poke(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        with anyio.move_on_after(timeout):
            await self._event.wait()
            self._event = anyio.Event()
            return True
        return False


def watcher_for(url: DatabaseUrl, poll_interval: float) -> ChangeWatcher:
    if url.backend == "sqlite":
        return SqliteDataVersionWatcher(url, poll_interval)
    return PostgresListenWatcher(url)
