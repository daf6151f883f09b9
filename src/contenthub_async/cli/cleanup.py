"""``cleanup --days N [--yes]``: delete finished tasks older than N days and their events.

Asks before deleting unless ``--yes``; refuses (exit 2, nothing deleted) when it cannot ask
because stdin is not a terminal. Articles of the deleted tasks are kept.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_FAILED, EXIT_OK, usage
from contenthub_async.cli.output import local_time, print_json, print_lines, utc_iso
from contenthub_async.cli.params import Format, strict_int
from contenthub_async.texts.messages import status_word, text

if TYPE_CHECKING:
    from contenthub_async.store.retention import FinishedTasks

MAX_DAYS = 36_500
_YES = ("y", "yes", "是")


def cleanup(
    *,
    days: Annotated[int, Parameter(name="--days", converter=strict_int, help=text("help.opt.days"))],
    yes: Annotated[bool, Parameter(name=["--yes", "-y"], negative="", help=text("help.opt.yes"))] = False,
    fmt: Format = "table",
) -> int:
    """Delete finished tasks older than N days and their events (articles are kept)."""
    if not 1 <= days <= MAX_DAYS:
        raise usage("error.bad_days", high=MAX_DAYS, value=days)
    from contenthub_async.services.retention import clean_up, cutoff_for, preview_cleanup

    async def act() -> tuple[FinishedTasks | None, datetime]:
        async with runtime.open_database() as db:
            cutoff = cutoff_for(days, runtime.clock())
            if not yes:
                preview = await preview_cleanup(db, cutoff)
                if preview.tasks == 0:
                    return preview, cutoff
                if not sys.stdin.isatty():
                    raise usage("error.cleanup_needs_yes", tasks=preview.tasks)
                sys.stderr.write(describe("cleanup.preview", preview, days, cutoff) + "\n")
                sys.stderr.write(text("cleanup.confirm"))
                sys.stderr.flush()
                if sys.stdin.readline().strip().lower() not in _YES:
                    return None, cutoff
            return await clean_up(db, cutoff), cutoff

    deleted, cutoff = runtime.run(act)
    if deleted is None:
        print_lines([text("cleanup.aborted")], file=sys.stderr)
        return EXIT_FAILED
    key = "cleanup.done" if deleted.tasks else "cleanup.nothing"
    message = describe(key, deleted, days, cutoff)
    if fmt == "json":
        print_json(result_json(deleted, days, cutoff, message))
    else:
        print_lines([message])
    return EXIT_OK


def describe(key: str, counts: FinishedTasks, days: int, cutoff: datetime) -> str:
    by_status = text("cleanup.separator").join(
        text("cleanup.count", status=status_word(status), count=count)
        for status, count in sorted(counts.tasks_by_status.items())
    )
    return text(key, tasks=counts.tasks, days=days, cutoff=local_time(cutoff), by_status=by_status,
                events=counts.events, contents=counts.contents)


def result_json(deleted: FinishedTasks, days: int, cutoff: datetime, message: str) -> dict[str, Any]:
    return {
        "days": days,
        "cutoff": utc_iso(cutoff),
        "deleted_tasks": deleted.tasks,
        "deleted_by_status": dict(sorted(deleted.tasks_by_status.items())),
        "deleted_events": deleted.events,
        "kept_contents": deleted.contents,
        "message": message,
    }
