"""The PostgreSQL wake-up listener connects with every parameter of DATABASE_URL (unix-socket
host and port, ``?schema=``), as the daemon's other connections do (real PostgreSQL server).

Both parameters matter here: the socket is reachable only through a directory and port of the
URL's own (no default finds it), and a listener wakes only for changes in its own schema."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from contenthub_async.services.wakeup import PostgresListenSource, Wakeup
from contenthub_async.store.database import Database, parse_database_url
from contenthub_async.store.dialect import notify_changes

SERVER_SOCKET = Path("/var/run/postgresql/.s.PGSQL.5432")
UNUSED_PORT = 5999  # no server listens on it, on TCP or in the default socket directories


@pytest.fixture
def socket_directory() -> Iterator[Path]:
    """A directory of this test's own where the server's socket answers as port UNUSED_PORT
    (short: a unix socket path is limited to about 100 bytes)."""
    if not SERVER_SOCKET.exists():
        pytest.skip(f"no PostgreSQL unix socket {SERVER_SOCKET}")
    directory = Path(tempfile.mkdtemp(prefix="pgsock-", dir="/tmp"))
    (directory / f".s.PGSQL.{UNUSED_PORT}").symlink_to(SERVER_SOCKET)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def over_socket(url: str, directory: Path) -> str:
    """``postgresql://user@host:port/db?schema=s`` → the same database through the socket of
    ``directory`` at UNUSED_PORT."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    user, _, location = rest.rpartition("@")
    database = location.partition("/")[2]
    return f"{scheme}://{user}@:{UNUSED_PORT}/{database}?{query}&host={directory}"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_listener_hears_changes_through_the_socket_and_schema_of_the_url(
    db_url: str, socket_directory: Path
) -> None:
    url = over_socket(db_url, socket_directory)
    assert parse_database_url(url).schema, "the test database lives in a schema of its own"
    writer = Database.open(db_url)  # TCP, same schema: as contenthub-ctl on another machine
    wakeup = Wakeup()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(PostgresListenSource(Database.open(url)).run, wakeup)
            with anyio.fail_after(60):
                # Until the listener has connected and listens, notifications reach nobody: notify
                # again and again. Other deployments (schemas) in this database never wake it.
                seen = wakeup.generation
                while wakeup.generation == seen:
                    async with writer.write() as conn:
                        await notify_changes(conn)
                    await anyio.sleep(0.2)
            group.cancel_scope.cancel()
    finally:
        await writer.close()

