"""Conformance, claims under contention: many claimers at once, each on its own connection.

On PostgreSQL the claim is one ``UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``
(``store/tasks.claim_tasks``); a subquery the planner runs more than once can lock and move more
than ``n`` rows. These tests hold the claim to its contract: at most ``n`` per claim, no task
twice, and — with the claim lock and the in-flight count the dispatcher uses — never more than
the concurrency limit in flight."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import update

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.conformance.support import add_account, submit

S = TaskStatus
CLAIMERS = 12
TASKS = 400
T = content_generation_tasks.c


async def test_concurrent_skip_locked_claims_take_at_most_n_each_and_no_task_twice(
    db_url: str, clock: ManualClock
) -> None:
    db = Database.open(db_url, pool_size=CLAIMERS)
    try:
        account = await add_account(db, clock)
        await submit(db, clock, account, *(random.Random(1).randint(0, 10) for _ in range(TASKS)))
        oversized: list[tuple[int, int]] = []

        async def drain(owner: str, seed: int) -> list[str]:
            rng = random.Random(seed)
            got: list[str] = []
            while True:
                n = rng.randint(1, 9)
                async with db.write() as conn:  # no claim lock: SKIP LOCKED alone keeps claimers apart
                    batch = await task_store.claim_tasks(conn, owner=owner, limit=n, now=clock.now(),
                                                         lease_seconds=60)
                if len(batch) > n:
                    oversized.append((n, len(batch)))
                if not batch:
                    return got
                got += [t.task_id for t in batch]
                await asyncio.sleep(0)

        results = await asyncio.gather(*(drain(f"d{i}", i) for i in range(CLAIMERS)))
        claimed = [task_id for result in results for task_id in result]
        assert oversized == [], "a claim of n moved more than n tasks"
        assert len(set(claimed)) == len(claimed), "a task was claimed twice"
        assert len(claimed) == TASKS
        async with db.read() as conn:
            assert (await task_store.count_by_status(conn)) == {S.SUBMITTING.value: TASKS}
    finally:
        await db.close()


async def test_concurrent_claimers_never_exceed_the_concurrency_limit(db_url: str, clock: ManualClock) -> None:
    limit = 20
    db = Database.open(db_url, pool_size=CLAIMERS + 1)
    try:
        account = await add_account(db, clock)
        await submit(db, clock, account, *([5] * TASKS))
        seen_in_flight: list[int] = []
        claimed: list[str] = []

        async def claimer(owner: str, seed: int) -> None:
            rng = random.Random(seed)
            while True:
                async with db.write() as conn:  # as the dispatcher claims
                    await task_store.lock_claims(conn)
                    free = limit - await task_store.count_in_flight(conn)
                    batch = await task_store.claim_tasks(conn, owner=owner, limit=min(free, rng.randint(1, 9)),
                                                         now=clock.now(), lease_seconds=60)
                    seen_in_flight.append(await task_store.count_in_flight(conn))
                claimed.extend(t.task_id for t in batch)
                if batch:  # the work ends some time later and frees the slots
                    await asyncio.sleep(rng.random() / 50)
                    async with db.write() as conn:
                        await conn.execute(update(content_generation_tasks)
                                           .where(T.id.in_([t.id for t in batch]))
                                           .values(status=S.FAILED.value, lease_owner=None, lease_expires_at=None))
                async with db.read() as conn:
                    if (await task_store.count_by_status(conn)).get(S.PENDING.value, 0) == 0:
                        return
                await asyncio.sleep(0)

        async def observer(done: asyncio.Event) -> None:
            while not done.is_set():
                async with db.read() as conn:
                    seen_in_flight.append(await task_store.count_in_flight(conn))
                await asyncio.sleep(0)

        done = asyncio.Event()
        watching = asyncio.ensure_future(observer(done))
        await asyncio.gather(*(claimer(f"d{i}", i) for i in range(CLAIMERS)))
        done.set()
        await watching
        assert max(seen_in_flight) <= limit, f"{max(seen_in_flight)} in flight, limit {limit}"
        assert len(claimed) == len(set(claimed)) == TASKS
    finally:
        await db.close()
