"""``scheduler`` commands: create, list, show, history, pause, resume, trigger, delete, update.

They write rows and read state; contenthubd does the firing (docs/scheduler.md).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK, CliError, usage
from contenthub_async.cli.output import (
    Column,
    local_time,
    or_dash,
    print_fields,
    print_json,
    print_lines,
    print_table,
)
from contenthub_async.cli.params import Format, check_limit, strict_int
from contenthub_async.json_objects import execution_json, job_json, next_runs, run_counts, run_json
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Job, JobRun

JobRef = Annotated[str, Parameter(help=text("help.opt.job"))]
Policy = Literal["run_once", "skip"]


def _known_types() -> tuple[str, ...]:
    """The job types (``--type`` choices, completed by the shell)."""
    from contenthub_async.services.executors import BUILTINS

    return tuple(sorted(BUILTINS))


# ---------------------------------------------------------------- helpers


def _parse_params(raw: str) -> Any:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise usage("error.params_json", detail=str(exc)) from None
    except RecursionError:
        raise usage("error.params_too_deep") from None
    if not isinstance(value, dict):
        raise usage("error.params_json", detail=type(value).__name__)
    return value


def _job_name(raw: str) -> str:
    """The name as stored: one line of text, no control characters (it is printed as it is)."""
    from contenthub_async.domain.submission import MAX_SHORT_TEXT_LENGTH, InvalidSubmission, check_text

    try:
        name = check_text("name", raw, MAX_SHORT_TEXT_LENGTH, required=True)
    except InvalidSubmission as problem:
        raise usage(f"invalid.{problem.reason}", option="--name", field=text("field.name"),
                    **problem.details) from None
    assert name is not None
    return name


def _translate(exc: Exception) -> CliError | None:
    from contenthub_async.domain.cron import CronError
    from contenthub_async.services.executors import InvalidJobParams, UnknownJobType

    if isinstance(exc, InvalidJobParams):
        from contenthub_async.texts.validation import validation_text

        return usage("error.bad_params", field=exc.field, message=validation_text(exc.kind, exc.context, exc.message))
    if isinstance(exc, UnknownJobType):
        return usage("error.unknown_job_type", job_type=exc.job_type, known=", ".join(_known_types()))
    if isinstance(exc, CronError):
        key = "error.bad_timezone" if "time zone" in str(exc) else "error.bad_cron"
        return usage(key, detail=str(exc))
    return None


def _call(action: Any) -> Any:
    """Run ``action(db, clock)`` against the configured database, translating validation errors."""
    async def main() -> Any:
        async with runtime.open_database() as db:
            return await action(db, runtime.clock())

    try:
        return runtime.run(main)
    except Exception as exc:
        translated = _translate(exc)
        if translated is None:
            raise
        raise translated from None


def _zone_label(job: Job) -> str:
    """The job's zone, or the system's by name: ``system (Asia/Shanghai)``."""
    if job.timezone:
        return job.timezone
    from datetime import UTC, datetime

    from contenthub_async.domain.cron import zone
    from contenthub_async.domain.zones import zone_label

    return text("sched.system_zone", zone=zone_label(zone(None), datetime.now(UTC)))


def _state(job: Job) -> str:
    return text("sched.word.active" if job.is_active else "sched.word.paused")


def _word(prefix: str, value: str) -> str:
    from contenthub_async.texts.messages import has_text

    key = f"{prefix}.{value}"
    return text(key) if has_text(key) else value


def _print_job(job: Job) -> None:
    print_fields([
        (text("sched.col.id"), str(job.id)),
        (text("sched.col.name"), job.name),
        (text("sched.col.type"), job.job_type),
        (text("sched.col.cron"), job.cron),
        (text("sched.col.timezone"), _zone_label(job)),
        (text("sched.col.state"), _state(job)),
        (text("sched.label.misfire"), text("sched.misfire_value", policy=job.misfire_policy,
                                           grace=job.misfire_grace_seconds)),
        (text("sched.col.next_run"), local_time(job.next_run_at if job.is_active else None)),
        (text("sched.col.last_run"), local_time(job.last_run_at)),
        (text("sched.label.created_at"), local_time(job.created_at)),
        (text("sched.label.params"), json.dumps(job.params, ensure_ascii=False, sort_keys=True)),
    ])
    runs = next_runs(job)
    if runs:
        print_lines([text("sched.next_runs"), *(f"  {local_time(when)}" for when in runs)])


# ---------------------------------------------------------------- commands


def create(
    *,
    name: Annotated[str, Parameter(name="--name", allow_leading_hyphen=True, help=text("help.opt.job_name"))],
    job_type: Annotated[str, Parameter(name="--type", choices=_known_types(), show_choices=False,
                                       help=text("help.opt.job_type", types=", ".join(_known_types())))],
    cron: Annotated[str, Parameter(name="--cron", allow_leading_hyphen=True, help=text("help.opt.cron"))],
    params: Annotated[str, Parameter(name="--params", allow_leading_hyphen=True, help=text("help.opt.params"))] = "{}",
    timezone: Annotated[str | None, Parameter(name="--timezone", help=text("help.opt.timezone"))] = None,
    misfire_policy: Annotated[Policy, Parameter(name="--misfire-policy", help=text("help.opt.misfire_policy"))] = "run_once",
    misfire_grace: Annotated[
        int, Parameter(name="--misfire-grace", converter=strict_int, help=text("help.opt.misfire_grace"))
    ] = 3600,
    paused: Annotated[bool, Parameter(name="--paused", negative="", help=text("help.opt.paused"))] = False,
    fmt: Format = "table",
) -> int:
    """Create a cron job."""
    from contenthub_async.domain import cron as cron_domain
    from contenthub_async.services.executors import validate_params

    clean_name = _job_name(name)
    if misfire_grace < 0:
        raise usage("error.bad_misfire_grace")
    raw = _parse_params(params)
    try:  # everything that needs no database first: bad input never opens it
        cron_domain.validate_cron(cron)
        cron_domain.validate_timezone(timezone)
        validate_params(job_type, raw)
    except Exception as exc:
        translated = _translate(exc)
        if translated is None:
            raise
        raise translated from None

    async def action(db: Any, clock: Any) -> Job:
        from contenthub_async.services import job_commands

        return await job_commands.create_job(
            db, name=clean_name, job_type=job_type, cron_expr=cron, timezone=timezone, params=raw,
            misfire_policy=misfire_policy, misfire_grace_seconds=misfire_grace, active=not paused, clock=clock,
        )

    job = _call(action)
    if fmt == "json":
        print_json(job_json(job, with_next_runs=True))
        return EXIT_OK
    print_lines([text("sched.created", job_id=job.id, name=job.name)])
    _print_job(job)
    return EXIT_OK


def list_(*, fmt: Format = "table") -> int:
    """List cron jobs."""
    from contenthub_async.store import jobs as job_store

    async def action(db: Any, _clock: Any) -> list[Job]:
        async with db.read() as conn:
            return await job_store.list_jobs(conn)

    jobs = _call(action)
    if fmt == "json":
        print_json([job_json(job) for job in jobs])
        return EXIT_OK
    if not jobs:
        print_lines([text("sched.list_empty")])
        return EXIT_OK
    columns = [
        Column(text("sched.col.id"), right=True),
        Column(text("sched.col.name"), shrink=10, drop=1),
        Column(text("sched.col.type"), shrink=10, drop=3),
        Column(text("sched.col.cron")),
        Column(text("sched.col.timezone"), shrink=10, drop=4),
        Column(text("sched.col.state")),
        Column(text("sched.col.next_run"), drop=2),
        Column(text("sched.col.last_run"), drop=5),
    ]
    rows = [
        [
            (str(job.id), None),
            (job.name, None),
            (job.job_type, None),
            (job.cron, None),
            (_zone_label(job), None),
            (_state(job), None if job.is_active else "yellow"),
            (local_time(job.next_run_at if job.is_active else None), None),
            (local_time(job.last_run_at), None),
        ]
        for job in jobs
    ]
    print_table(columns, rows)
    return EXIT_OK


def show(job: JobRef, /, *, fmt: Format = "table") -> int:
    """Show a cron job."""
    async def action(db: Any, _clock: Any) -> Job:
        from contenthub_async.services.job_commands import find_job

        async with db.read() as conn:
            return await find_job(conn, job)

    found = _call(action)
    if fmt == "json":
        print_json(job_json(found, with_next_runs=True))
    else:
        _print_job(found)
    return EXIT_OK


Limit = Annotated[int, Parameter(name=["--limit", "-n"], converter=strict_int, help=text("help.opt.limit"))]


def history(job: JobRef, /, *, limit: Limit = 20, fmt: Format = "table") -> int:
    """Show the runs of a cron job, newest first."""
    check_limit(limit)

    async def action(db: Any, _clock: Any) -> list[JobRun]:
        from contenthub_async.services.job_commands import find_job
        from contenthub_async.store import jobs as job_store

        async with db.read() as conn:
            found = await find_job(conn, job)
            return await job_store.runs_of(conn, found.id, limit=limit)

    runs = _call(action)
    if fmt == "json":
        print_json([run_json(run) for run in runs])
    else:
        _print_runs(runs)
    return EXIT_OK


def executions(*, limit: Limit = 20, fmt: Format = "table") -> int:
    """Show the runs of every cron job, newest first (the phase-4 summary's executions view)."""
    check_limit(limit)

    async def action(db: Any, _clock: Any) -> tuple[list[JobRun], dict[int, Job]]:
        from contenthub_async.store import jobs as job_store

        async with db.read() as conn:
            runs = await job_store.recent_runs(conn, limit=limit)
            return runs, {job.id: job for job in await job_store.list_jobs(conn)}

    runs, jobs = _call(action)
    if fmt == "json":
        print_json([execution_json(run, jobs) for run in runs])
    else:
        _print_runs(runs, jobs)
    return EXIT_OK


RUN_STYLES = {"succeeded": "green", "failed": "red", "missed": "yellow", "pending": "cyan", "running": "blue"}


def _print_runs(runs: list[JobRun], jobs: dict[int, Job] | None = None) -> None:
    """The runs table; with ``jobs``, a column naming each run's job."""
    if not runs:
        print_lines([text("sched.history_empty")])
        return
    columns = [
        Column(text("sched.col.run_id"), right=True),
        *([Column(text("sched.col.job"), shrink=10)] if jobs is not None else []),
        Column(text("sched.col.scheduled_for")),
        Column(text("sched.col.trigger"), drop=2),
        Column(text("sched.col.status")),
        Column(text("sched.col.duration"), right=True, drop=3),
        Column(text("sched.col.counts"), right=True, drop=1),
        Column(text("sched.col.error"), shrink=16, fold=True),
    ]
    rows = []
    for run in runs:
        submitted, refused = run_counts(run)
        duration = run.duration_seconds
        job = jobs.get(run.job_id) if jobs is not None else None
        rows.append([
            (str(run.id), None),
            *([(f"{run.job_id} {job.name}" if job else str(run.job_id), None)] if jobs is not None else []),
            (local_time(run.scheduled_for), None),
            (_word("trigger", run.trigger), None),
            (_word("run", run.status), RUN_STYLES.get(run.status)),
            (text("sched.duration_value", seconds=duration) if duration is not None else text("word.none"), None),
            (f"{submitted}/{refused}" if submitted is not None else text("word.none"), None),
            (or_dash(run.error), None),
        ])
    print_table(columns, rows)


def _set_active(job: str, active: bool, fmt: str) -> int:
    async def action(db: Any, clock: Any) -> Job:
        from contenthub_async.services import job_commands

        return await job_commands.set_job_active(db, job, active, clock=clock)

    found = _call(action)
    if fmt == "json":
        print_json(job_json(found, with_next_runs=True))
    elif active:
        print_lines([text("sched.resumed", job_id=found.id, name=found.name, next_run=local_time(found.next_run_at))])
    else:
        print_lines([text("sched.paused", job_id=found.id, name=found.name)])
    return EXIT_OK


def pause(job: JobRef, /, *, fmt: Format = "table") -> int:
    """Pause a cron job."""
    return _set_active(job, False, fmt)


def resume(job: JobRef, /, *, fmt: Format = "table") -> int:
    """Resume a paused cron job."""
    return _set_active(job, True, fmt)


def trigger(job: JobRef, /, *, fmt: Format = "table") -> int:
    """Queue an immediate run of a cron job."""
    async def action(db: Any, clock: Any) -> tuple[Job, JobRun]:
        from contenthub_async.services import job_commands

        return await job_commands.trigger_job(db, job, clock=clock)

    found, run = _call(action)
    if fmt == "json":
        print_json(run_json(run))
    else:
        print_lines([text("sched.triggered", job_id=found.id, name=found.name, run_id=run.id)])
    return EXIT_OK


def delete(job: JobRef, /, *, fmt: Format = "table") -> int:
    """Delete a cron job and its run history."""
    async def action(db: Any, _clock: Any) -> Job:
        from contenthub_async.services import job_commands

        return await job_commands.delete_job(db, job)

    found = _call(action)
    if fmt == "json":
        print_json({"deleted": True, "job": job_json(found)})
    else:
        print_lines([text("sched.deleted", job_id=found.id, name=found.name)])
    return EXIT_OK


def update(
    job: JobRef,
    /,
    *,
    name: Annotated[str | None, Parameter(name="--name", allow_leading_hyphen=True, help=text("help.opt.job_name"))] = None,
    cron: Annotated[str | None, Parameter(name="--cron", allow_leading_hyphen=True, help=text("help.opt.cron"))] = None,
    params: Annotated[
        str | None, Parameter(name="--params", allow_leading_hyphen=True, help=text("help.opt.params"))
    ] = None,
    timezone: Annotated[str | None, Parameter(name="--timezone", help=text("help.opt.timezone"))] = None,
    misfire_policy: Annotated[
        Policy | None, Parameter(name="--misfire-policy", help=text("help.opt.misfire_policy"))
    ] = None,
    misfire_grace: Annotated[
        int | None, Parameter(name="--misfire-grace", converter=strict_int, help=text("help.opt.misfire_grace"))
    ] = None,
    fmt: Format = "table",
) -> int:
    """Change a cron job (a new cron or time zone reschedules it from now)."""
    from contenthub_async.services.job_commands import UNSET

    if all(v is None for v in (name, cron, params, timezone, misfire_policy, misfire_grace)):
        raise usage("error.nothing_to_update")
    if misfire_grace is not None and misfire_grace < 0:
        raise usage("error.bad_misfire_grace")
    if name is not None:
        name = _job_name(name)
    raw = _parse_params(params) if params is not None else UNSET

    async def action(db: Any, clock: Any) -> Job:
        from contenthub_async.services import job_commands

        return await job_commands.update_job(
            db, job, clock=clock, name=name, cron_expr=cron,
            timezone=timezone if timezone is not None else UNSET, params=raw,
            misfire_policy=misfire_policy, misfire_grace_seconds=misfire_grace,
        )

    found = _call(action)
    if fmt == "json":
        print_json(job_json(found, with_next_runs=True))
        return EXIT_OK
    print_lines([text("sched.updated", job_id=found.id, name=found.name)])
    _print_job(found)
    return EXIT_OK
