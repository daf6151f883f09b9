"""Set-up shared by the conformance suite: rows written through the store, as the services do."""

from __future__ import annotations

from sqlalchemy import func, select, update

from contenthub_async.clock import ManualClock
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks


async def add_account(db: Database, clock: ManualClock, name: str = "acc", account_id: int | None = None) -> int:
    async with db.write() as conn:
        account = await account_store.insert_account(conn, name=name, now=clock.now(), account_id=account_id)
    return account.id


async def submit(db: Database, clock: ManualClock, account_id: int, *priorities: int) -> list[str]:
    new = [NewTask(account_id=account_id, topic=f"topic {i}", priority=p) for i, p in enumerate(priorities)]
    return await task_commands.submit_tasks(db, new, clock=clock, actor="cli")


async def claim(db: Database, clock: ManualClock, limit: int, owner: str = "d1") -> list[Task]:
    async with db.write() as conn:
        await task_store.lock_claims(conn)
        return await task_store.claim_tasks(conn, owner=owner, limit=limit, now=clock.now(), lease_seconds=60)


async def accounts(db: Database, clock: ManualClock) -> None:
    async with db.write() as conn:
        await account_store.insert_account(conn, name="main", now=clock.now(), account_id=1)
        await account_store.insert_account(conn, name="off", now=clock.now(), account_id=2)
        await account_store.set_account_active(conn, 2, False, now=clock.now())


async def finish(db: Database, task_id: str, status: TaskStatus, clock: ManualClock) -> None:
    """Set-up: the task reached ``status`` now (as the daemon or an operator would leave it)."""
    async with db.write() as conn:
        await conn.execute(
            update(content_generation_tasks)
            .where(content_generation_tasks.c.task_id == task_id)
            .values(status=status.value, completed_at=clock.now(), retry_count=2, error_message="boom",
                    creator_task_id="creator-1", progress=40)
        )


async def count(db: Database, table: object) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]
