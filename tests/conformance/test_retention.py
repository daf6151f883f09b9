"""Conformance, retention: deleting old finished tasks and events, keeping articles."""

from __future__ import annotations

from sqlalchemy import func, select, update

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import retention, task_commands
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks, contents, publish_pool, task_events
from tests.conformance.support import accounts, count, finish

S = TaskStatus
DAY = 86_400


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
        await pool_store.insert_entry(conn, content_id=content_id, account_id=1, priority=5, now=clock.now(), actor="test")
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
