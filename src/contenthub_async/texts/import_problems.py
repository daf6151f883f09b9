"""One problem of a CSV import (``domain/task_csv.py``) in the operator's language, naming its
column: ``contenthub-ctl import`` prints it, ``POST /api/v1/content/import`` answers it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contenthub_async.texts.failures import invalid_field_text
from contenthub_async.texts.messages import has_text, text

if TYPE_CHECKING:
    from contenthub_async.domain.task_csv import CsvProblem


def problem_text(problem: CsvProblem) -> str:
    column = problem.field or ""
    if problem.reason in ("unknown_account", "inactive_account"):
        return text(f"error.{problem.reason}", **{"name": "?", **problem.details})
    key = f"csv.{problem.reason}"
    if has_text(key):
        return text(key, column=column, **problem.details)
    return invalid_field_text(column, problem.reason, column, problem.details)
