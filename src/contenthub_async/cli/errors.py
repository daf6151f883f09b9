"""Failures of ``contenthub-ctl`` and how each becomes one line on stderr and an exit code.

Exit codes: 0 ok, 1 operation failed, 2 usage or validation error.
Domain and service exceptions are translated here; nothing else in the CLI formats errors.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from contenthub_async.cli.messages import has_text, status_word, text

if TYPE_CHECKING:
    from contenthub_async.config import ConfigError
    from contenthub_async.domain.submission import InvalidSubmission
    from contenthub_async.services.errors import ServiceError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: The command-line option that carries each submission field.
OPTION_OF_FIELD = {
    "account_id": "--account-id",
    "topic": "--topic",
    "keywords": "--keywords",
    "category": "--category",
    "requirements": "--requirements",
    "tone": "--tone",
    "callback_url": "--callback-url",
    "priority": "--priority",
    "max_retries": "--max-retries",
    "source": "--source",
    "name": "--name",
    "platform": "--platform",
    "description": "--description",
    "id": "--id",
}


class CliError(Exception):
    """A failure with a catalog message key, its fields and an exit code."""

    def __init__(self, key: str, exit_code: int = EXIT_FAILED, **fields: object) -> None:
        self.key = key
        self.exit_code = exit_code
        self.fields = fields
        super().__init__(key)

    def message(self) -> str:
        return text(self.key, **self.fields)


def usage(key: str, **fields: object) -> CliError:
    """A usage or validation error (exit 2)."""
    return CliError(key, EXIT_USAGE, **fields)


def invalid_field(field: str, reason: str, **details: object) -> CliError:
    """A field that failed validation, as a usage error naming its option."""
    key, fields = _invalid(field, reason, OPTION_OF_FIELD.get(field, field), details)
    return usage(key, **fields)


def invalid_field_text(field: str, reason: str, name: str, details: dict[str, object]) -> str:
    """Why ``field`` is invalid, naming it ``name`` (e.g. a CSV column instead of an option)."""
    key, fields = _invalid(field, reason, name, details)
    return text(key, **fields)


def _invalid(field: str, reason: str, option: str, details: dict[str, object]) -> tuple[str, dict[str, object]]:
    key = f"invalid.{reason}"
    field_key = f"field.{field}"
    field_name = text(field_key) if has_text(field_key) else field
    if not has_text(key):
        return "invalid.other", {"option": option, "field": field_name, "reason": reason}
    return key, {"option": option, "field": field_name, **details}


def from_invalid_submission(exc: InvalidSubmission) -> CliError:
    return invalid_field(exc.field, exc.reason, **exc.details)


def from_service_error(exc: ServiceError) -> CliError:
    """Map a ``services.errors.ServiceError`` (its ``code`` and ``details``) to a catalog message."""
    details = dict(exc.details)
    code = exc.code
    if code == "invalid_task_state":
        if details.get("status") == "changing":
            return CliError("error.task_busy", exc.exit_code, task_id=details.get("task_id"))
        action = str(details.get("action", ""))
        action_key = f"action.{action}"
        return CliError(
            "error.invalid_task_state",
            exc.exit_code,
            task_id=details.get("task_id"),
            status=status_word(str(details.get("status", ""))),
            action=text(action_key) if has_text(action_key) else action,
        )
    if code == "inactive_account":
        details.setdefault("name", "?")
    key = f"error.{code}"
    if has_text(key):
        try:
            text(key, **details)
        except (KeyError, IndexError):
            pass
        else:
            return CliError(key, exc.exit_code, **details)
    detail = ", ".join(f"{k}={v}" for k, v in details.items())
    return CliError("error.service", exc.exit_code, code=code, detail=detail)


def from_config_error(exc: ConfigError) -> CliError:
    """An invalid setting, named, with pydantic's reason in the operator's language (exit 2)."""
    from contenthub_async.cli.validation import validation_text

    return usage("error.setting", name=exc.name, reason=validation_text(exc.kind, exc.context, exc.reason))


def describe(exc: BaseException) -> CliError | None:
    """The CliError for a known exception type, or None for a bug (which keeps its traceback)."""
    if isinstance(exc, CliError):
        return exc
    from contenthub_async.domain.submission import InvalidSubmission

    if isinstance(exc, InvalidSubmission):
        return from_invalid_submission(exc)
    if "contenthub_async.services.errors" in sys.modules:
        from contenthub_async.services.errors import ServiceError

        if isinstance(exc, ServiceError):
            return from_service_error(exc)
    if "contenthub_async.config" in sys.modules:
        from contenthub_async.config import ConfigError

        if isinstance(exc, ConfigError):
            return from_config_error(exc)
    if "contenthub_async.store.database" in sys.modules:
        from contenthub_async.store.database import DatabaseUrlError

        if isinstance(exc, DatabaseUrlError):
            return usage("error.config", detail=str(exc))
    if "contenthub_async.store.migrations" in sys.modules:
        from contenthub_async.store.migrations import SchemaVersionError

        if isinstance(exc, SchemaVersionError):
            return CliError("error.database", EXIT_FAILED, detail=str(exc))
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            detail = getattr(exc, "orig", None) or exc
            return CliError("error.database", EXIT_FAILED, detail=str(detail).splitlines()[0])
    if isinstance(exc, OSError):
        return CliError("error.database", EXIT_FAILED, detail=str(exc))
    return None
