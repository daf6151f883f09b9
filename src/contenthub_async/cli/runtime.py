"""What every command that touches the database needs: settings, the database, a clock.

Schema rule (one for all commands): only ``db init`` creates the schema (and a missing SQLite
file). Every other command, ``account add`` included, refuses a database without contenthub
tables with an error that names the database it resolved (the absolute SQLite path, or the
PostgreSQL URL without its password) and the hint to run ``contenthub-ctl db init`` (exit 1),
so an operator in the wrong directory never starts a second database by accident.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from contenthub_async.cli.errors import EXIT_FAILED, CliError, from_config_error, usage
from contenthub_async.startup import resume_collection

if TYPE_CHECKING:
    from contenthub_async.clock import Clock
    from contenthub_async.config import Settings
    from contenthub_async.store.database import DatabaseUrl
    from contenthub_async.store.prepared import PreparedDatabase

T = TypeVar("T")


def settings() -> Settings:
    """Process settings (environment and ``.env``); an invalid value is a usage error."""
    from contenthub_async.config import ConfigError
    from contenthub_async.config import settings as load

    try:
        return load()
    except ConfigError as exc:
        raise from_config_error(exc) from None


#: Seconds a command interrupted by Ctrl-C may take to clean up before the process just exits.
INTERRUPT_GRACE = 3.0
#: Exit code after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class Interrupted(Exception):
    """Ctrl-C stopped the command after it cleaned up (``cli/main.py`` exits with 130)."""


def _say_interrupted() -> None:
    from contenthub_async.cli.output import print_error
    from contenthub_async.texts.messages import text

    print_error(text("error.interrupted"))


def _exit_now(on_interrupt: Callable[[], None]) -> None:
    """Say so and end the process at once, without waiting for anything (database threads
    included): nothing is lost, a transaction that did not commit is rolled back by the database."""
    try:
        on_interrupt()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def run(main: Callable[[], Coroutine[Any, Any, T]], *, on_interrupt: Callable[[], None] = _say_interrupted) -> T:
    """Run one coroutine function to completion on a fresh event loop.

    Ctrl-C always ends the command: the first one cancels it and lets it clean up (close the
    database) for at most :data:`INTERRUPT_GRACE` seconds, a second one ends the process at once.
    Either way ``on_interrupt()`` says what was left as it was and the exit code is 130. (A
    cancelled database call goes on in its worker thread -- SQLite waits up to its busy timeout
    for a lock -- and the clean-up queues behind it, so waiting for the clean-up alone could
    take a minute.)
    """
    interrupted = False

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigint() -> None:
            nonlocal interrupted
            if interrupted:
                _exit_now(on_interrupt)
            interrupted = True
            task.cancel()
            loop.call_later(INTERRUPT_GRACE, _exit_now, on_interrupt)

        # The loop's own handler: it wakes the loop whichever thread the signal reaches.
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        try:
            return await main()
        finally:
            if not interrupted:
                loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(guarded())
    except BaseException:  # whatever the cancelled command raised on its way out
        if not interrupted:
            raise
    on_interrupt()
    raise Interrupted


async def schema_version(db: PreparedDatabase) -> int:
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
    from contenthub_async.store.database import database_label as label_of

    url = settings().DATABASE_URL if url is None else url
    _parsed_url(url)  # a usage error for a malformed URL
    return label_of(url)


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
async def open_database(*, require_schema: bool = True, prepared_only: bool = False) -> AsyncIterator[Any]:
    """The configured database, closed on exit.

    ``require_schema``: refuse a database whose schema is missing or not this program's (a
    missing SQLite file is then not created). ``prepared_only``: the command runs the store's
    prepared statements only (``store/prepared.py``), so a SQLite file is opened with the
    standard library's driver and the command never imports SQLAlchemy.
    """
    url = settings().DATABASE_URL
    sqlite_file = None
    if prepared_only:
        from contenthub_async.store.sqlite_driver import sqlite_file_of

        sqlite_file = sqlite_file_of(url)
    if require_schema and (not sqlite_file.exists() if sqlite_file is not None else sqlite_file_missing()):
        raise CliError("error.schema_missing", EXIT_FAILED, database=database_label())
    db: PreparedDatabase
    if sqlite_file is not None:
        from contenthub_async.store.sqlite_driver import SqliteDatabase

        db = SqliteDatabase(sqlite_file)
    else:
        from contenthub_async.store.database import Database

        db = Database.open(url, pool_size=1)
    try:
        if require_schema:
            _check_version(await schema_version(db))
        resume_collection()  # the command has started (startup.py)
        yield db
    finally:
        await db.close()


def clock() -> Clock:
    """The wall clock (UTC)."""
    from contenthub_async.clock import SystemClock

    return SystemClock()
