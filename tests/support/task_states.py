"""Tasks in any status at chosen times, built through the store's own statements (insert, then
the guarded transitions a daemon would make), for tests that read aggregates."""

from __future__ import annotations

from datetime import datetime, timedelta

from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.store import tasks as task_store
from contenthub_async.store.connection import Connection

S = TaskStatus
ACTOR = "test-daemon"


async def _move(conn: Connection, task: Task, to: TaskStatus, at: datetime, **values: object) -> Task:
    moved = await task_store.transition(conn, task, to, now=at, actor=ACTOR, values=dict(values),
                                        lease_owner=task.lease_owner)
    assert moved is not None, (task.task_id, task.status, to)
    return moved


async def place_task(
    conn: Connection,
    *,
    account_id: int,
    status: TaskStatus,
    created: datetime,
    finished: datetime | None = None,
    priority: int = 5,
    error: str | None = None,
    timeout_at: datetime | None = None,
    topic: str = "topic",
) -> Task:
    """A task created at ``created`` and moved to ``status``; final statuses end at ``finished``."""
    [task_id] = await task_store.insert_tasks(
        conn, [NewTask(account_id=account_id, topic=topic, priority=priority)], now=created, actor="cli")
    task = await task_store.get_task(conn, task_id)
    assert task is not None
    if status == S.PENDING:
        return task
    if status == S.CANCELLED:
        return await _move(conn, task, S.CANCELLED, finished or created, completed_at=finished or created)
    step = created + timedelta(milliseconds=1)
    task = await _move(conn, task, S.SUBMITTING, step, lease_owner=ACTOR, lease_expires_at=step + timedelta(minutes=5))
    if status == S.SUBMITTING:
        return task
    task = await _move(conn, task, S.SUBMITTED, step, creator_task_id=f"creator-{task_id}", submitted_at=step,
                       timeout_at=timeout_at or step + timedelta(minutes=30))
    if status == S.SUBMITTED:
        return task
    task = await _move(conn, task, S.PROCESSING, step, started_at=step)
    if status == S.PROCESSING:
        return task
    assert finished is not None, "a finished task needs its finishing time"
    return await _move(conn, task, status, finished, completed_at=finished, error_message=error)
