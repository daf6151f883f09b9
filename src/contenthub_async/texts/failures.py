"""Failures explained in the operator's language: a catalog key, its fields, and whose fault.

Every entry point explains a failure with the same words: ``contenthub-ctl`` turns a
:class:`Message` into a line on stderr and an exit code (``cli/errors.py``), the HTTP API into
a JSON error body (``http/errors.py``). ``exit_code`` is the command line's classification,
which the services already carry: 1 the operation failed, 2 the caller's input was at fault.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from contenthub_async.texts.messages import Language, has_text, status_word, text
from contenthub_async.texts.validation import validation_text

if TYPE_CHECKING:
    from contenthub_async.config import ConfigError
    from contenthub_async.services.errors import ServiceError

FAILED = 1
USAGE = 2


@dataclass(frozen=True)
class Message:
    """A catalog message ``key`` with the ``fields`` that fill it."""

    key: str
    fields: Mapping[str, object] = field(default_factory=dict)
    exit_code: int = FAILED

    def text(self, lang: Language | None = None) -> str:
        return text(self.key, lang, **self.fields)


def invalid_field_message(field: str, reason: str, name: str, details: Mapping[str, object]) -> Message:
    """Why ``field`` is invalid (``invalid.<reason>``), naming it ``name``: a command-line
    option, a CSV column or a JSON field."""
    key = f"invalid.{reason}"
    field_key = f"field.{field}"
    field_name = text(field_key) if has_text(field_key) else field
    if not has_text(key):
        return Message("invalid.other", {"option": name, "field": field_name, "reason": reason}, USAGE)
    return Message(key, {"option": name, "field": field_name, **details}, USAGE)


def invalid_field_text(field: str, reason: str, name: str, details: Mapping[str, object]) -> str:
    return invalid_field_message(field, reason, name, details).text()


def service_error_message(exc: ServiceError) -> Message:
    """A ``services.errors.ServiceError`` (its ``code`` and ``details``) as a catalog message."""
    details = dict(exc.details)
    code = exc.code
    if code == "invalid_task_state":
        if details.get("status") == "changing":
            return Message("error.task_busy", {"task_id": details.get("task_id")}, exc.exit_code)
        action = str(details.get("action", ""))
        action_key = f"action.{action}"
        return Message("error.invalid_task_state", {
            "task_id": details.get("task_id"),
            "status": status_word(str(details.get("status", ""))),
            "action": text(action_key) if has_text(action_key) else action,
        }, exc.exit_code)
    if code == "inactive_account":
        details.setdefault("name", "?")
    key = f"error.{code}"
    if has_text(key):
        try:
            text(key, **details)
        except (KeyError, IndexError):
            pass
        else:
            return Message(key, details, exc.exit_code)
    detail = ", ".join(f"{k}={v}" for k, v in details.items())
    return Message("error.service", {"code": code, "detail": detail}, exc.exit_code)


def config_error_message(exc: ConfigError) -> Message:
    """An invalid setting, named, with pydantic's reason in the operator's language."""
    reason = validation_text(exc.kind, exc.context, exc.reason)
    return Message("error.setting", {"name": exc.name, "reason": reason}, USAGE)


def failure_message(exc: BaseException) -> Message | None:
    """The message for a known service, settings or database failure; None for anything else
    (a bug, which keeps its traceback). Modules not loaded yet cannot have raised."""
    if "contenthub_async.services.errors" in sys.modules:
        from contenthub_async.services.errors import ServiceError

        if isinstance(exc, ServiceError):
            return service_error_message(exc)
    if "contenthub_async.config" in sys.modules:
        from contenthub_async.config import ConfigError

        if isinstance(exc, ConfigError):
            return config_error_message(exc)
    if "contenthub_async.store.database" in sys.modules:
        from contenthub_async.store.database import DatabaseUrlError

        if isinstance(exc, DatabaseUrlError):
            return Message("error.config", {"detail": str(exc)}, USAGE)
    if "contenthub_async.store.migrations" in sys.modules:
        from contenthub_async.store.migrations import SchemaVersionError

        if isinstance(exc, SchemaVersionError):
            return Message("error.database", {"detail": str(exc)})
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            detail = getattr(exc, "orig", None) or exc
            return Message("error.database", {"detail": str(detail).splitlines()[0]})
    if "sqlite3" in sys.modules:
        import sqlite3

        if isinstance(exc, sqlite3.Error):  # the standard-library driver (store/sqlite_driver.py)
            return Message("error.database", {"detail": str(exc).splitlines()[0]})
    if isinstance(exc, OSError):
        return Message("error.database", {"detail": str(exc)})
    return None
