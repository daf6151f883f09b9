"""Conformance, schema: the numbered migrations of each backend, applied in order, give exactly
the reviewed DDL of ``schema.sql``; the table definitions of ``store/tables.py`` agree with it;
upgrades are applied once, in order, and a newer database is refused."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from contenthub_async.clock import ManualClock
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import (
    SCHEMA_VERSION,
    Migration,
    SchemaVersionError,
    current_version,
    migrate,
    migrations_for,
)
from contenthub_async.store.tables import metadata
from tests.support.databases import database_url, requires_postgres

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "schema.sql"


def _type_family(type_name: str) -> str:
    name = type_name.upper()
    if "TIMESTAMP" in name or "JSON" in name or name in ("TEXT", "VARCHAR"):
        return "TEXT"
    if name in ("FLOAT", "REAL", "DOUBLE PRECISION", "DOUBLE"):
        return "FLOAT"
    return name


def _normalize_sql(sql: str | None) -> str:
    return re.sub(r"[\s()\"]+", "", sql or "").lower().replace("::text", "").replace("anyarray", "")


def describe(sync_conn: Any, *, check_text: bool) -> dict[str, Any]:
    inspector = inspect(sync_conn)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "schema_version":
            continue
        schema[table] = {
            "columns": [
                (c["name"], _type_family(str(c["type"])), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                 tuple(fk["referred_columns"]), (fk.get("options") or {}).get("ondelete"))
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
                if not (i["name"] or "").startswith("sqlite_autoindex") and not i.get("duplicates_constraint")
            ),
            "checks": sorted(
                (c["name"], _normalize_sql(c["sqltext"]) if check_text else "")
                for c in inspector.get_check_constraints(table)
            ),
        }
    return schema


def describe_sqlite_file(path: Path) -> dict[str, Any]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return describe(conn, check_text=True)
    finally:
        engine.dispose()


def ddl_schema(tmp_path: Path) -> tuple[dict[str, Any], int]:
    path = tmp_path / "from-ddl.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_SQL.read_text(encoding="utf-8"))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    return describe_sqlite_file(path), version


def migrated_sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "migrated.db"

    async def run() -> None:
        db = Database.open(f"sqlite:///{path}")
        try:
            await migrate(db)
        finally:
            await db.close()

    import asyncio

    asyncio.run(run())
    return path


def test_sqlite_migrations_give_exactly_schema_sql(tmp_path: Path) -> None:
    expected, ddl_version = ddl_schema(tmp_path)
    path = migrated_sqlite_file(tmp_path)
    actual = describe_sqlite_file(path)
    assert ddl_version == SCHEMA_VERSION == len(migrations_for("sqlite"))
    assert set(actual) == set(expected)
    for table in expected:
        assert actual[table] == expected[table], table
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_table_definitions_match_schema_sql(tmp_path: Path) -> None:
    """store/tables.py, which every statement is written against, describes the same tables."""
    expected, _ = ddl_schema(tmp_path)
    path = tmp_path / "from-metadata.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    actual = describe_sqlite_file(path)
    assert set(actual) == set(expected)
    for table in expected:
        assert actual[table] == expected[table], table


@requires_postgres
async def test_postgresql_migrations_give_the_schema_of_schema_sql(tmp_path: Path) -> None:
    expected, _ = ddl_schema(tmp_path)
    with database_url("postgresql", tmp_path) as url:
        db = Database.open(url)
        try:
            await migrate(db)
            async with db.read() as conn:
                actual = await conn.run_sync(lambda c: describe(c, check_text=False))
                assert await current_version(conn) == SCHEMA_VERSION == len(migrations_for("postgresql"))
        finally:
            await db.close()
    for table in expected.values():
        table["checks"] = [(name, "") for name, _ in table["checks"]]
    assert set(actual) == set(expected)
    for table in expected:
        assert actual[table] == expected[table], table


def test_describe_notices_a_difference(tmp_path: Path) -> None:
    """The comparison is not vacuous: dropping an index from the DDL is caught."""
    expected, _ = ddl_schema(tmp_path)
    path = tmp_path / "altered.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_SQL.read_text(encoding="utf-8").replace(
            "CREATE INDEX ix_tasks_created_at ON content_generation_tasks (created_at);", ""
        ))
    assert describe_sqlite_file(path) != expected


async def test_migrate_is_idempotent_and_versioned(db: Database) -> None:
    assert await migrate(db) == (SCHEMA_VERSION, SCHEMA_VERSION)
    async with db.read() as conn:
        assert await current_version(conn) == SCHEMA_VERSION


async def test_upgrades_apply_once_in_order_and_a_newer_database_is_refused(db: Database) -> None:
    later = [
        *migrations_for(db.backend),
        Migration(SCHEMA_VERSION + 1, "probe", ("CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY)",)),
        Migration(SCHEMA_VERSION + 2, "probe_row", ("INSERT INTO upgrade_probe (id) VALUES (7)",)),
    ]
    assert await migrate(db, migrations=later) == (SCHEMA_VERSION, SCHEMA_VERSION + 2)
    assert await migrate(db, migrations=later) == (SCHEMA_VERSION + 2,) * 2
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT id FROM upgrade_probe"))).scalars().all() == [7]
    with pytest.raises(SchemaVersionError, match="newer"):
        await migrate(db)


async def test_a_failing_migration_leaves_the_previous_version(db: Database) -> None:
    broken = [
        *migrations_for(db.backend),
        Migration(SCHEMA_VERSION + 1, "half", ("CREATE TABLE half_done (id INTEGER PRIMARY KEY)", "NOT SQL AT ALL")),
    ]
    with pytest.raises(Exception):  # noqa: B017 - the driver's syntax error, whatever its class
        await migrate(db, migrations=broken)
    async with db.read() as conn:
        assert await current_version(conn) == SCHEMA_VERSION
    async with db.read() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert "half_done" not in tables


async def test_upgrading_keeps_every_row_and_every_key(backend: str, tmp_path: Path, clock: ManualClock) -> None:
    """A database with tasks, events and articles upgrades across the rebuild of the task table
    (SQLite) without losing or orphaning a row; the foreign keys still act afterwards."""
    with database_url(backend, tmp_path) as url:
        db = Database.open(url)
        try:
            await _upgrade_with_rows(db, clock)
        finally:
            await db.close()


async def _upgrade_with_rows(db: Database, clock: ManualClock) -> None:
    from tests.conformance.support import add_account, claim, submit

    migrations = migrations_for(db.backend)
    rebuilt_at = next(m.version for m in migrations if m.name == "processing_lease")
    await migrate(db, migrations=migrations[: rebuilt_at - 1])
    account = await add_account(db, clock)
    task_ids = await submit(db, clock, account, 5, 7, 3)
    await claim(db, clock, 1)
    async with db.write() as conn:
        await conn.execute(text(
            "INSERT INTO contents (account_id, generation_task_id, title, body_markdown, images, review_status,"
            " publish_status, created_at, updated_at) SELECT account_id, id, 't', 'b', '[]', 'pending', 'draft',"
            " created_at, updated_at FROM content_generation_tasks WHERE priority = 3"
        ))
    before = await _rows(db)
    assert await migrate(db) == (rebuilt_at - 1, SCHEMA_VERSION)
    assert await _rows(db) == before
    async with db.write() as conn:
        await conn.execute(text("DELETE FROM content_generation_tasks WHERE task_id = :t"), {"t": task_ids[2]})
        events = (await conn.execute(text("SELECT count(*) FROM task_events"))).scalar_one()
        orphan = (await conn.execute(text("SELECT generation_task_id FROM contents"))).scalar_one()
    assert events == len(before["task_events"]) - 1, "events cascade with their task"
    assert orphan is None, "an article outlives its task"


async def _rows(db: Database) -> dict[str, list[tuple[object, ...]]]:
    async with db.read() as conn:
        return {
            table: [tuple(r) for r in (await conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY id"))).all()]
            for table, columns in (
                ("content_generation_tasks", "id, task_id, status, priority, lease_owner, lease_expires_at, created_at"),
                ("task_events", "id, generation_task_id, from_status, to_status, at"),
                ("contents", "id, generation_task_id, title"),
            )
        }
