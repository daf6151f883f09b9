"""The PostgreSQL wake-up listener connects with every parameter of DATABASE_URL (unix-socket
host, ``?schema=``), as the daemon's other connections do (real PostgreSQL server)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from sqlalchemy import text

from contenthub_async.services.wakeup import PostgresListenSource, Wakeup
from contenthub_async.store.database import Database
from contenthub_async.store.dialect import notify_changes

SOCKET_DIRECTORY = Path("/var/run/postgresql")


def over_unix_socket(url: str) -> str:
    """``postgresql://user@host:port/db?schema=s`` → the same database through the local socket."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    user, _, location = rest.rpartition("@")
    database = location.partition("/")[2]
    return f"{scheme}://{user}@/{database}?{query}&host={SOCKET_DIRECTORY}"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_listener_uses_the_unix_socket_and_schema_of_the_url(db_url: str) -> None:
    if not (SOCKET_DIRECTORY / ".s.PGSQL.5432").exists():
        pytest.skip("no PostgreSQL unix socket in /var/run/postgresql")
    url = over_unix_socket(db_url)
    assert "schema=" in url
    db = Database.open(url)
    wakeup = Wakeup()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(PostgresListenSource(db).run, wakeup)
            with anyio.fail_after(60):
                while True:  # the listener's session: LISTEN over the socket (no client address)
                    async with db.read() as conn:
                        listening = (await conn.execute(text(
                            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'"
                            " AND client_addr IS NULL AND pid <> pg_backend_pid()"
                            " AND datname = current_database()"))).scalar_one()
                    if listening:
                        break
                    await anyio.sleep(0.05)
                seen = wakeup.generation
                async with db.write() as conn:
                    await notify_changes(conn)
                while wakeup.generation == seen:
                    await anyio.sleep(0.05)
            group.cancel_scope.cancel()
    finally:
        await db.close()
