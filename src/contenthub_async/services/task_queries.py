"""What people read about tasks, each composed from store statements in one snapshot.

:func:`task_detail`, :func:`task_list` and :func:`daemon_running` use the store's prepared
statements only (``store/everyday.py``), so ``contenthub-ctl status`` and ``list`` run them on
either driver (``store/prepared.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contenthub_async.domain.entities import Account, Event, Task, claims_of
from contenthub_async.domain.states import TaskStatus
from contenthub_async.store import everyday
from contenthub_async.store.everyday import ContentState
from contenthub_async.store.prepared import PreparedDatabase


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    account: Account | None
    events: list[Event]
    content: ContentState | None

    @property
    def attempts(self) -> int:
        """Times a daemon claimed the task (pending → submitting), i.e. create calls started."""
        return claims_of(self.events)


async def task_detail(db: PreparedDatabase, task_id: str) -> TaskDetail | None:
    """The task, its account, its timeline and its content, from one snapshot."""
    async with db.read() as conn:
        task = await everyday.get_task(conn, task_id)
        if task is None:
            return None
        account = await everyday.get_account(conn, task.account_id)
        events = await everyday.task_events_of(conn, task.id)
        content = await everyday.content_state(conn, task.content_id) if task.content_id is not None else None
    return TaskDetail(task, account, events, content)


async def task_list(
    db: PreparedDatabase,
    *,
    account_id: int | None,
    statuses: Iterable[TaskStatus] | None,
    limit: int,
    before: str | None = None,
) -> tuple[list[Task], dict[int, Account]]:
    """Newest tasks first, with the accounts they belong to; ``before``: the page after that task."""
    async with db.read() as conn:
        tasks = await everyday.list_tasks(conn, account_id=account_id, statuses=statuses, limit=limit,
                                          before=before)
        found = await everyday.get_accounts(conn, (t.account_id for t in tasks))
    return tasks, found


async def daemon_running(db: PreparedDatabase, *, now: datetime, stale_after: float) -> bool:
    """Whether some daemon beat within ``stale_after`` seconds (so a queued task will be picked up)."""
    async with db.read() as conn:
        beat = await everyday.latest_heartbeat(conn)
    return beat is not None and (now - beat.at).total_seconds() <= stale_after
