"""Store and services behind import, bulk retry and cleanup, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.domain.task_csv import TaskDefaults, parse_task_csv
from contenthub_async.services import retention, task_commands
from contenthub_async.services.task_import import import_tasks
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks, contents, publish_pool, task_events

S = TaskStatus
DAY = 86_400


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


async def test_insert_tasks_takes_batches_beyond_the_parameter_limits(db: Database, clock: ManualClock) -> None:
    await accounts(db, clock)
    n = 25_000  # × 18 columns: far beyond 32 767 parameters in one statement
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


async def test_cleanup_deletes_old_finished_tasks_and_events_and_keeps_articles(
    db: Database, clock: ManualClock
) -> None:
    await accounts(db, clock)
    ids = await task_commands.submit_tasks(
        db, [NewTask(account_id=1, topic=f"t{i}") for i in range(5)], clock=clock, actor="cli")
    old_completed, old_failed, young_failed, old_pending, old_submitted = ids
    await finish(db, old_completed, S.COMPLETED, clock)
    await finish(db, old_failed, S.FAILED, clock)
    async with db.write() as conn:
        task = await task_store.get_task(conn, old_completed)
        assert task is not None
        content_id = await content_store.insert_content(conn, content_store.NewContent(
            account_id=1, generation_task_id=task.id, title="文章", body_markdown="正文", summary=None, images=[],
            word_count=2, category=None, tags=None, approved=True), now=clock.now())
        await content_store.insert_pool_entry(conn, content_id=content_id, account_id=1, priority=5, now=clock.now())
        await conn.execute(update(content_generation_tasks).where(content_generation_tasks.c.id == task.id)
                           .values(content_id=content_id))
        await conn.execute(update(content_generation_tasks)  # in flight since long ago: never deleted
                           .where(content_generation_tasks.c.task_id == old_submitted)
                           .values(status="submitted", creator_task_id="c-9", completed_at=clock.now()))
    clock.advance(40 * DAY)
    await finish(db, young_failed, S.FAILED, clock)
    clock.advance(DAY)

    cutoff = retention.cutoff_for(30, clock)
    preview = await retention.preview_cleanup(db, cutoff)
    assert (preview.tasks_by_status, preview.events, preview.contents) == ({"completed": 1, "failed": 1}, 2, 1)
    assert await count(db, content_generation_tasks) == 5

    deleted = await retention.clean_up(db, cutoff)
    assert deleted == preview and deleted.tasks == 2
    async with db.read() as conn:
        left = {t for t in ids if await task_store.get_task(conn, t) is not None}
        article = await content_store.get_content(conn, content_id)
        pool = (await conn.execute(select(func.count()).select_from(publish_pool))).scalar_one()
        orphan_events = (await conn.execute(
            select(func.count()).select_from(task_events)
            .where(task_events.c.generation_task_id.not_in(select(content_generation_tasks.c.id))))).scalar_one()
    assert left == {young_failed, old_pending, old_submitted}
    assert article is not None and article["generation_task_id"] is None and article["title"] == "文章"
    assert pool == 1 and orphan_events == 0
    assert await count(db, task_events) == 3 and await count(db, contents) == 1

    again = await retention.clean_up(db, cutoff)
    assert (again.tasks, again.events, again.contents) == (0, 0, 0)
