"""What every command that touches the database needs: settings, the database, a clock.

Schema rule (one for all commands): only ``db init`` creates the schema (and a missing SQLite
file). Every other command, ``account add`` included, refuses a database without contenthub
tables with an error that names the database it resolved (the absolute SQLite path, or the
PostgreSQL URL without its password) and the hint to run ``contenthub-ctl db init`` (exit 1),
so an operator in the wrong directory never starts a second database by accident.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from contenthub_async.cli.errors import EXIT_FAILED, CliError, from_config_error, usage

if TYPE_CHECKING:
    from contenthub_async.clock import Clock
    from contenthub_async.config import Settings
    from contenthub_async.store.database import Database, DatabaseUrl

T = TypeVar("T")


def settings() -> Settings:
    """Process settings (environment and ``.env``); an invalid value is a usage error."""
    from contenthub_async.config import ConfigError
    from contenthub_async.config import settings as load

    try:
        return load()
    except ConfigError as exc:
        raise from_config_error(exc) from None


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one coroutine function to completion on a fresh event loop."""
    return asyncio.run(main())


async def schema_version(db: Database) -> int:
    from contenthub_async.store.migrations import current_version

    async with db.read() as conn:
        return await current_version(conn)


def _parsed_url(url: str) -> DatabaseUrl:
    from contenthub_async.store.database import DatabaseUrlError, parse_database_url

    try:
        return parse_database_url(url)
    except DatabaseUrlError as exc:
        raise usage("error.config", detail=str(exc)) from None


def database_label(url: str | None = None) -> str:
    """The configured database as an operator recognises it, never with a password:
    ``/srv/contenthub/data/contenthub.db`` or ``postgresql://contenthub@db.internal:5432/contenthub``."""
    from sqlalchemy.engine import URL, make_url

    url = settings().DATABASE_URL if url is None else url
    parsed = _parsed_url(url)
    if parsed.sqlite_path is not None:
        return str(parsed.sqlite_path.resolve())
    given = make_url(url)
    return URL.create(given.drivername, given.username, None, given.host, given.port, given.database,
                      given.query).render_as_string(hide_password=False)


def _check_version(version: int) -> None:
    from contenthub_async.store.migrations import SCHEMA_VERSION

    if version == 0:
        raise CliError("error.schema_missing", EXIT_FAILED, database=database_label())
    if version < SCHEMA_VERSION:
        raise CliError("error.schema_old", EXIT_FAILED, version=version, expected=SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise CliError("error.schema_new", EXIT_FAILED, version=version, expected=SCHEMA_VERSION)


def sqlite_file_missing() -> bool:
    """True when DATABASE_URL names a SQLite file that does not exist (yet)."""
    parsed = _parsed_url(settings().DATABASE_URL)
    return parsed.sqlite_path is not None and not parsed.sqlite_path.exists()


@asynccontextmanager
async def open_database(*, require_schema: bool = True) -> AsyncIterator[Database]:
    """The configured database, closed on exit.

    ``require_schema``: refuse a database whose schema is missing or not this program's (a
    missing SQLite file is then not created).
    """
    from contenthub_async.store.database import Database

    if require_schema and sqlite_file_missing():
        raise CliError("error.schema_missing", EXIT_FAILED, database=database_label())
    db = Database.open(settings().DATABASE_URL, pool_size=1)
    try:
        if require_schema:
            _check_version(await schema_version(db))
        yield db
    finally:
        await db.close()


def clock() -> Clock:
    """The wall clock (UTC)."""
    from contenthub_async.clock import SystemClock

    return SystemClock()
