"""Conformance, leases: the lease of a task (submitting; processing in sync creator mode), its
renewal and expiry, and singleton leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from contenthub_async.clock import ManualClock
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services import task_commands
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.conformance.support import add_account, claim, submit

S = TaskStatus
DAY = 86_400


async def _set(db: Database, task_id: str, **values: object) -> None:
    async with db.write() as conn:
        await conn.execute(
            content_generation_tasks.update().where(content_generation_tasks.c.task_id == task_id).values(**values)
        )


async def test_lease_is_only_held_while_submitting_or_processing(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    lease = {"lease_owner": "x", "lease_expires_at": clock.now()}
    for status in (S.PENDING, S.SUBMITTED, S.COMPLETED, S.FAILED):
        with pytest.raises(IntegrityError):
            await _set(db, task_id, status=status.value, **lease)
    with pytest.raises(IntegrityError):  # submitting always holds one
        await _set(db, task_id, status=S.SUBMITTING.value)
    with pytest.raises(IntegrityError):  # owner and expiry go together
        await _set(db, task_id, status=S.PROCESSING.value, lease_owner="x")
    await _set(db, task_id, status=S.PROCESSING.value, **lease)  # sync mode
    await _set(db, task_id, lease_owner=None, lease_expires_at=None)  # async mode


async def _run_in_sync_mode(db: Database, clock: ManualClock, task: Task, owner: str = "d1") -> Task:
    """submitting → processing keeping the lease, as a sync-mode daemon starts a generation."""
    async with db.write() as conn:
        moved = await task_store.transition(
            conn, task, S.PROCESSING, now=clock.now(), actor=owner, lease_owner=owner,
            values={"started_at": clock.now(), "timeout_at": clock.now() + timedelta(seconds=30),
                    "lease_expires_at": clock.now() + timedelta(seconds=60)},
        )
    assert moved is not None and moved.lease_owner == owner
    return moved


async def test_a_held_processing_task_is_renewed_by_its_owner_and_left_alone_by_the_tracker(
    db: Database, clock: ManualClock
) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    [claimed] = await claim(db, clock, 1)
    task = await _run_in_sync_mode(db, clock, claimed)
    clock.advance(45)
    async with db.write() as conn:
        assert await task_store.renew_leases(conn, [task.id], owner="d2", now=clock.now(), lease_seconds=60) == (set(), set())
        assert await task_store.renew_leases(conn, [task.id], owner="d1", now=clock.now(), lease_seconds=60) == ({task.id}, set())
    assert (await task_commands.cancel_task(db, task_id, clock=clock, actor="cli")).outcome == "requested"
    clock.advance(45)  # past timeout_at and past the first lease, within the renewed one
    async with db.write() as conn:
        assert await task_store.leases_held(conn, [task.id], owner="d1") == ({task.id}, {task.id})
        assert await task_store.expire_leases(conn, now=clock.now(), actor="janitor") == []
        assert await task_store.tasks_at_creator(conn, limit=10) == []
        assert await task_store.due_timeouts(conn, now=clock.now()) == []
        assert await task_store.cancel_requests(conn) == []
        moved = await task_store.transition(conn, task, S.CANCELLED, now=clock.now(), actor="d1", lease_owner="d1")
    assert moved is not None and moved.lease_owner is None and moved.lease_expires_at is None


async def test_an_expired_processing_lease_puts_the_task_back_without_its_attempt(
    db: Database, clock: ManualClock
) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    [claimed] = await claim(db, clock, 1)
    await _run_in_sync_mode(db, clock, claimed)
    clock.advance(61)
    async with db.write() as conn:
        assert await task_store.expire_leases(conn, now=clock.now(), actor="janitor") == [task_id]
        assert await task_store.leases_held(conn, [claimed.id], owner="d1") == (set(), set())
        task = await task_store.get_task(conn, task_id)
        events = await task_store.task_events_of(conn, claimed.id)
    assert task is not None and task.status == S.PENDING and task.lease_owner is None
    assert task.started_at is None and task.timeout_at is None and task.progress == 0 and task.retry_count == 0
    assert (events[-1].from_status, events[-1].to_status) == ("processing", "pending")


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

async def test_the_janitors_read_sees_an_expired_lease_exactly_when_one_would_be_rescued(
    db: Database, clock: ManualClock
) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 5)
    async with db.read() as conn:
        assert not await task_store.any_lease_expired(conn, now=clock.now() + timedelta(days=1))  # none leased
    await claim(db, clock, 1)
    async with db.read() as conn:
        assert not await task_store.any_lease_expired(conn, now=clock.now())
    clock.advance(61)
    async with db.read() as conn:
        assert await task_store.any_lease_expired(conn, now=clock.now())
    async with db.write() as conn:
        assert len(await task_store.expire_leases(conn, now=clock.now(), actor="janitor")) == 1
        assert not await task_store.any_lease_expired(conn, now=clock.now())


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


async def test_renewing_a_singleton_lease_only_renews_or_takes_an_ended_term(db: Database, clock: ManualClock) -> None:
    """renew_lease: the one statement that renews a held term, run on the daemon's polled connection."""
    async with db.write() as conn:
        assert not await daemon_store.renew_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
        assert await daemon_store.lease_holder(conn, "tracker") is None  # it takes no lease that is not there
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
    clock.advance(5)
    async with db.write() as conn:
        assert not await daemon_store.renew_lease(conn, "tracker", owner="b", now=clock.now(), ttl_seconds=10)
        assert await daemon_store.renew_lease(conn, "tracker", owner="a", now=clock.now(), ttl_seconds=10)
        assert await daemon_store.lease_holder(conn, "tracker") == ("a", clock.now() + timedelta(seconds=10))
    clock.advance(11)
    async with db.write() as conn:
        assert await daemon_store.renew_lease(conn, "tracker", owner="b", now=clock.now(), ttl_seconds=10)
        assert await daemon_store.lease_holder(conn, "tracker") == ("b", clock.now() + timedelta(seconds=10))


async def test_a_dead_daemons_running_generations_come_back_at_once(db: Database, clock: ManualClock) -> None:
    """A sync-mode generation dies with its daemon: its task is released as soon as the daemon is
    taken for dead, whatever its lease says; one cancelled meanwhile ends cancelled."""
    account = await add_account(db, clock)
    [kept, cancelled] = await submit(db, clock, account, 5, 5)
    for claimed in await claim(db, clock, 2):
        await _run_in_sync_mode(db, clock, claimed)
    assert (await task_commands.cancel_task(db, cancelled, clock=clock, actor="cli")).outcome == "requested"
    async with db.write() as conn:
        assert await task_store.release_tasks_of(conn, ["d2"], now=clock.now(), actor="d3") == []
        assert await task_store.release_tasks_of(conn, ["d1"], now=clock.now(), actor="d3") == [kept]
        statuses = {t.task_id: (t.status, t.lease_owner) for t in await task_store.list_tasks(conn)}
    assert statuses == {kept: (S.PENDING, None), cancelled: (S.CANCELLED, None)}
