"""What every command that touches the database needs: settings, the database, a clock.

Schema rule (one for all commands): ``db init`` and ``account add`` create the schema in an
empty database; every other command refuses an empty database with a hint to run
``contenthub-ctl db init`` (exit 1). A missing SQLite file is never created by a command that
only needs to read or by one that cannot succeed on an empty database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from contenthub_async.cli.errors import EXIT_FAILED, CliError, usage

if TYPE_CHECKING:
    from contenthub_async.clock import Clock
    from contenthub_async.config import Settings
    from contenthub_async.store.database import Database

T = TypeVar("T")


def settings() -> Settings:
    """Process settings (environment and ``.env``); an invalid value is a usage error."""
    from contenthub_async.config import ConfigError
    from contenthub_async.config import settings as load

    try:
        return load()
    except ConfigError as exc:
        raise usage("error.config", detail=str(exc)) from None


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one coroutine function to completion on a fresh event loop."""
    return asyncio.run(main())


async def schema_version(db: Database) -> int:
    from contenthub_async.store.migrations import current_version

    async with db.read() as conn:
        return await current_version(conn)


def _check_version(version: int) -> None:
    from contenthub_async.store.migrations import SCHEMA_VERSION

    if version == 0:
        raise CliError("error.schema_missing", EXIT_FAILED)
    if version < SCHEMA_VERSION:
        raise CliError("error.schema_old", EXIT_FAILED, version=version, expected=SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise CliError("error.schema_new", EXIT_FAILED, version=version, expected=SCHEMA_VERSION)


def sqlite_file_missing() -> bool:
    """True when DATABASE_URL names a SQLite file that does not exist (yet)."""
    from contenthub_async.store.database import DatabaseUrlError, parse_database_url

    try:
        parsed = parse_database_url(settings().DATABASE_URL)
    except DatabaseUrlError as exc:
        raise usage("error.config", detail=str(exc)) from None
    return parsed.sqlite_path is not None and not parsed.sqlite_path.exists()


@asynccontextmanager
async def open_database(*, require_schema: bool = True, create: bool = False) -> AsyncIterator[Database]:
    """The configured database, closed on exit.

    ``require_schema``: refuse a database whose schema is missing or not this program's.
    ``create``: initialise an empty database (or a missing SQLite file) first.
    """
    from contenthub_async.store.database import Database

    if require_schema and not create and sqlite_file_missing():
        raise CliError("error.schema_missing", EXIT_FAILED)
    db = Database.open(settings().DATABASE_URL, pool_size=1)
    try:
        if create or require_schema:
            version = await schema_version(db)
            if create and version == 0:
                from contenthub_async.cli.output import print_note
                from contenthub_async.store.migrations import migrate

                _, version = await migrate(db)
                print_note("db.auto_init", after=version)
            if require_schema:
                _check_version(version)
        yield db
    finally:
        await db.close()


def clock() -> Clock:
    """The wall clock (UTC)."""
    from contenthub_async.clock import SystemClock

    return SystemClock()
