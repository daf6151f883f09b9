"""Statements that delete old finished tasks and their events (never their articles).

A finished task (completed, failed, timeout, cancelled) is old when it finished before a
cutoff. Deleting it removes its ``task_events``; its ``contents`` row stays and is detached
(``generation_task_id`` set to NULL, what the foreign key's ``ON DELETE SET NULL`` would do),
so articles and their publish-pool entries are never lost. Tasks in flight or pending are
never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from contenthub_async.domain.states import TERMINAL
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of
from contenthub_async.store.tables import content_generation_tasks as tasks_table
from contenthub_async.store.tables import contents, task_events

T = tasks_table.c


@dataclass(frozen=True)
class FinishedTasks:
    """What deleting the finished tasks older than a cutoff removes (or removed)."""

    tasks_by_status: dict[str, int]
    events: int
    #: articles of these tasks: kept, detached from the deleted task
    contents: int

    @property
    def tasks(self) -> int:
        return sum(self.tasks_by_status.values())


def _old(cutoff: datetime) -> Any:
    return (T.status.in_(sorted(s.value for s in TERMINAL))) & (T.completed_at < cutoff)


def _old_ids(cutoff: datetime) -> Any:
    return select(T.id).where(_old(cutoff)).scalar_subquery()


async def count_finished_before(conn: Connection, cutoff: datetime) -> FinishedTasks:
    """What :func:`delete_finished_before` would delete now."""
    by_status = (await conn.execute(select(T.status, func.count()).where(_old(cutoff)).group_by(T.status))).all()
    events = await conn.execute(
        select(func.count()).select_from(task_events).where(task_events.c.generation_task_id.in_(_old_ids(cutoff)))
    )
    articles = await conn.execute(
        select(func.count()).select_from(contents).where(contents.c.generation_task_id.in_(_old_ids(cutoff)))
    )
    return FinishedTasks(
        tasks_by_status={status: count for status, count in by_status},
        events=int(events.scalar_one()),
        contents=int(articles.scalar_one()),
    )


async def delete_finished_before(conn: Connection, cutoff: datetime) -> FinishedTasks:
    """Delete the finished tasks older than ``cutoff`` with their events, detach their articles.

    Run in one write transaction. On PostgreSQL the tasks are locked first, so a concurrent
    manual retry either happens before (the task is no longer finished: kept) or waits.
    """
    await dialect_of(conn).lock_rows(conn, select(T.id).where(_old(cutoff)))
    counted = await count_finished_before(conn, cutoff)
    detached = await conn.execute(
        update(contents).where(contents.c.generation_task_id.in_(_old_ids(cutoff))).values(generation_task_id=None)
    )
    events = await conn.execute(delete(task_events).where(task_events.c.generation_task_id.in_(_old_ids(cutoff))))
    await conn.execute(delete(tasks_table).where(_old(cutoff)))
    return FinishedTasks(counted.tasks_by_status, events=events.rowcount, contents=detached.rowcount)


async def delete_events_of_finished_before(conn: Connection, cutoff: datetime) -> int:
    """Delete events older than ``cutoff`` of finished tasks that are kept; return how many."""
    finished_ids = select(T.id).where(T.status.in_(sorted(s.value for s in TERMINAL))).scalar_subquery()
    deleted = await conn.execute(
        delete(task_events).where(task_events.c.at < cutoff, task_events.c.generation_task_id.in_(finished_ids))
    )
    return deleted.rowcount
