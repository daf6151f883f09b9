"""Identifiers that read well in SQL: ``task-`` + 12 hex digits."""

from __future__ import annotations

import re
import secrets

TASK_ID_PATTERN = re.compile(r"^task-[0-9a-f]{12}$")


def new_task_id() -> str:
    return "task-" + secrets.token_hex(6)


def is_task_id(value: str) -> bool:
    return bool(TASK_ID_PATTERN.match(value))


def new_event_id() -> str:
    """A webhook event id (the ``webhook-id`` header): ``evt_`` + 24 hex digits."""
    return "evt_" + secrets.token_hex(12)
