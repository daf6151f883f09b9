"""``monitor`` commands: metrics, recent, failed, pending, stats, health (all read-only except
the health check's write probe, which leaves nothing behind).

As in ``cli/tasks.py``, only the cyclopts signatures live at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter

from contenthub_async import json_objects
from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK, usage
from contenthub_async.cli.output import print_json
from contenthub_async.cli.params import Format, check_limit, strict_int
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Account, Task
    from contenthub_async.services.monitor_reports import Metrics, Stats

MAX_DAYS = 366

Limit = Annotated[int, Parameter(name="--limit", converter=strict_int, help=text("help.opt.limit"))]


def metrics(*, fmt: Format = "table") -> int:
    """Totals by status, success rate, completion times, queue depth, concurrency."""
    from contenthub_async.cli import monitor_views
    from contenthub_async.services.monitor_reports import load_metrics

    config = runtime.settings()

    async def load() -> Metrics:
        async with runtime.open_database() as db:
            return await load_metrics(db, now=runtime.clock().now(), max_concurrent=config.ASYNC_MAX_CONCURRENT_TASKS)

    report = runtime.run(load)
    if fmt == "json":
        print_json(json_objects.metrics_json(report))
    else:
        monitor_views.print_metrics(report)
    return EXIT_OK


def _show_tasks(
    tasks: list[Task], accounts: dict[int, Account], fmt: str, *, footer: str | None = None, show_error: bool = False
) -> None:
    from contenthub_async.cli import task_views
    from contenthub_async.json_objects import task_json

    if fmt == "json":
        print_json([task_json(t, accounts.get(t.account_id)) for t in tasks])
    else:
        task_views.print_task_table(tasks, accounts, footer=footer, show_error=show_error)


def _newest(statuses: list[str] | None, limit: int) -> tuple[list[Task], dict[int, Account]]:
    from contenthub_async.domain.states import TaskStatus
    from contenthub_async.services import task_queries

    async def load() -> tuple[list[Task], dict[int, Account]]:
        async with runtime.open_database() as db:
            chosen = [TaskStatus(s) for s in statuses] if statuses is not None else None
            return await task_queries.task_list(db, account_id=None, statuses=chosen, limit=limit)

    return runtime.run(load)


def recent(*, limit: Limit = 20, fmt: Format = "table") -> int:
    """The most recent tasks, newest first (same as ``list``)."""
    check_limit(limit)
    tasks, accounts = _newest(None, limit)
    _show_tasks(tasks, accounts, fmt)
    return EXIT_OK


def failed(*, limit: Limit = 20, fmt: Format = "table") -> int:
    """Failed and timed-out tasks, newest first, with their last error."""
    check_limit(limit)
    tasks, accounts = _newest(["failed", "timeout"], limit)
    _show_tasks(tasks, accounts, fmt, footer=text("monitor.failed.footer", count=len(tasks)), show_error=True)
    return EXIT_OK


def pending(*, limit: Limit = 20, fmt: Format = "table") -> int:
    """Pending tasks in the order the daemon claims them: priority, then submission."""
    check_limit(limit)
    from contenthub_async.store import accounts as account_store
    from contenthub_async.store import metrics as metrics_store

    async def load() -> tuple[list[Task], dict[int, Account]]:
        async with runtime.open_database() as db, db.read() as conn:
            tasks = await metrics_store.pending_in_queue_order(conn, limit=limit)
            return tasks, await account_store.get_accounts(conn, (t.account_id for t in tasks))

    tasks, accounts = runtime.run(load)
    _show_tasks(tasks, accounts, fmt, footer=text("monitor.pending.footer", count=len(tasks)))
    return EXIT_OK


def stats(
    *,
    days: Annotated[
        int, Parameter(name="--days", converter=strict_int, help=text("monitor.help.opt.days", high=MAX_DAYS))
    ] = 7,
    fmt: Format = "table",
) -> int:
    """Tasks per local calendar day (submitted, completed, failed, timed out) and the top failure reasons."""
    if not 1 <= days <= MAX_DAYS:
        raise usage("error.bad_days", high=MAX_DAYS, value=days)
    from contenthub_async.cli import monitor_views
    from contenthub_async.domain.zones import system_zone
    from contenthub_async.services.monitor_reports import load_stats

    async def load() -> Stats:
        async with runtime.open_database() as db:
            return await load_stats(db, now=runtime.clock().now(), days=days, zone=system_zone())

    report = runtime.run(load)
    if fmt == "json":
        print_json(json_objects.stats_json(report))
    else:
        monitor_views.print_stats(report)
    return EXIT_OK


def health(*, fmt: Format = "table") -> int:
    """Check the system; exit code 0 healthy, 1 degraded, 2 unhealthy (services/health.py)."""
    from contenthub_async.cli import monitor_views
    from contenthub_async.services.health import Health, check_health

    config = runtime.settings()

    async def check() -> Health:
        return await check_health(config, runtime.clock().now(), open_database=runtime.open_database,
                                  error_text=_error_text)

    report = runtime.run(check)
    if fmt == "json":
        print_json(json_objects.health_json(report))
    else:
        monitor_views.print_health(report)
    return report.exit_code


def _error_text(exc: BaseException) -> str:
    """Why the health check could not use the database; a bug keeps its traceback."""
    from contenthub_async.cli.errors import describe

    error = describe(exc)
    if error is None:
        raise exc
    return error.message()
