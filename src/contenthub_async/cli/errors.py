"""Failures of ``contenthub-ctl`` and how each becomes one line on stderr and an exit code.

Exit codes: 0 ok, 1 operation failed, 2 usage or validation error.
Domain and service exceptions are translated here; nothing else in the CLI formats errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contenthub_async.texts import failures
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.config import ConfigError
    from contenthub_async.domain.submission import InvalidSubmission
    from contenthub_async.services.errors import ServiceError

EXIT_OK = 0
EXIT_FAILED = failures.FAILED
EXIT_USAGE = failures.USAGE

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
    return from_message(failures.invalid_field_message(field, reason, OPTION_OF_FIELD.get(field, field), details))


def from_message(message: failures.Message) -> CliError:
    return CliError(message.key, message.exit_code, **message.fields)


def from_invalid_submission(exc: InvalidSubmission) -> CliError:
    return invalid_field(exc.field, exc.reason, **exc.details)


def from_service_error(exc: ServiceError) -> CliError:
    return from_message(failures.service_error_message(exc))


def from_config_error(exc: ConfigError) -> CliError:
    """An invalid setting, named, with pydantic's reason in the operator's language (exit 2)."""
    return from_message(failures.config_error_message(exc))


def describe(exc: BaseException) -> CliError | None:
    """The CliError for a known exception type, or None for a bug (which keeps its traceback)."""
    if isinstance(exc, CliError):
        return exc
    from contenthub_async.domain.submission import InvalidSubmission

    if isinstance(exc, InvalidSubmission):
        return from_invalid_submission(exc)
    message = failures.failure_message(exc)
    return None if message is None else from_message(message)
