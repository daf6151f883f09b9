"""What the web console shows, each page read from one snapshot of store statements.

The console's actions are not here: they are the commands of ``task_commands`` and
``job_commands``, the same ones ``contenthub-ctl`` runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contenthub_async.domain.entities import Account, Job, JobRun, PoolEntry, Task
from contenthub_async.domain.states import IN_FLIGHT, TaskStatus
from contenthub_async.services import task_queries
from contenthub_async.services.task_queries import TaskDetail
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store import metrics as metrics_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.connection import Connection
from contenthub_async.store.daemons import DaemonRow
from contenthub_async.store.database import Database
from contenthub_async.store.metrics import FailureReason

S = TaskStatus
RECENT_TASKS = 20
FAILURE_REASONS = 8
NEXT_FIRINGS = 5
DAEMONS_SHOWN = 20
#: Stopped daemons stay on the overview this long after their last heartbeat.
STOPPED_DAEMONS_SHOWN_FOR = timedelta(hours=24)
PAGE_SIZE = 50


@dataclass(frozen=True)
class HourBucket:
    """Tasks that finished within one UTC hour."""

    start: datetime
    completed: int
    failed: int  # failed or timed out

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.completed / self.finished if self.finished else None


def success_rate(buckets: Iterable[HourBucket]) -> float | None:
    """completed / (completed + failed + timeout) over ``buckets``; None when nothing finished."""
    completed = failed = 0
    for bucket in buckets:
        completed += bucket.completed
        failed += bucket.failed
    return completed / (completed + failed) if completed + failed else None


def hour_buckets(counts: dict[tuple[str, str], int], *, now: datetime, hours: int) -> list[HourBucket]:
    """The last ``hours`` UTC hours up to ``now`` (the current one included), oldest first."""
    current = now.replace(minute=0, second=0, microsecond=0)
    buckets = []
    for back in range(hours - 1, -1, -1):
        start = current - timedelta(hours=back)
        label = start.strftime("%Y-%m-%dT%H")
        buckets.append(
            HourBucket(
                start=start,
                completed=counts.get((label, S.COMPLETED.value), 0),
                failed=counts.get((label, S.FAILED.value), 0) + counts.get((label, S.TIMEOUT.value), 0),
            )
        )
    return buckets


class FinishedHours:
    """The per-hour counts of finished tasks behind the overview's charts, for one process.

    Hours that have closed are read at most every ``refresh_seconds`` (and when a new hour
    starts); the current hour on every call. The week's series is the overview's most expensive
    read, and a closed hour changes only when an operator retries one of its failures, which the
    charts then show within ``refresh_seconds``.
    """

    def __init__(self, refresh_seconds: float = 60.0) -> None:
        self.refresh = timedelta(seconds=refresh_seconds)
        self._closed: dict[tuple[str, str], int] = {}
        self._hour: datetime | None = None
        self._read_at: datetime | None = None

    async def counts(self, conn: Connection, *, now: datetime) -> dict[tuple[str, str], int]:
        current = now.replace(minute=0, second=0, microsecond=0)
        stale = self._read_at is None or now - self._read_at >= self.refresh or now < self._read_at
        if self._hour != current or stale:
            self._closed = await metrics_store.finished_per_hour(conn, since=current - WEEK_HOURS + HOUR, until=current)
            self._hour, self._read_at = current, now
        return {**self._closed, **await metrics_store.finished_per_hour(conn, since=current)}


HOUR = timedelta(hours=1)
WEEK_HOURS = timedelta(hours=168)


class StatusCounts:
    """Tasks by status for one process, without counting the table on every call.

    Counting every task reads the whole table (an index of it at best): at 100 000 tasks that
    is the overview's most expensive read. Instead the counts are taken in full at most every
    ``recount_seconds`` with the last ``task_events`` id of the same snapshot, and each call adds
    the status changes of the events written since (a range of that table's primary key): every
    status change of a task writes exactly one event, its creation one from no status. A full
    count is taken again sooner when more than ``max_changes`` events were written since.

    What events do not show — tasks deleted (retention, ``cleanup``), and on PostgreSQL a change
    that committed after the full count although its event id is lower — is corrected by the next
    full count, within ``recount_seconds``.
    """

    def __init__(self, recount_seconds: float = 60.0, max_changes: int = 5000) -> None:
        self.recount = timedelta(seconds=recount_seconds)
        self.max_changes = max_changes
        self._base: dict[str, int] = {}
        self._event_id = 0
        self._read_at: datetime | None = None

    async def counts(self, conn: Connection, *, now: datetime) -> dict[str, int]:
        base, mark, read_at = self._base, self._event_id, self._read_at  # as of now: calls interleave
        last = await task_store.last_event_id(conn)
        stale = read_at is None or now - read_at >= self.recount or now < read_at
        if stale or last < mark or last - mark > self.max_changes:
            full = await task_store.count_by_status(conn)  # the same snapshot as ``last``
            self._base, self._event_id, self._read_at = full, last, now
            return dict(full)
        counts = dict(base)
        changes = await task_store.status_changes_since(conn, mark) if last > mark else []
        for before, after, n in changes:
            if before is not None:
                counts[before] = counts.get(before, 0) - n
            counts[after] = counts.get(after, 0) + n
        return {status: max(n, 0) for status, n in counts.items()}


@dataclass(frozen=True)
class Overview:
    generated_at: datetime
    by_status: dict[str, int]  # every status, zeros included
    due: int  # pending and due now
    in_flight: int
    max_concurrent: int
    last_day: list[HourBucket]  # 24 hours
    last_week: list[HourBucket]  # 168 hours
    failure_reasons: list[FailureReason]  # of the last 7 days
    daemons: list[DaemonRow]
    next_firings: list[Job]
    recent: list[Task]
    accounts: dict[int, Account]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


async def overview(
    db: Database, *, now: datetime, max_concurrent: int, hours: FinishedHours | None = None,
    statuses: StatusCounts | None = None,
) -> Overview:
    """The overview as of ``now``; ``hours`` and ``statuses``: the process's :class:`FinishedHours`
    and :class:`StatusCounts` (None: read everything now)."""
    week_start = now.replace(minute=0, second=0, microsecond=0) - WEEK_HOURS + HOUR
    async with db.read() as conn:
        counts = await (statuses or StatusCounts(recount_seconds=0)).counts(conn, now=now)
        due = await metrics_store.due_pending(conn, now=now)
        per_hour = await (hours or FinishedHours(refresh_seconds=0)).counts(conn, now=now)
        reasons = await metrics_store.failure_reasons(conn, since=week_start, limit=FAILURE_REASONS)
        daemons = await daemon_store.recent_daemons(
            conn, stopped_since=now - STOPPED_DAEMONS_SHOWN_FOR, limit=DAEMONS_SHOWN
        )
        firings = await job_store.next_firings(conn, limit=NEXT_FIRINGS)
        recent = await task_store.list_tasks(conn, limit=RECENT_TASKS)
        accounts = await account_store.get_accounts(conn, (t.account_id for t in recent))
    return Overview(
        generated_at=now,
        by_status={s.value: counts.get(s.value, 0) for s in TaskStatus},
        due=due,
        in_flight=sum(counts.get(s.value, 0) for s in IN_FLIGHT),  # what task_store.count_in_flight counts
        max_concurrent=max_concurrent,
        last_day=hour_buckets(per_hour, now=now, hours=24),
        last_week=hour_buckets(per_hour, now=now, hours=168),
        failure_reasons=reasons,
        daemons=daemons,
        next_firings=firings,
        recent=recent,
        accounts=accounts,
    )


@dataclass(frozen=True)
class TaskQuery:
    """The filters, order and position of the tasks page."""

    statuses: frozenset[TaskStatus] | None = None
    account_id: int | None = None
    text: str | None = None
    oldest_first: bool = False
    after: int | None = None  # id of the last task of the previous page


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    accounts: dict[int, Account]  # every account, for the filter and the rows
    next_after: int | None  # the cursor of the next page; None on the last page


async def browse(db: Database, query: TaskQuery, *, page_size: int = PAGE_SIZE) -> TaskPage:
    async with db.read() as conn:
        rows = await task_store.browse_tasks(
            conn, statuses=query.statuses, account_id=query.account_id, text=query.text,
            oldest_first=query.oldest_first, after=query.after, limit=page_size + 1,
        )
        accounts = {a.id: a for a in await account_store.list_accounts(conn)}
    more = len(rows) > page_size
    tasks = rows[:page_size]
    return TaskPage(tasks, accounts, tasks[-1].id if more else None)


@dataclass(frozen=True)
class TaskView:
    detail: TaskDetail
    article: dict[str, Any] | None  # the ``contents`` row, body included
    pool_entry: PoolEntry | None


async def task_view(db: Database, task_id: str) -> TaskView | None:
    """The task's detail (as ``contenthub-ctl status`` reads it) plus its article and pool entry."""
    detail = await task_queries.task_detail(db, task_id)
    if detail is None:
        return None
    article = pool_entry = None
    if detail.task.content_id is not None:
        async with db.read() as conn:
            article = await content_store.get_content(conn, detail.task.content_id)
            pool_entry = await pool_store.entry_of_content(conn, detail.task.content_id)
    return TaskView(detail, article, pool_entry)


@dataclass(frozen=True)
class SchedulerView:
    jobs: list[Job]
    runs: list[JobRun]  # newest first, of every job
    job_names: dict[int, str]


async def scheduler_view(db: Database, *, runs: int = 50) -> SchedulerView:
    async with db.read() as conn:
        jobs = await job_store.list_jobs(conn)
        recent = await job_store.recent_runs(conn, limit=runs)
    return SchedulerView(jobs, recent, {j.id: j.name for j in jobs})
