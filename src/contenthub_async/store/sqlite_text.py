"""Timestamps and JSON as SQLite stores them: text (``store/types.py`` maps them to columns;
the standard-library driver of ``store/sqlite_driver.py`` uses them directly)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any


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


def dump_json(value: Any) -> str:
    """JSON text with Chinese left readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load_json(text: str) -> Any:
    return json.loads(text)
