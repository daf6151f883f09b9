"""Conformance, services: the dispatcher and the tracker move tasks through their life against
content-creator in memory (tests/support/memory_creator.py), on every backend, without processes."""

from __future__ import annotations

import anyio
import structlog

from contenthub_async.clock import ManualClock
from contenthub_async.creator.port import Creator, CreatorError, CreatorErrorKind
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import Knobs, ServiceContext
from contenthub_async.services.dispatcher import Dispatcher
from contenthub_async.services.tracker import Tracker
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.store import contents as content_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.conformance.support import add_account, submit
from tests.support.memory_creator import MemoryCreator

S = TaskStatus
KNOBS = Knobs(max_concurrent_tasks=3, task_timeout=3600, poll_interval=1, retry_backoff=10, retry_backoff_max=60,
              lease_seconds=60, list_limit=100, heartbeat_interval=5, janitor_interval=5, shutdown_grace=5,
              wakeup_interval=5)


def context(db: Database, clock: ManualClock, creator: MemoryCreator) -> ServiceContext:
    return ServiceContext(db=db, creator=creator, clock=clock, knobs=KNOBS, daemon_id="d1",
                          log=structlog.get_logger("test"))


async def dispatch(ctx: ServiceContext) -> list[str]:
    """One dispatcher round with its submissions awaited; the task ids claimed."""
    dispatcher = Dispatcher(ctx, Wakeup())
    claimed = await dispatcher.claim_once()
    async with anyio.create_task_group() as group:
        for task in claimed:
            group.start_soon(dispatcher._submit, task)
    return [t.task_id for t in claimed]


async def statuses(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return await task_store.count_by_status(conn)


async def test_the_memory_creator_satisfies_the_port() -> None:
    assert isinstance(MemoryCreator(), Creator)


async def test_dispatch_fills_the_free_slots_by_priority(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    ids = await submit(db, clock, account, 1, 9, 5, 7)
    creator = MemoryCreator()
    ctx = context(db, clock, creator)
    assert sorted(await dispatch(ctx)) == sorted([ids[1], ids[3], ids[2]])
    assert await dispatch(ctx) == [], "no free slot while three are in flight"
    assert creator.calls == ["create"] * 3 and [r.priority for r in creator.requests.values()] == [9, 7, 5]
    assert await statuses(db) == {"submitted": 3, "pending": 1}


async def test_tracking_completes_fails_and_requeues_what_the_creator_lost(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    ids = await submit(db, clock, account, 5, 5, 5)
    creator = MemoryCreator()
    ctx = context(db, clock, creator)
    await dispatch(ctx)
    async with db.read() as conn:
        tasks = [await task_store.get_task(conn, task_id) for task_id in ids]
    done, failed, lost = (t.creator_task_id for t in tasks if t is not None)
    assert done and failed and lost
    creator.complete(done, "# 标题\n\n正文")
    creator.fail(failed, "LLM quota exceeded")
    creator.forget(lost)
    await Tracker(ctx).cycle()

    async with db.read() as conn:
        after = [await task_store.get_task(conn, task_id) for task_id in ids]
        assert after[0] is not None and after[0].status == S.COMPLETED and after[0].content_id is not None
        [content] = await content_store.contents_of_task(conn, after[0].id)
    assert "正文" in str(content)
    assert after[1] is not None and (after[1].status, after[1].retry_count) == (S.PENDING, 1)
    assert "LLM quota exceeded" in (after[1].error_message or "")
    assert after[2] is not None and (after[2].status, after[2].retry_count) == (S.PENDING, 1)
    assert after[2].creator_task_id is None and "lost" in (after[2].error_message or "")
    assert creator.calls.count("list") == 1, "one listing per cycle, whatever the number of tasks"


async def test_a_refused_create_fails_at_once_and_a_retryable_one_requeues(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 9, 1)
    creator = MemoryCreator(create_errors=[CreatorError(CreatorErrorKind.REJECTED, "bad topic"),
                                           CreatorError(CreatorErrorKind.TIMEOUT, "slow")])
    await dispatch(context(db, clock, creator))
    assert await statuses(db) == {"failed": 1, "pending": 1}
