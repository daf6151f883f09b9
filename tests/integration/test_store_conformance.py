"""One conformance suite for the store, run against every backend (SQLite file, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands
from contenthub_async.services.errors import InactiveAccount, InvalidTaskState, TaskNotFound, UnknownAccount
from contenthub_async.store import accounts as account_store
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import SchemaVersionError, current_version, migrate
from contenthub_async.store.tables import SCHEMA_VERSION, content_generation_tasks, task_events

S = TaskStatus


async def add_account(db: Database, clock: ManualClock, name: str = "acc", account_id: int | None = None) -> int:
    async with db.write() as conn:
        account = await account_store.insert_account(conn, name=name, now=clock.now(), account_id=account_id)
    return account.id


async def submit(db: Database, clock: ManualClock, account_id: int, *priorities: int) -> list[str]:
    new = [NewTask(account_id=account_id, topic=f"topic {i}", priority=p) for i, p in enumerate(priorities)]
    return await task_commands.submit_tasks(db, new, clock=clock, actor="cli")


async def claim(db: Database, clock: ManualClock, limit: int, owner: str = "d1") -> list[task_store.Task]:
    async with db.write() as conn:
        await task_store.lock_claims(conn)
        return await task_store.claim_tasks(conn, owner=owner, limit=limit, now=clock.now(), lease_seconds=60)


async def test_migrate_is_idempotent_and_versioned(db: Database) -> None:
    assert await migrate(db) == (SCHEMA_VERSION, SCHEMA_VERSION)
    async with db.read() as conn:
        assert await current_version(conn) == SCHEMA_VERSION


async def test_upgrade_path_applies_later_versions_once(db: Database) -> None:
    upgrades = {SCHEMA_VERSION + 1: ["CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY)"]}
    assert await migrate(db, target=SCHEMA_VERSION + 1, upgrades=upgrades) == (SCHEMA_VERSION, SCHEMA_VERSION + 1)
    assert await migrate(db, target=SCHEMA_VERSION + 1, upgrades=upgrades) == (SCHEMA_VERSION + 1,) * 2
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM upgrade_probe"))).scalar_one() == 0
    with pytest.raises(SchemaVersionError, match="newer"):
        await migrate(db)


async def test_submit_writes_task_and_creation_event(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 7)
    async with db.read() as conn:
        task = await task_store.get_task(conn, task_id)
        assert task is not None
        events = await task_store.task_events_of(conn, task.id)
    assert task.status == S.PENDING and task.priority == 7 and task.run_after == clock.now()
    assert task.created_at.tzinfo is not None
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [(None, "pending", "cli")]


async def test_unknown_or_inactive_account_refuses_the_whole_batch(db: Database, clock: ManualClock) -> None:
    good = await add_account(db, clock, "good")
    off = await add_account(db, clock, "off")
    async with db.write() as conn:
        assert await account_store.set_account_active(conn, off, False, now=clock.now())
    with pytest.raises(UnknownAccount):
        await task_commands.submit_tasks(
            db, [NewTask(account_id=good, topic="a"), NewTask(account_id=999, topic="b")], clock=clock, actor="cli"
        )
    with pytest.raises(InactiveAccount):
        await submit(db, clock, off, 5)
    async with db.read() as conn:
        assert await task_store.count_by_status(conn) == {}


async def test_claim_orders_by_priority_then_fifo_and_honours_limit(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    ids = await submit(db, clock, account, 1, 9, 5, 9, 0, 5)
    first = await claim(db, clock, 3)
    assert [t.task_id for t in first] == [ids[1], ids[3], ids[2]]
    assert all(t.status == S.SUBMITTING and t.lease_owner == "d1" for t in first)
    rest = await claim(db, clock, 10)
    assert [t.task_id for t in rest] == [ids[5], ids[0], ids[4]]
    assert await claim(db, clock, 10) == []
    async with db.read() as conn:
        events = await task_store.task_events_of(conn, first[0].id)
    assert [(e.from_status, e.to_status, e.message) for e in events][-1] == ("pending", "submitting", "claimed")


async def test_claim_skips_tasks_not_yet_due(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    async with db.write() as conn:
        await conn.execute(
            content_generation_tasks.update().values(run_after=clock.now() + timedelta(seconds=30))
        )
    assert await claim(db, clock, 5) == []
    clock.advance(31)
    assert [t.task_id for t in await claim(db, clock, 5)] == [task_id]


async def test_concurrent_claimers_never_share_a_task(db_url: str, clock: ManualClock) -> None:
    first, second = Database.open(db_url), Database.open(db_url)
    try:
        await migrate(first)
        account = await add_account(first, clock)
        await submit(first, clock, account, *([5] * 120))

        async def drain(db: Database, owner: str) -> list[str]:
            got: list[str] = []
            while batch := await claim(db, clock, 4, owner=owner):
                got += [t.task_id for t in batch]
                await asyncio.sleep(0)
            return got

        results = await asyncio.gather(drain(first, "a"), drain(first, "b"), drain(second, "c"), drain(second, "d"))
        claimed = [tid for r in results for tid in r]
        assert len(claimed) == 120 and len(set(claimed)) == 120
    finally:
        await first.close()
        await second.close()


async def test_transition_is_guarded_by_the_status_read(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 5)
    [task] = await claim(db, clock, 1)
    async with db.write() as conn:
        with pytest.raises(ValueError, match="illegal transition"):
            await task_store.transition(conn, task, S.COMPLETED, now=clock.now(), actor="d1")
        assert await task_store.transition(
            conn, task, S.SUBMITTED, now=clock.now(), actor="d2", lease_owner="d2"
        ) is None, "another daemon's lease must not be taken over"
        moved = await task_store.transition(
            conn, task, S.SUBMITTED, now=clock.now(), actor="d1", lease_owner="d1",
            values={"creator_task_id": "c-1"},
        )
        assert moved is not None and moved.lease_owner is None and moved.creator_task_id == "c-1"
        assert await task_store.transition(conn, task, S.PENDING, now=clock.now(), actor="d1") is None
    async with db.read() as conn:
        events = await task_store.task_events_of(conn, task.id)
    assert [e.to_status for e in events] == ["pending", "submitting", "submitted"]


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


async def test_check_constraints_reject_bad_rows(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    base = dict(
        task_id="task-000000000001", account_id=account, topic="t", status="pending", priority=5, retry_count=0,
        max_retries=3, run_after=clock.now(), auto_approve=True, source="cli", progress=0,
        created_at=clock.now(), updated_at=clock.now(),
    )
    for bad in ({"priority": 11}, {"status": "running"}, {"topic": ""}, {"source": "web"}, {"account_id": 4242}):
        with pytest.raises(IntegrityError):
            async with db.write() as conn:
                await conn.execute(insert(content_generation_tasks).values(**{**base, **bad}))
    async with db.read() as conn:
        assert (await conn.execute(select(content_generation_tasks.c.id))).all() == []


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


async def test_cancel_pending_is_immediate_and_at_creator_is_a_request(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    pending_id, running_id = await submit(db, clock, account, 1, 9)
    outcome = await task_commands.cancel_task(db, pending_id, clock=clock, actor="cli")
    assert outcome.outcome == "cancelled" and outcome.task.status == S.CANCELLED
    [task] = await claim(db, clock, 1)
    assert task.task_id == running_id
    outcome = await task_commands.cancel_task(db, running_id, clock=clock, actor="cli")
    assert outcome.outcome == "requested" and outcome.task.status == S.SUBMITTING
    assert outcome.task.cancel_requested_at == clock.now()
    again = await task_commands.cancel_task(db, running_id, clock=clock, actor="cli")
    assert again.outcome == "already_requested"
    with pytest.raises(InvalidTaskState):
        await task_commands.cancel_task(db, pending_id, clock=clock, actor="cli")
    with pytest.raises(TaskNotFound):
        await task_commands.cancel_task(db, "task-ffffffffffff", clock=clock, actor="cli")


async def test_operator_retry_only_from_failed_timeout_cancelled(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    with pytest.raises(InvalidTaskState):
        await task_commands.retry_task(db, task_id, clock=clock, actor="cli")
    await task_commands.cancel_task(db, task_id, clock=clock, actor="cli")
    clock.advance(5)
    task = await task_commands.retry_task(db, task_id, clock=clock, actor="cli")
    assert task.status == S.PENDING and task.run_after == clock.now() and task.cancel_requested_at is None
    assert [t.task_id for t in await claim(db, clock, 1)] == [task_id]


async def test_singleton_lease(db: Database, clock: ManualClock) -> None:
    async with db.write() as conn:
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
        assert not await daemon_store.try_acquire_lease(conn, "tracker", owner="b", now=clock.now(), ttl_seconds=10)
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
    clock.advance(11)
    async with db.write() as conn:
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="b", now=clock.now(), ttl_seconds=10)


async def test_events_cascade_and_read_in_order(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    async with db.write() as conn:
        await conn.execute(content_generation_tasks.delete())
    async with db.read() as conn:
        assert (await conn.execute(select(task_events.c.id))).all() == []


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
