"""Task commands: submit (also ``content generate``), status, list, cancel, retry (one or many).

Only the cyclopts signatures live at module level; everything heavy (SQLAlchemy, the
store, services, rich) is imported inside the command that needs it, so ``submit`` loads
just what it uses.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK, CliError, usage
from contenthub_async.cli.output import print_json, print_lines
from contenthub_async.cli.params import Format, check_limit, strict_int
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Account, Task

TaskId = Annotated[str, Parameter(help=text("help.opt.task_id"))]


def submit(
    *,
    account_id: Annotated[
        int, Parameter(name=["--account-id", "-a"], converter=strict_int, help=text("help.opt.account_id"))
    ],
    topic: Annotated[str, Parameter(name=["--topic", "-t"], allow_leading_hyphen=True, help=text("help.opt.topic"))],
    keywords: Annotated[
        str | None, Parameter(name=["--keywords", "-k"], allow_leading_hyphen=True, help=text("help.opt.keywords"))
    ] = None,
    category: Annotated[
        str | None,
        Parameter(name=["--category", "-c"], allow_leading_hyphen=True, help=text("help.opt.category")),
    ] = None,
    requirements: Annotated[
        str | None,
        Parameter(name=["--requirements", "-r"], allow_leading_hyphen=True, help=text("help.opt.requirements")),
    ] = None,
    tone: Annotated[str | None, Parameter(name="--tone", allow_leading_hyphen=True, help=text("help.opt.tone"))] = None,
    priority: Annotated[
        int, Parameter(name=["--priority", "-p"], converter=strict_int, help=text("help.opt.priority"))
    ] = 5,
    # A flag (the shell completes no value after it); None, the default, means ASYNC_AUTO_APPROVE.
    auto_approve: Annotated[
        bool | None,
        Parameter(
            name="--auto-approve",
            negative="--no-auto-approve",
            n_tokens=0,
            help=text("help.opt.auto_approve"),
        ),
    ] = None,
    max_retries: Annotated[
        int | None,
        Parameter(name="--max-retries", converter=strict_int, help=text("help.opt.max_retries")),
    ] = None,
    async_mode: Annotated[
        bool,
        Parameter(name="--async", negative="", help=text("help.opt.async")),
    ] = True,
    wait: Annotated[bool, Parameter(name="--wait", negative="", help=text("help.opt.wait"))] = False,
    callback_url: Annotated[
        str | None, Parameter(name="--callback-url", help=text("help.opt.callback_url"))
    ] = None,
    fmt: Format = "table",
) -> int:
    """Queue a content-generation task; the daemon picks it up. ``--wait``: see cli/wait.py."""
    from contenthub_async.domain.submission import validate_submission

    config = runtime.settings()
    new_task = validate_submission(
        account_id=account_id,
        topic=topic,
        keywords=keywords,
        category=category,
        requirements=requirements,
        tone=tone,
        priority=priority,
        max_retries=config.ASYNC_MAX_RETRIES if max_retries is None else max_retries,
        auto_approve=config.ASYNC_AUTO_APPROVE if auto_approve is None else auto_approve,
        source="cli",
        callback_url=callback_url,
    )

    async def insert() -> tuple[str, bool]:
        from contenthub_async.domain.liveness import STALE_AFTER_HEARTBEATS
        from contenthub_async.services.task_commands import submit_tasks
        from contenthub_async.services.task_queries import daemon_running

        async with runtime.open_database(prepared_only=True) as db:
            [task_id] = await submit_tasks(db, [new_task], clock=runtime.clock(), actor="cli")
            running = await daemon_running(db, now=runtime.clock().now(),
                                           stale_after=STALE_AFTER_HEARTBEATS * config.CONTENTHUB_HEARTBEAT_INTERVAL)
        return task_id, running

    task_id, daemon_is_running = runtime.run(insert)
    message = text("submit.done" if daemon_is_running else "submit.done_no_daemon")
    if wait:
        from contenthub_async.cli.wait import wait_for

        if fmt != "json":
            print_lines([task_id, message])
            sys.stdout.flush()
        return wait_for(task_id, fmt=fmt)
    if fmt == "json":
        from contenthub_async.json_objects import submitted_json

        print_json(
            submitted_json(task_id, "pending", message, account_id=new_task.account_id, priority=new_task.priority,
                           auto_approve=new_task.auto_approve, max_retries=new_task.max_retries)
        )
    else:
        print_lines([task_id, message])
    return EXIT_OK


def status(task_id: TaskId, /, *, fmt: Format = "table") -> int:
    """Show a task: its fields (times in local time) and its timeline."""
    from contenthub_async.cli import task_views
    from contenthub_async.services import task_queries

    async def load() -> task_queries.TaskDetail | None:
        async with runtime.open_database(prepared_only=True) as db:
            return await task_queries.task_detail(db, task_id)

    detail = runtime.run(load)
    if detail is None:
        raise CliError("error.task_not_found", task_id=task_id)
    if fmt == "json":
        from contenthub_async.json_objects import detail_json

        print_json(detail_json(detail))
    else:
        task_views.print_detail(detail)
    return EXIT_OK


def parse_statuses(value: str | None) -> list[str] | None:
    """``"failed,timeout"`` → ``["failed", "timeout"]``; an unknown word is a usage error."""
    from contenthub_async.domain.states import TaskStatus

    if value is None:
        return None
    known = [s.value for s in TaskStatus]
    chosen = [part.strip().lower() for part in value.split(",") if part.strip()]
    for word in chosen or [value]:
        if word not in known:
            raise usage("error.bad_status", value=word, choices=", ".join(known))
    return chosen


def complete_statuses(context: Any) -> list[str]:
    """Shell completion of ``--status``: the status words not typed yet, after those that are
    (``failed,ti`` → ``failed,timeout``)."""
    from contenthub_async.domain.states import TaskStatus

    typed, _, _ = context.incomplete.rpartition(",")
    chosen = set(typed.split(","))
    prefix = f"{typed}," if typed else ""
    return [prefix + status.value for status in TaskStatus if status.value not in chosen]


def list_(
    *,
    account_id: Annotated[
        int | None, Parameter(name=["--account-id", "-a"], converter=strict_int, help=text("help.opt.filter_account"))
    ] = None,
    status: Annotated[
        str | None,
        Parameter(name=["--status", "-s"], completer=complete_statuses, help=text("help.opt.filter_status")),
    ] = None,
    limit: Annotated[int, Parameter(name="--limit", converter=strict_int, help=text("help.opt.limit"))] = 20,
    fmt: Format = "table",
) -> int:
    """List tasks, newest first."""
    statuses = parse_statuses(status)
    check_limit(limit)

    from contenthub_async.cli import task_views
    from contenthub_async.domain.states import TaskStatus
    from contenthub_async.services import task_queries

    async def load() -> tuple[list[Task], dict[int, Account]]:
        async with runtime.open_database(prepared_only=True) as db:
            return await task_queries.task_list(
                db,
                account_id=account_id,
                statuses=[TaskStatus(s) for s in statuses] if statuses is not None else None,
                limit=limit,
            )

    tasks, accounts = runtime.run(load)
    if fmt == "json":
        from contenthub_async.json_objects import task_json

        print_json([task_json(t, accounts.get(t.account_id)) for t in tasks])
    else:
        task_views.print_task_table(tasks, accounts)
    return EXIT_OK


def cancel(task_id: TaskId, /, *, fmt: Format = "table") -> int:
    """Cancel a task: pending ones at once; ones at content-creator via the daemon."""
    from contenthub_async.services.task_commands import CancelOutcome, cancel_task
    from contenthub_async.texts.messages import status_word

    async def act() -> CancelOutcome:
        async with runtime.open_database(prepared_only=True) as db:
            return await cancel_task(db, task_id, clock=runtime.clock(), actor="cli")

    outcome = runtime.run(act)
    current = outcome.task.status.value
    message = text(f"cancel.{outcome.outcome}", task_id=task_id, status=status_word(current))
    if fmt == "json":
        from contenthub_async.json_objects import cancelled_json

        print_json(cancelled_json(task_id, outcome.outcome, current, message))
    else:
        print_lines([message])
    return EXIT_OK


def retry(
    task_id: Annotated[str | None, Parameter(help=text("help.opt.retry_task_id"))] = None,
    /,
    *,
    failed: Annotated[bool, Parameter(name="--failed", negative="", help=text("help.opt.retry_failed"))] = False,
    timeout: Annotated[bool, Parameter(name="--timeout", negative="", help=text("help.opt.retry_timeout"))] = False,
    cancelled: Annotated[
        bool, Parameter(name="--cancelled", negative="", help=text("help.opt.retry_cancelled"))
    ] = False,
    since: Annotated[str | None, Parameter(name="--since", help=text("help.opt.since"))] = None,
    fmt: Format = "table",
) -> int:
    """Send a failed, timed-out or cancelled task back to the queue; or, with --failed/--timeout/
    --cancelled and --since, every such task that finished within the window."""
    chosen = [name for name, flag in (("failed", failed), ("timeout", timeout), ("cancelled", cancelled)) if flag]
    if task_id is not None:
        if chosen or since is not None:
            raise usage("error.retry_id_and_bulk")
        return retry_one(task_id, fmt)
    if not chosen:
        raise usage("error.retry_nothing")
    if since is None:
        raise usage("error.retry_since_required")
    return retry_many(chosen, since, fmt)


def retry_one(task_id: str, fmt: str) -> int:
    from contenthub_async.services.task_commands import retry_task

    async def act() -> Task:
        async with runtime.open_database() as db:
            return await retry_task(db, task_id, clock=runtime.clock(), actor="cli")

    task = runtime.run(act)
    message = text("retry.done", task_id=task_id)
    if fmt == "json":
        from contenthub_async.json_objects import retried_json

        print_json(retried_json(task_id, task.status.value, message))
    else:
        print_lines([message])
    return EXIT_OK


def retry_many(statuses: list[str], since: str, fmt: str) -> int:
    """One transaction: every task in ``statuses`` that finished within ``since`` → pending."""
    from contenthub_async.domain.durations import parse_duration
    from contenthub_async.domain.states import TaskStatus
    from contenthub_async.services.task_commands import retry_finished_tasks
    from contenthub_async.texts.messages import status_word

    try:
        window = parse_duration(since)
    except ValueError:
        raise usage("error.bad_duration", value=since) from None

    async def act() -> list[str]:
        async with runtime.open_database() as db:
            return await retry_finished_tasks(
                db, [TaskStatus(s) for s in statuses], since=window, clock=runtime.clock(), actor="cli"
            )

    task_ids = runtime.run(act)
    words = text("retry.word_or").join(status_word(s) for s in statuses)
    if task_ids:
        message = text("retry.bulk_done", count=len(task_ids), statuses=words, since=since.strip())
    else:
        message = text("retry.bulk_none", statuses=words, since=since.strip())
    if fmt == "json":
        print_json({"retried": len(task_ids), "task_ids": task_ids, "statuses": statuses,
                    "since": since.strip(), "message": message})
    else:
        print_lines([message])
    return EXIT_OK
