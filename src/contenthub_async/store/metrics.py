"""Statements for monitoring: read-only aggregates over ``content_generation_tasks`` and
``daemons``, plus the write probe of the health check. Same results on SQLite and PostgreSQL.

Per-day statistics take the days as UTC intervals (:class:`~contenthub_async.domain.zones.CalendarDay`,
cut at the operator's local midnights) and bucket rows with one ``CASE`` over those bounds, so
any zone's days, DST included, group in SQL the same way on SQLite and PostgreSQL, and no
statement depends on the server's time zone.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, select

from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.zones import CalendarDay
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of
from contenthub_async.store.tables import content_generation_tasks as tasks_table
from contenthub_async.store.tables import daemons, leases
from contenthub_async.store.tasks import TASK_COLUMNS, task_from_row

S = TaskStatus
T = tasks_table.c
D = daemons.c

#: The outcomes a success rate is computed over (cancellations are an operator's choice, not a result).
FINISHED = (S.COMPLETED, S.FAILED, S.TIMEOUT)
#: Outcomes that count as failures in statistics.
FAILURES = (S.FAILED, S.TIMEOUT)
#: How many of the most recently completed tasks completion-time statistics look at.
COMPLETION_SAMPLE = 10_000


def _values(statuses: Iterable[TaskStatus]) -> list[str]:
    return [s.value for s in statuses]


def day_of(column: Any, days: Sequence[CalendarDay]) -> ColumnElement[str]:
    """The label (``YYYY-MM-DD``) of the day among ``days`` (contiguous, oldest first) that a
    timestamp falls in; NULL before the first and after the last."""
    return case(
        *((column < day.end, day.label) for day in days),
        else_=None,
    )


def _within(column: Any, days: Sequence[CalendarDay]) -> ColumnElement[bool]:
    return (column >= days[0].start) & (column < days[-1].end)


# ---------------------------------------------------------------- metrics


async def completion_durations(conn: Connection, *, limit: int = COMPLETION_SAMPLE) -> list[float]:
    """Seconds from submission (``created_at``) to result (``completed_at``) of the ``limit`` most
    recently completed tasks, newest first.

    A bounded sample rather than a SQL aggregate: percentiles need the values, PostgreSQL's
    ``percentile_cont`` has no SQLite counterpart, and date arithmetic on SQLite's ISO text
    would differ per backend. The newest completions are what an operator watches, and the
    ``completed_at`` index makes reading them cheap however large the table grows.
    """
    query = (
        select(T.created_at, T.completed_at)
        .where(T.status == S.COMPLETED.value, T.completed_at.is_not(None))
        .order_by(T.completed_at.desc())
        .limit(limit)
    )
    rows = (await conn.execute(query)).all()
    return [(done - created).total_seconds() for created, done in rows]


async def pending_by_priority(conn: Connection) -> dict[int, int]:
    """Pending tasks per priority (including those waiting out a retry backoff)."""
    query = (
        select(T.priority, func.count())
        .where(T.status == S.PENDING.value)
        .group_by(T.priority)
        .order_by(T.priority.desc())
    )
    return {priority: count for priority, count in (await conn.execute(query)).all()}


@dataclass(frozen=True)
class OldestPending:
    task_id: str
    created_at: datetime


async def oldest_pending(conn: Connection) -> OldestPending | None:
    """The pending task submitted first (by ``created_at``), or None when the queue is empty."""
    query = (
        select(T.task_id, T.created_at)
        .where(T.status == S.PENDING.value)
        .order_by(T.created_at, T.id)
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return OldestPending(row.task_id, row.created_at) if row else None


async def pending_in_queue_order(conn: Connection, *, limit: int) -> list[Task]:
    """Pending tasks in the order the dispatcher claims them: priority descending, then FIFO."""
    query = select(*TASK_COLUMNS).where(T.status == S.PENDING.value).order_by(T.priority.desc(), T.id).limit(limit)
    return [task_from_row(r) for r in (await conn.execute(query)).all()]


# ---------------------------------------------------------------- statistics per day


async def submitted_per_day(conn: Connection, *, days: Sequence[CalendarDay]) -> dict[str, int]:
    """Day label → tasks created on that day."""
    bucketed = select(day_of(T.created_at, days).label("day")).where(_within(T.created_at, days)).subquery()
    query = select(bucketed.c.day, func.count()).group_by(bucketed.c.day)
    return {d: count for d, count in (await conn.execute(query)).all()}


async def finished_per_day(conn: Connection, *, days: Sequence[CalendarDay]) -> dict[tuple[str, str], int]:
    """(day label, status) → completed, failed and timed-out tasks whose ``completed_at`` is on
    that day. Counts follow each task's current status (a failed task retried by an operator no
    longer counts as failed)."""
    bucketed = (
        select(day_of(T.completed_at, days).label("day"), T.status)
        .where(T.status.in_(_values(FINISHED)), _within(T.completed_at, days))
        .subquery()
    )
    query = select(bucketed.c.day, bucketed.c.status, func.count()).group_by(bucketed.c.day, bucketed.c.status)
    return {(d, status): count for d, status, count in (await conn.execute(query)).all()}


async def finished_per_hour(
    conn: Connection, *, since: datetime, until: datetime | None = None
) -> dict[tuple[str, str], int]:
    """(UTC hour ``YYYY-MM-DDTHH``, status) → completed, failed and timed-out tasks whose
    ``completed_at`` is in that hour, from ``since`` on (before ``until`` when given); read from the
    index ``ix_tasks_status_completed`` alone (a range per status)."""
    hour = dialect_of(conn).hour_label(T.completed_at).label("hour")
    window = [T.completed_at >= since] + ([T.completed_at < until] if until is not None else [])
    bucketed = select(hour, T.status).where(*window, T.status.in_(_values(FINISHED))).subquery()
    query = select(bucketed.c.hour, bucketed.c.status, func.count()).group_by(bucketed.c.hour, bucketed.c.status)
    return {(h, status): count for h, status, count in (await conn.execute(query)).all()}


async def due_pending(conn: Connection, *, now: datetime) -> int:
    """Pending tasks whose ``run_after`` has come: what the dispatcher would claim now."""
    query = select(func.count()).where(T.status == S.PENDING.value, T.run_after <= now)
    return int((await conn.execute(query)).scalar_one())


@dataclass(frozen=True)
class FailureReason:
    message: str | None
    count: int
    note: Note | None = None  # the message as a code, for rendering in the reader's language


async def failure_reasons(conn: Connection, *, since: datetime, limit: int) -> list[FailureReason]:
    """The most frequent ``error_message`` values of tasks that ended failed or timed out from
    ``since`` on, most frequent first (ties: alphabetical, no message last), at most ``limit``."""
    count = func.count().label("n")
    query = (
        select(T.error_message, count, func.max(T.error_code).label("code"), func.max(T.error_params).label("params"))
        .where(T.status.in_(_values(FAILURES)), T.completed_at >= since)
        .group_by(T.error_message)
        .order_by(count.desc(), T.error_message.asc().nulls_last())
        .limit(limit)
    )
    return [
        FailureReason(row.error_message, row.n, Note.from_columns(row.code, row.params))
        for row in (await conn.execute(query)).all()
    ]


# ---------------------------------------------------------------- health


async def due_pending_count(conn: Connection, *, now: datetime) -> int:
    """Pending tasks whose ``run_after`` has come: what a processing daemon would claim now."""
    query = select(func.count()).where(T.status == S.PENDING.value, T.run_after <= now)
    return int((await conn.execute(query)).scalar_one())


async def stuck_tasks(conn: Connection, *, deadline_before: datetime, limit: int) -> tuple[int, list[str]]:
    """Tasks at content-creator (``submitted``/``processing``) whose ``timeout_at`` is before
    ``deadline_before``: how many, and the task ids of the ``limit`` most overdue."""
    overdue = [T.status.in_(_values((S.SUBMITTED, S.PROCESSING))), T.timeout_at < deadline_before]
    total = int((await conn.execute(select(func.count()).where(*overdue))).scalar_one())
    ids = (await conn.execute(select(T.task_id).where(*overdue).order_by(T.timeout_at, T.id).limit(limit))).scalars()
    return total, list(ids)


async def finished_since(conn: Connection, *, since: datetime) -> dict[str, int]:
    """Status → tasks that finished (completed, failed, timed out) from ``since`` on."""
    query = (
        select(T.status, func.count())
        .where(T.status.in_(_values(FINISHED)), T.completed_at >= since)
        .group_by(T.status)
    )
    return {status: count for status, count in (await conn.execute(query)).all()}


PROBE_LEASE_PREFIX = "health-probe:"


async def write_probe(conn: Connection, *, now: datetime) -> None:
    """Insert and delete a row of ``leases`` in the caller's write transaction: fails when the
    database is read-only, leaves nothing behind when it is not."""
    name = PROBE_LEASE_PREFIX + secrets.token_hex(6)
    await conn.execute(insert(leases).values(name=name, owner="contenthub-ctl", acquired_at=now,
                                             expires_at=now + timedelta(seconds=1)))
    await conn.execute(delete(leases).where(leases.c.name == name))
