"""Database commands: ``db init`` (create or upgrade the schema) and ``db version``."""

from __future__ import annotations

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK
from contenthub_async.cli.output import print_json, print_lines
from contenthub_async.cli.params import Format
from contenthub_async.texts.messages import text


def init(*, fmt: Format = "table") -> int:
    """Create the tables, or upgrade them to this program's schema version."""
    from contenthub_async.store.migrations import migrate

    async def upgrade() -> tuple[int, int]:
        async with runtime.open_database(require_schema=False) as db:
            return await migrate(db)

    before, after = runtime.run(upgrade)
    database = runtime.database_label()
    if fmt == "json":
        print_json({"database": database, "from_version": before, "to_version": after})
    elif before == after:
        print_lines([text("db.up_to_date", database=database, after=after)])
    else:
        print_lines([text("db.migrated", database=database, before=before, after=after)])
    return EXIT_OK


def version(*, fmt: Format = "table") -> int:
    """Show the schema version of the database and the one this program expects."""
    from contenthub_async.store.migrations import SCHEMA_VERSION

    async def read() -> int:
        async with runtime.open_database(require_schema=False) as db:
            return await runtime.schema_version(db)

    found = 0 if runtime.sqlite_file_missing() else runtime.run(read)
    database = runtime.database_label()
    if fmt == "json":
        print_json({"database": database, "version": found, "expected_version": SCHEMA_VERSION,
                    "up_to_date": found == SCHEMA_VERSION})
    else:
        print_lines([text("db.version", database=database, version=found, expected=SCHEMA_VERSION)])
    return EXIT_OK
