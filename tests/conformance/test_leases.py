"""Conformance, leases: the submitting lease of a task, its expiry, and singleton leases."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services import task_commands
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.conformance.support import add_account, claim, submit

S = TaskStatus
DAY = 86_400


async def test_lease_is_only_held_while_submitting(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await conn.execute(
                content_generation_tasks.update()
                .where(content_generation_tasks.c.task_id == task_id)
                .values(lease_owner="x", lease_expires_at=clock.now())
            )

async def test_expired_leases_return_tasks_to_pending(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    await claim(db, clock, 1)
    async with db.write() as conn:
        assert await task_store.expire_leases(conn, now=clock.now(), actor="janitor") == []
    clock.advance(61)
    async with db.write() as conn:
        assert await task_store.expire_leases(conn, now=clock.now(), actor="janitor") == [task_id]
    async with db.read() as conn:
        task = await task_store.get_task(conn, task_id)
    assert task is not None and task.status == S.PENDING and task.lease_owner is None and task.retry_count == 0

async def test_expired_lease_of_a_task_cancelled_meanwhile_ends_cancelled(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    await claim(db, clock, 1)
    assert (await task_commands.cancel_task(db, task_id, clock=clock, actor="cli")).outcome == "requested"
    clock.advance(61)
    async with db.write() as conn:
        assert await task_store.expire_leases(conn, now=clock.now(), actor="janitor") == []
        task = await task_store.get_task(conn, task_id)
    assert task is not None and task.status == S.CANCELLED and task.lease_owner is None

async def test_singleton_lease(db: Database, clock: ManualClock) -> None:
    async with db.write() as conn:
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
        assert not await daemon_store.try_acquire_lease(conn, "tracker", owner="b", now=clock.now(), ttl_seconds=10)
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
    clock.advance(11)
    async with db.write() as conn:
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="b", now=clock.now(), ttl_seconds=10)
