"""``submit --wait``: follow one task in the database until it reaches a final state.

The table is the interface: every :data:`POLL_SECONDS` one read of the task's row (by its
unique ``task_id``); only when that row changed are the task's new ``task_events`` read, so
every state the task went through is shown even if it passed through it between two polls.

Display: a progress bar on a terminal, one line per event otherwise; with ``--format json``
stdout gets only the final task object (the ``status --format json`` shape) and the bar, if
any, goes to stderr. Ctrl-C stops waiting, never the task.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, TextIO

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_FAILED, EXIT_OK, CliError
from contenthub_async.cli.output import or_dash, print_json, print_lines, print_note
from contenthub_async.cli.task_views import event_line, status_text, stored_word_text
from contenthub_async.json_objects import detail_json
from contenthub_async.texts.messages import note_text, text

if TYPE_CHECKING:
    from datetime import datetime

    from rich.progress import Progress, TaskID

    from contenthub_async.domain.entities import Event, Task
    from contenthub_async.services.task_queries import TaskDetail
    from contenthub_async.store.database import Database

POLL_SECONDS = 0.5
EXIT_INTERRUPTED = runtime.EXIT_INTERRUPTED


class Display(AbstractContextManager["Display"]):
    """Shows what the poller sees; this base shows nothing."""

    def show(self, task: Task, events: list[Event]) -> None:
        """``task`` as just read, with its events since the previous call."""

    def __exit__(self, *exc: object) -> None:
        return None


class Lines(Display):
    """One line per event, flushed at once (for pipes and logs)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def show(self, task: Task, events: list[Event]) -> None:
        if events:
            print_lines((event_line(e) for e in events), file=self.stream)
            self.stream.flush()


class Bar(Display):
    """A rich progress bar labelled with the status; events are printed above it."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.progress: Progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream, highlight=False),
        )
        self.bar: TaskID | None = None

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def show(self, task: Task, events: list[Event]) -> None:
        for event in events:
            self.progress.console.print(event_line(event), markup=False, highlight=False)
        description = status_text(task.status.value)
        if self.bar is None:
            self.bar = self.progress.add_task(description, total=100, completed=task.progress)
        else:
            self.progress.update(self.bar, description=description, completed=task.progress)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def choose_display(fmt: str) -> Display:
    """Bar on a terminal, lines on a pipe; JSON keeps stdout for the result (bar on a stderr terminal)."""
    if fmt == "json":
        return Bar(sys.stderr) if sys.stderr.isatty() else Display()
    return Bar(sys.stdout) if sys.stdout.isatty() else Lines(sys.stdout)


async def follow(db: Database, task_id: str, display: Display) -> None:
    """Poll until the task is in a final state."""
    from contenthub_async.domain.states import TERMINAL
    from contenthub_async.store import tasks as task_store

    seen_event = 0
    seen_update: datetime | None = None
    while True:
        async with db.read() as conn:
            task = await task_store.get_task(conn, task_id)
            if task is None:
                raise CliError("error.task_not_found", task_id=task_id)
            events: list[Event] = []
            if task.updated_at != seen_update:
                events = await task_store.task_events_of(conn, task.id, after=seen_event)
                seen_update = task.updated_at
        if events:
            seen_event = events[-1].id
        display.show(task, events)
        if task.status in TERMINAL:
            return
        await asyncio.sleep(POLL_SECONDS)


def outcome_line(detail: TaskDetail) -> str:
    """The last human line: how the task ended."""
    task = detail.task
    status = task.status.value
    if status == "completed":
        content = detail.content
        return text(
            "wait.completed",
            task_id=task.task_id,
            content_id=or_dash(task.content_id),
            review=stored_word_text("review", content.review_status) if content else or_dash(None),
            publish=stored_word_text("publish", content.publish_status) if content else or_dash(None),
        )
    if status in ("failed", "timeout"):
        return text(f"wait.{status}", task_id=task.task_id, error=or_dash(note_text(task.error_note, task.error_message)))
    return text("wait.cancelled", task_id=task.task_id)


def wait_for(task_id: str, *, fmt: str) -> int:
    """Follow ``task_id`` to its end and report it. Exit code: 0 completed; 1 failed, timeout or
    cancelled; 130 when interrupted (the task is left as it is)."""
    from contenthub_async.services import task_queries

    async def main() -> TaskDetail | None:
        async with runtime.open_database() as db:
            with choose_display(fmt) as display:
                await follow(db, task_id, display)
            return await task_queries.task_detail(db, task_id)

    try:
        detail = runtime.run(main, on_interrupt=lambda: print_note("wait.interrupted", task_id=task_id))
    except runtime.Interrupted:
        return EXIT_INTERRUPTED
    if detail is None:
        raise CliError("error.task_not_found", task_id=task_id)
    if fmt == "json":
        print_json(detail_json(detail))
    else:
        print_lines([outcome_line(detail)])
    return EXIT_OK if detail.task.status.value == "completed" else EXIT_FAILED
