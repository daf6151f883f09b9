"""Conformance, tasks: submission, claims, guarded transitions, cancel and retry, bulk writes.

Every test runs against every backend (a SQLite file and PostgreSQL), River-style: a new backend
feature gets its test here."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.domain.task_csv import TaskDefaults, parse_task_csv
from contenthub_async.services import task_commands
from contenthub_async.services.errors import InactiveAccount, InvalidTaskState, TaskNotFound, UnknownAccount
from contenthub_async.services.task_import import import_tasks
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate
from contenthub_async.store.tables import content_generation_tasks, task_events
from tests.conformance.support import accounts, add_account, claim, count, finish, submit

S = TaskStatus
DAY = 86_400


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

async def test_events_cascade_and_read_in_order(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    async with db.write() as conn:
        await conn.execute(content_generation_tasks.delete())
    async with db.read() as conn:
        assert (await conn.execute(select(task_events.c.id))).all() == []

async def test_insert_tasks_takes_batches_beyond_the_parameter_limits(db: Database, clock: ManualClock) -> None:
    await accounts(db, clock)
    n = 2_000  # × 18 columns = 36 000: beyond both backends' 32 767 parameters in one statement
    new = [NewTask(account_id=1, topic=f"bulk {i}", priority=i % 11) for i in range(n)]
    async with db.write() as conn:
        ids = await task_store.insert_tasks(conn, new, now=clock.now(), actor="import")
    assert len(set(ids)) == n
    assert await count(db, content_generation_tasks) == n and await count(db, task_events) == n
    async with db.read() as conn:
        last = await task_store.get_task(conn, ids[-1])
        assert last is not None and last.topic == f"bulk {n - 1}" and last.priority == (n - 1) % 11
        [event] = await task_store.task_events_of(conn, last.id)
    assert (event.from_status, event.to_status, event.actor, event.message) == (None, "pending", "import", "submitted")
    assert event.at == clock.now()

async def test_get_accounts_takes_more_ids_than_one_statement_can_bind(db: Database, clock: ManualClock) -> None:
    await accounts(db, clock)
    async with db.read() as conn:
        found = await account_store.get_accounts(conn, range(1, 40_001))
    assert sorted(found) == [1, 2]

async def test_import_checks_every_account_and_is_all_or_nothing(db: Database, clock: ManualClock) -> None:
    await accounts(db, clock)
    data = "account_id,topic\n1,good one\n2,disabled account\n99,unknown account\n1,\n".encode()
    parsed = parse_task_csv(data, TaskDefaults())

    refused = await import_tasks(db, parsed, clock=clock, skip_invalid=False)
    assert refused.refused and refused.task_ids == [] and refused.valid_rows == 1
    assert [(p.line, p.field, p.reason) for p in refused.problems] == [
        (3, "account_id", "inactive_account"), (4, "account_id", "unknown_account"), (5, "topic", "empty")]
    assert await count(db, content_generation_tasks) == 0

    done = await import_tasks(db, parsed, clock=clock, skip_invalid=True)
    assert not done.refused and len(done.task_ids) == 1 and done.problems == refused.problems
    async with db.read() as conn:
        task = await task_store.get_task(conn, done.task_ids[0])
    assert task is not None and (task.topic, task.source) == ("good one", "import")

async def test_bulk_retry_moves_only_matching_tasks_in_the_window(db: Database, clock: ManualClock) -> None:
    await accounts(db, clock)
    ids = await task_commands.submit_tasks(
        db, [NewTask(account_id=1, topic=f"t{i}") for i in range(6)], clock=clock, actor="cli")
    old_failed, new_failed, new_timeout, new_cancelled, completed, pending = ids
    await finish(db, old_failed, S.FAILED, clock)
    clock.advance(3 * 3600)
    for task_id, status in ((new_failed, S.FAILED), (new_timeout, S.TIMEOUT), (new_cancelled, S.CANCELLED),
                            (completed, S.COMPLETED)):
        await finish(db, task_id, status, clock)
    clock.advance(600)

    moved = await task_commands.retry_finished_tasks(
        db, [S.FAILED, S.TIMEOUT], since=timedelta(hours=1), clock=clock, actor="cli")
    assert moved == [new_failed, new_timeout]
    async with db.read() as conn:
        statuses = {t: (await task_store.get_task(conn, t)).status for t in ids}  # type: ignore[union-attr]
        retried = await task_store.get_task(conn, new_failed)
        assert retried is not None
        events = await task_store.task_events_of(conn, retried.id)
    assert statuses == {old_failed: S.FAILED, new_failed: S.PENDING, new_timeout: S.PENDING,
                        new_cancelled: S.CANCELLED, completed: S.COMPLETED, pending: S.PENDING}
    assert (retried.retry_count, retried.completed_at, retried.creator_task_id, retried.progress) == (0, None, None, 0)
    assert retried.run_after == clock.now() and retried.error_message == "boom"
    assert [(e.from_status, e.to_status, e.actor, e.message) for e in events][-1] == (
        "failed", "pending", "cli", "manual retry (after 2 automatic retries)")

    assert await task_commands.retry_finished_tasks(
        db, [S.FAILED, S.TIMEOUT], since=timedelta(hours=1), clock=clock, actor="cli") == []
    with pytest.raises(ValueError):
        await task_commands.retry_finished_tasks(db, [S.COMPLETED], since=timedelta(hours=1), clock=clock, actor="cli")
