"""``import FILE.csv`` (also ``bulk-import --file FILE --async``): many tasks from a CSV file.

Every problem is one line on stderr with its file line; with ``--format json`` the same
report is also the JSON document on stdout (docs/cli-json.md). Exit 2 when nothing was
imported because of problems. The outcome names the encoding the file was read in (UTF-8, or
GB18030/GBK as Excel saves CSV on Chinese systems).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK, EXIT_USAGE, usage
from contenthub_async.cli.output import print_error, print_json, print_lines
from contenthub_async.cli.params import Format
from contenthub_async.json_objects import import_report_json
from contenthub_async.texts.import_problems import problem_text
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.services.task_import import ImportOutcome

SkipInvalid = Annotated[
    bool, Parameter(name="--skip-invalid", negative="", help=text("help.opt.skip_invalid"))
]
AsyncMode = Annotated[bool, Parameter(name="--async", negative="", help=text("help.opt.async"))]


def import_(
    file: Annotated[Path, Parameter(help=text("help.opt.csv_file"))],
    /,
    *,
    skip_invalid: SkipInvalid = False,
    async_mode: AsyncMode = True,
    fmt: Format = "table",
) -> int:
    """Queue many tasks from a CSV file."""
    return run_import(file, skip_invalid=skip_invalid, fmt=fmt)


def bulk_import(
    *,
    file: Annotated[Path, Parameter(name=["--file", "-f"], help=text("help.opt.csv_file"))],
    skip_invalid: SkipInvalid = False,
    async_mode: AsyncMode = True,
    fmt: Format = "table",
) -> int:
    """The user guide's spelling of ``import``."""
    return run_import(file, skip_invalid=skip_invalid, fmt=fmt)


def run_import(file: Path, *, skip_invalid: bool, fmt: str) -> int:
    """Read, check and import ``file``; print the outcome; return the exit code."""
    from contenthub_async.domain.task_csv import TaskDefaults, parse_task_csv
    from contenthub_async.services.task_import import import_tasks

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise usage("import.unreadable", file=str(file), detail=exc.strerror or exc) from None
    config = runtime.settings()
    defaults = TaskDefaults(auto_approve=config.ASYNC_AUTO_APPROVE, max_retries=config.ASYNC_MAX_RETRIES)
    parsed = parse_task_csv(data, defaults)

    async def act() -> ImportOutcome:
        async with runtime.open_database() as db:
            return await import_tasks(db, parsed, clock=runtime.clock(), skip_invalid=skip_invalid)

    outcome = runtime.run(act)
    name = str(file)
    if outcome.refused:
        for problem in outcome.problems:
            print_error(text("import.problem", file=name, line=problem.line, problem=problem_text(problem)))
        count = len(outcome.problems)
        if skip_invalid or parsed.fatal or outcome.valid_rows == 0:
            summary = text("import.refused", count=count, file=name)
        else:
            summary = text("import.refused_hint", count=count, file=name, valid=outcome.valid_rows)
        print_error(summary)
        if fmt == "json":
            print_json(import_report_json(outcome, summary, parsed.encoding, problem_text))
        return EXIT_USAGE

    for problem in outcome.problems:
        sys.stderr.write(text("import.skipped", file=name, line=problem.line, problem=problem_text(problem)) + "\n")
    encoding = text(f"encoding.{parsed.encoding}")
    if outcome.problems:
        message = text("import.done_skipped", count=len(outcome.task_ids), file=name, skipped=outcome.skipped_rows,
                       encoding=encoding)
    else:
        message = text("import.done", count=len(outcome.task_ids), file=name, encoding=encoding)
    if fmt == "json":
        print_json(import_report_json(outcome, message, parsed.encoding, problem_text))
    else:
        print_lines([message])
    return EXIT_OK
