"""The standard library's sqlite3 driver (store/sqlite_driver.py) and SQLAlchemy's engine on one
SQLite file: the everyday statements (store/everyday.py) read the same values through both, and
what one writes is what the other would have written."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import anyio
import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands
from contenthub_async.services.errors import InvalidTaskState
from contenthub_async.services.submission_batcher import SubmissionBatcher
from contenthub_async.store import contents as content_store
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import everyday
from contenthub_async.store import tasks as task_store
from contenthub_async.store.contents import NewContent
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import current_version
from contenthub_async.store.prepared import PreparedDatabase
from contenthub_async.store.sqlite_driver import SqliteDatabase, sqlite_file_of
from tests.conformance.support import accounts, claim

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

S = TaskStatus


def standard(db: Database) -> SqliteDatabase:
    path = sqlite_file_of(f"sqlite:///{db.url.sqlite_path}")
    assert path is not None
    return SqliteDatabase(path)


async def _queue(db: Database, clock: ManualClock) -> list[str]:
    """Accounts 1 and 2 (disabled), four tasks (one at the creator, one finished with an article
    in the publish pool), a running daemon with settings."""
    await accounts(db, clock)
    ids = await task_commands.submit_tasks(
        db, [NewTask(account_id=1, topic=f"主题 {i}", keywords="AI,客服", priority=i, auto_approve=i % 2 == 0)
             for i in range(4)],
        clock=clock, actor="cli")
    clock.advance(1)
    [claimed] = await claim(db, clock, 1)  # the highest priority: ids[3]
    async with db.write() as conn:
        submitted = await task_store.transition(conn, claimed, S.SUBMITTED, now=clock.now(), actor="d1",
                                                lease_owner="d1", values={"creator_task_id": "c-1",
                                                                          "submitted_at": clock.now()})
        assert submitted is not None
        done = await task_store.get_task(conn, ids[0])
        assert done is not None
        content_id = await content_store.insert_content(conn, NewContent(
            account_id=1, generation_task_id=done.id, title="标题", body_markdown="正文", summary=None, images=[],
            word_count=2, category=None, tags=None, approved=False), now=clock.now())
        finished = await task_store.transition(
            conn, done, S.CANCELLED, now=clock.now(), actor="cli",
            values={"content_id": content_id, "completed_at": clock.now(), "result": {"title": "标题", "n": [1, 2]}})
        assert finished is not None
        await daemon_store.register_daemon(conn, daemon_id="d1", hostname="h", pid=1, version="v", now=clock.now(),
                                           settings={"CREATOR_MODE": "sync", "concurrency": 5})
    return ids


async def _everything_read(database: PreparedDatabase, ids: list[str]) -> list[Any]:
    async with database.read() as conn:
        tasks = [await everyday.get_task(conn, task_id) for task_id in [*ids, "task-000000000000"]]
        pks = [task.id for task in tasks if task is not None]
        return [
            tasks,
            [await everyday.task_events_of(conn, pk, after=after) for pk in pks for after in (0, 1)],
            [await everyday.list_tasks(conn, account_id=account, statuses=statuses, limit=limit, before=before)
             for account in (None, 1, 2) for statuses in (None, [S.PENDING], [S.SUBMITTED, S.CANCELLED], [])
             for limit in (1, 20) for before in (None, ids[3], "task-000000000000")],
            await everyday.get_accounts(conn, [1, 2, 99]),
            [await everyday.get_account(conn, account_id) for account_id in (1, 2, 99)],
            [await everyday.content_state(conn, content_id) for content_id in (1, 99)],
            await everyday.latest_heartbeat(conn),
            await current_version(conn),
        ]


async def test_both_drivers_read_the_same_values(db: Database, clock: ManualClock) -> None:
    ids = await _queue(db, clock)
    ours = standard(db)
    try:
        read = await _everything_read(ours, ids)
    finally:
        await ours.close()
    assert read == await _everything_read(db, ids)
    assert read[0][0].result == {"title": "标题", "n": [1, 2]} and read[6].settings["CREATOR_MODE"] == "sync"
    assert read[5][0] is not None and read[5][0].title == "标题"


def _rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    import sqlite3

    assert db.url.sqlite_path is not None
    with sqlite3.connect(db.url.sqlite_path) as raw:
        return raw.execute(sql).fetchall()


async def test_both_drivers_write_the_same_rows(db: Database, clock: ManualClock) -> None:
    """Submit two tasks, cancel one at once and ask to cancel the other at the creator, once
    through each driver: the rows differ only in their ids."""
    await accounts(db, clock)
    ours = standard(db)
    try:
        for database in (db, ours):
            ids = await task_commands.submit_tasks(
                database, [NewTask(account_id=1, topic="话题", keywords="k", callback_url="https://example.com/h"),
                           NewTask(account_id=1, topic="two", priority=9, auto_approve=False)],
                clock=clock, actor="cli")
            assert (await task_commands.cancel_task(database, ids[0], clock=clock, actor="cli")).outcome == "cancelled"
            async with db.write() as conn:  # the second one reaches the creator
                [claimed] = await task_store.claim_tasks(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=60)
                assert claimed.task_id == ids[1]
                await task_store.transition(conn, claimed, S.SUBMITTED, now=clock.now(), actor="d1",
                                            values={"creator_task_id": f"c-{ids[1]}"})
            outcome = await task_commands.cancel_task(database, ids[1], clock=clock, actor="cli")
            assert (outcome.outcome, outcome.task.status) == ("requested", S.SUBMITTED)
            with pytest.raises(InvalidTaskState):
                await task_commands.cancel_task(database, ids[0], clock=clock, actor="cli")
    finally:
        await ours.close()

    tasks = _rows(db, "SELECT * FROM content_generation_tasks ORDER BY id")
    events = _rows(db, "SELECT * FROM task_events ORDER BY id")
    webhooks = _rows(db, "SELECT * FROM webhook_events ORDER BY id")
    assert (len(tasks), len(events), len(webhooks)) == (4, 12, 2)

    def without_ids(rows: list[tuple[Any, ...]], *columns: int) -> list[tuple[Any, ...]]:
        return [tuple(v for i, v in enumerate(row) if i not in columns) for row in rows]

    # content_generation_tasks: id, task_id, creator_task_id; task_events: id, generation_task_id;
    # webhook_events: id, event_id, generation_task_id, data (it names the task)
    assert without_ids(tasks[:2], 0, 1, 2) == without_ids(tasks[2:], 0, 1, 2)
    assert without_ids(events[:6], 0, 1) == without_ids(events[6:], 0, 1)
    assert without_ids(webhooks[:1], 0, 1, 3, 6) == without_ids(webhooks[1:], 0, 1, 3, 6)
    assert webhooks[0][6].replace(tasks[0][1], "") == webhooks[1][6].replace(tasks[2][1], "")


async def test_a_cancelled_transaction_still_ends_and_leaves_no_lock(db: Database) -> None:
    # anyio cancels every await inside a cancelled scope again, the rollback's included: it must
    # reach the connection all the same, or the write lock would stay with this connection.
    database = standard(db)
    try:
        with anyio.move_on_after(0.2) as scope:
            async with database.write():
                await anyio.sleep(600)
        assert scope.cancelled_caught
        raw = await database.connection()
        with anyio.fail_after(30):
            while raw.in_transaction:
                await anyio.sleep(0.01)
        other = sqlite3.connect(db.url.sqlite_path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the lock was kept
            other.rollback()
        finally:
            other.close()
    finally:
        await database.close()


async def test_the_group_commit_runs_on_the_standard_driver_keys_and_all(db: Database, clock: ManualClock) -> None:
    # As the daemon's HTTP API commits on SQLite: idempotency keys are looked up and stored on
    # the standard driver's connection, and a row the database refuses still fails alone.
    await accounts(db, clock)
    earlier = await task_commands.submit_once(db, NewTask(account_id=1, topic="earlier"), idempotency_key="old",
                                              clock=clock, actor="http")
    database = standard(db)
    try:
        batcher = SubmissionBatcher(db, clock=clock, actor="http", write_new_tasks=database.write)
        same, repeated, again = await asyncio.gather(
            *(batcher.submit(NewTask(account_id=1, topic=f"same {i}"), idempotency_key="same") for i in range(2)),
            batcher.submit(NewTask(account_id=1, topic="again"), idempotency_key="old"))
        assert list(batcher.batch_sizes) == [3]  # one transaction, on the standard driver
        fine, refused = await asyncio.gather(
            batcher.submit(NewTask(account_id=1, topic="fine"), idempotency_key="fine"),
            batcher.submit(NewTask(account_id=1, topic="refused", priority=99), idempotency_key=None),
            return_exceptions=True)
    finally:
        await database.close()
    assert isinstance(fine, task_commands.Accepted) and isinstance(refused, Exception)
    assert (repeated.task_id, repeated.replayed) == (same.task_id, True)
    assert (again.task_id, again.replayed) == (earlier.task_id, True)
    async with db.read() as conn:
        stored = await task_store.tasks_of_idempotency_keys(conn, ["same", "old"])
    assert {key: task.task_id for key, task in stored.items()} == {"same": same.task_id, "old": earlier.task_id}
    async with db.read() as conn:
        assert [task.topic for task in (await task_store.tasks_of_idempotency_keys(conn, ["fine"])).values()] == ["fine"]
