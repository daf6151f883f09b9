"""schema.sql is the reviewed DDL: the code's table definitions must create the same schema."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect

from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate
from contenthub_async.store.tables import SCHEMA_VERSION
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


async def test_sqlite_tables_from_code_match_schema_sql(tmp_path: Path) -> None:
    expected, ddl_version = ddl_schema(tmp_path)
    db = Database.open(f"sqlite:///{tmp_path / 'from-code.db'}")
    try:
        await migrate(db)
    finally:
        await db.close()
    actual = describe_sqlite_file(tmp_path / "from-code.db")
    assert ddl_version == SCHEMA_VERSION
    assert set(actual) == set(expected)
    for table in expected:
        assert actual[table] == expected[table], table
    with sqlite3.connect(tmp_path / "from-code.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@requires_postgres
async def test_postgresql_tables_from_code_match_schema_sql(tmp_path: Path) -> None:
    expected, _ = ddl_schema(tmp_path)
    with database_url("postgresql", tmp_path) as url:
        db = Database.open(url)
        try:
            await migrate(db)
            async with db.read() as conn:
                actual = await conn.run_sync(lambda c: describe(c, check_text=False))
        finally:
            await db.close()
    for schema in (expected,):
        for table in schema.values():
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
