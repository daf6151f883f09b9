"""Read-only queries the CLI needs beyond the store's, composed in one transaction each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from contenthub_async.domain.states import TaskStatus
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.accounts import Account
from contenthub_async.store.database import Database
from contenthub_async.store.tables import accounts, contents, publish_pool
from contenthub_async.store.tasks import Event, Task


@dataclass(frozen=True)
class ContentState:
    """The article a completed task produced, and where it stands in review and publishing."""

    content_id: int
    title: str
    word_count: int | None
    review_status: str
    publish_status: str
    pool_status: str | None  # None: not in the publish pool


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    account: Account | None
    events: list[Event]
    content: ContentState | None

    @property
    def attempts(self) -> int:
        """Times a daemon claimed the task (pending → submitting), i.e. create calls started."""
        return sum(1 for e in self.events if e.from_status == "pending" and e.to_status == "submitting")


async def task_detail(db: Database, task_id: str) -> TaskDetail | None:
    """The task, its account, its timeline and its content, from one snapshot."""
    async with db.read() as conn:
        task = await task_store.get_task(conn, task_id)
        if task is None:
            return None
        account = await account_store.get_account(conn, task.account_id)
        events = await task_store.task_events_of(conn, task.id)
        content = await content_state(conn, task.content_id) if task.content_id is not None else None
    return TaskDetail(task, account, events, content)


async def content_state(conn: AsyncConnection, content_id: int) -> ContentState | None:
    """One ``contents`` row (without its body) and its publish-pool status."""
    query = (
        select(contents.c.id, contents.c.title, contents.c.word_count, contents.c.review_status,
               contents.c.publish_status, publish_pool.c.status)
        .select_from(contents.outerjoin(publish_pool, publish_pool.c.content_id == contents.c.id))
        .where(contents.c.id == content_id)
    )
    row = (await conn.execute(query)).first()
    return ContentState(*row) if row else None


async def task_list(
    db: Database,
    *,
    account_id: int | None,
    statuses: Iterable[TaskStatus] | None,
    limit: int,
) -> tuple[list[Task], dict[int, Account]]:
    """Newest tasks first, with the accounts they belong to."""
    async with db.read() as conn:
        tasks = await task_store.list_tasks(conn, account_id=account_id, statuses=statuses, limit=limit)
        found = await account_store.get_accounts(conn, (t.account_id for t in tasks))
    return tasks, found


async def account_by_name(conn: AsyncConnection, name: str) -> Account | None:
    row = (await conn.execute(select(*accounts.c).where(accounts.c.name == name))).first()
    return Account.from_row(row) if row else None
