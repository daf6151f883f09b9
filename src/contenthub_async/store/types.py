"""Column types that read well in plain SQL on both backends.

* Timestamps: ISO-8601 UTC text on SQLite (``2026-11-22T08:00:00.000Z``: sorts and compares
  as text, readable in ``sqlite3``), ``timestamptz`` on PostgreSQL. Always aware UTC in Python.
* JSON: UTF-8 text on SQLite (Chinese stays readable), ``jsonb`` on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


@lru_cache(maxsize=256)
def format_utc(value: datetime) -> str:
    """``2026-11-22T08:00:00.123Z``: fixed width, so text order is time order.

    Cached: a bulk insert binds the same few timestamps on every row."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: use timezone-aware UTC")
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_utc(text: str) -> datetime:
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


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
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.loads(value)
