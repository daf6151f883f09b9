"""Column types that read well in plain SQL on both backends.

* Timestamps: ISO-8601 UTC text on SQLite (``2026-11-22T08:00:00.000Z``: sorts and compares
  as text, readable in ``sqlite3``), ``timestamptz`` on PostgreSQL. Always aware UTC in Python.
* JSON: UTF-8 text on SQLite (Chinese stays readable), ``jsonb`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from contenthub_async.store.sqlite_text import dump_json, load_json
from contenthub_async.store.sqlite_text import format_utc as format_utc
from contenthub_async.store.sqlite_text import parse_utc as parse_utc


class UtcDateTime(TypeDecorator[datetime]):
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TIMESTAMP  # only PostgreSQL users pay for it

            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            if value.tzinfo is None:
                raise ValueError("naive datetime: use timezone-aware UTC")
            return value
        return format_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return parse_utc(value)


class JsonText(TypeDecorator[Any]):
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return dump_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return load_json(value)
