"""What people read about tasks, each composed from store statements in one snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contenthub_async.domain.entities import Account, Event, Task, claims_of
from contenthub_async.domain.states import TaskStatus
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.contents import ContentState
from contenthub_async.store.database import Database


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


async def task_detail(db: Database, task_id: str) -> TaskDetail | None:
    """The task, its account, its timeline and its content, from one snapshot."""
    async with db.read() as conn:
        task = await task_store.get_task(conn, task_id)
        if task is None:
            return None
        account = await account_store.get_account(conn, task.account_id)
        events = await task_store.task_events_of(conn, task.id)
        content = await content_store.content_state(conn, task.content_id) if task.content_id is not None else None
    return TaskDetail(task, account, events, content)


async def task_list(
    db: Database,
    *,
    account_id: int | None,
    statuses: Iterable[TaskStatus] | None,
    limit: int,
    before: str | None = None,
) -> tuple[list[Task], dict[int, Account]]:
    """Newest tasks first, with the accounts they belong to; ``before``: the page after that task."""
    async with db.read() as conn:
        tasks = await task_store.list_tasks(conn, account_id=account_id, statuses=statuses, limit=limit,
                                            before=before)
        found = await account_store.get_accounts(conn, (t.account_id for t in tasks))
    return tasks, found
