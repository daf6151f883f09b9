"""Conformance, liveness: heartbeats in database time, daemons taken for dead (a gone process
on this host, a silent daemon elsewhere), and everything they owned handed back at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

import anyio
import pytest
from sqlalchemy import select

from contenthub_async.clock import ManualClock
from contenthub_async.domain.liveness import DEAD_AFTER_HEARTBEATS, CauseOfDeath, Here
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import DaemonStatus, JobRunStatus
from contenthub_async.host import process_scope, running_process_key
from contenthub_async.services import task_commands
from contenthub_async.services.takeover import take_over_dead
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import daemons, task_events
from tests.conformance.support import add_account, claim, submit
from tests.conformance.test_job_runs import firing, new_job

S = TaskStatus
INTERVAL = 10.0
SCOPE = process_scope()
needs_proc = pytest.mark.skipif(SCOPE is None, reason="needs /proc")


def here(daemon_id: str = "judge", host: str = "host-a") -> Here:
    return Here(daemon_id=daemon_id, host_id=host, process_scope=SCOPE, heartbeat_seconds=INTERVAL)


@pytest.fixture
def gone_process() -> Iterator[tuple[int, str]]:
    """(pid, process key) of a process that ran and is gone."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    key = running_process_key(child.pid)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert key is not None
    yield child.pid, key


async def db_now(db: Database) -> datetime:
    async with db.read() as conn:
        return await daemon_store.database_now(conn)


async def register(db: Database, daemon_id: str, *, host: str, pid: int, key: str | None, age: float = 0) -> None:
    async with db.write() as conn:
        now = await daemon_store.database_now(conn)
        await daemon_store.register_daemon(conn, daemon_id=daemon_id, hostname="h", pid=pid, version="t",
                                           now=now - timedelta(seconds=age), host_id=host, process_key=key,
                                           heartbeat_seconds=INTERVAL)


async def status_of(db: Database, daemon_id: str) -> str:
    async with db.read() as conn:
        return str((await conn.execute(select(daemons.c.status).where(daemons.c.id == daemon_id))).scalar_one())


async def test_database_time_is_aware_utc_and_moves_on(db: Database) -> None:
    first = await db_now(db)
    await anyio.sleep(0.01)
    second = await db_now(db)
    assert first.utcoffset() == timedelta(0) and second > first


async def test_a_daemon_marked_dead_cannot_beat_and_a_clean_stop_keeps_it_dead(db: Database) -> None:
    await register(db, "d", host="h", pid=1, key=None)
    [life] = [x for x in await _possibly_alive(db) if x.daemon_id == "d"]
    async with db.write() as conn:
        now = await daemon_store.database_now(conn)
        assert await daemon_store.heartbeat(conn, "d", now=now)
        assert not await daemon_store.mark_dead(conn, life, now=now), "it beat since it was read: not dead"
        [life] = [x for x in await daemon_store.possibly_alive(conn) if x.daemon_id == "d"]
        assert await daemon_store.mark_dead(conn, life, now=now)
        assert not await daemon_store.mark_dead(conn, life, now=now), "one judge wins"
        assert not await daemon_store.heartbeat(conn, "d", now=now)
        await daemon_store.mark_stopped(conn, "d", now=now)
    assert await status_of(db, "d") == DaemonStatus.DEAD
    assert [x.daemon_id for x in await _possibly_alive(db)] == []


async def _possibly_alive(db: Database) -> list:  # type: ignore[type-arg]
    async with db.read() as conn:
        return await daemon_store.possibly_alive(conn)


@needs_proc
async def test_a_gone_process_on_this_host_is_dead_at_once_and_everything_it_held_comes_back(
    db: Database, clock: ManualClock, gone_process: tuple[int, str]
) -> None:
    pid, key = gone_process
    await register(db, "crashed", host="host-a", pid=pid, key=key)
    await register(db, "judge", host="host-a", pid=os.getpid(), key=running_process_key(os.getpid()))
    account = await add_account(db, clock)
    waiting, cancelled, other = await submit(db, clock, account, 9, 8, 1)
    await claim(db, clock, 2, owner="crashed")
    await claim(db, clock, 1, owner="judge")
    assert (await task_commands.cancel_task(db, cancelled, clock=clock, actor="cli")).outcome == "requested"
    job_id = await new_job(db, clock)
    async with db.write() as conn:
        now = await daemon_store.database_now(conn)
        assert await daemon_store.try_acquire_lease(conn, "tracker", owner="crashed", now=now, ttl_seconds=300)
        [run_id] = await job_store.insert_runs(conn, [firing(job_id, clock)])
        assert await job_store.claim_run(conn, run_id, daemon_id="crashed", now=clock.now())

    takeover = await take_over_dead(db, here(), actor="judge")

    assert takeover.dead == {"crashed": CauseOfDeath.PROCESS_GONE}
    assert takeover.handed_back == {"leases": ["tracker"], "leased_tasks": [waiting], "job_runs": [str(run_id)],
                                    "publishing_entries": [], "webhook_deliveries": []}
    async with db.read() as conn:
        tasks = {t: await task_store.get_task(conn, t) for t in (waiting, cancelled, other)}
        run = await job_store.get_run(conn, run_id)
        assert await daemon_store.lease_holder(conn, "tracker") is None
        notes = (await conn.execute(select(task_events.c.message).where(task_events.c.message.like("its daemon%")))).scalars().all()
    assert tasks[waiting] is not None and tasks[waiting].status == S.PENDING and tasks[waiting].lease_owner is None
    assert tasks[cancelled] is not None and tasks[cancelled].status == S.CANCELLED
    assert tasks[other] is not None and tasks[other].status == S.SUBMITTING, "a live daemon's task stays"
    assert run is not None and run.status == JobRunStatus.PENDING
    assert sorted(notes) == ["its daemon is dead; back to the queue", "its daemon is dead; cancelled as requested"]
    assert await status_of(db, "crashed") == DaemonStatus.DEAD and await status_of(db, "judge") == DaemonStatus.RUNNING
    assert (await take_over_dead(db, here(), actor="judge")).dead == {}, "judged once"


@needs_proc
async def test_a_process_still_running_here_is_alive(db: Database) -> None:
    await register(db, "sibling", host="host-a", pid=os.getpid(), key=running_process_key(os.getpid()))
    takeover = await take_over_dead(db, here(), actor="judge")
    assert takeover.dead == {}
    assert takeover.next_due is None, "a daemon seen running here is not watched for silence"


async def test_a_daemon_on_another_host_is_dead_only_when_silent(db: Database, gone_process: tuple[int, str]) -> None:
    pid, key = gone_process
    await register(db, "fresh", host="host-b", pid=pid, key=key, age=1)
    await register(db, "silent", host="host-b", pid=pid, key=key, age=DEAD_AFTER_HEARTBEATS * INTERVAL + 1)
    takeover = await take_over_dead(db, here(), actor="judge")
    assert takeover.dead == {"silent": CauseOfDeath.SILENT}
    assert takeover.next_due is not None and takeover.next_due <= DEAD_AFTER_HEARTBEATS * INTERVAL - 1
    assert await status_of(db, "fresh") == DaemonStatus.RUNNING


async def test_two_judges_at_once_hand_back_once(db: Database, clock: ManualClock) -> None:
    await register(db, "silent", host="host-b", pid=1, key=None, age=DEAD_AFTER_HEARTBEATS * INTERVAL + 1)
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    await claim(db, clock, 1, owner="silent")
    results = []

    async def judge(name: str) -> None:
        results.append(await take_over_dead(db, here(name), actor=name))

    async with anyio.create_task_group() as group:
        group.start_soon(judge, "j1")
        group.start_soon(judge, "j2")
    assert sorted(len(r.dead) for r in results) == [0, 1]
    async with db.read() as conn:
        task = await task_store.get_task(conn, task_id)
        assert task is not None
        events = await task_store.task_events_of(conn, task.id)
    assert task.status == S.PENDING
    assert [(e.from_status, e.to_status) for e in events][-1:] == [(S.SUBMITTING, S.PENDING)]
    assert sum(1 for e in events if e.to_status == S.PENDING) == 2, "submitted, then rescued once"


async def test_publishing_entries_of_a_dead_daemon_go_back_to_the_pool(db: Database, clock: ManualClock) -> None:
    from contenthub_async.domain.vocabulary import PoolStatus
    from contenthub_async.store import pool as pool_store
    from tests.conformance.test_publish_pool import claim as claim_entries
    from tests.conformance.test_publish_pool import pool_entries

    await register(db, "silent", host="host-b", pid=1, key=None, age=DEAD_AFTER_HEARTBEATS * INTERVAL + 1)
    mine, theirs = await pool_entries(db, clock, 1, 2)
    assert await claim_entries(db, clock, 1, owner="silent") == [mine]
    assert await claim_entries(db, clock, 1, owner="alive") == [theirs]
    takeover = await take_over_dead(db, here(), actor="judge")
    assert takeover.handed_back["publishing_entries"] == [str(mine)]
    async with db.read() as conn:
        entries = {e: await pool_store.get_entry(conn, e) for e in (mine, theirs)}
    assert entries[mine] is not None and entries[mine].status == PoolStatus.PENDING
    assert entries[mine].lease_owner is None
    assert entries[theirs] is not None and entries[theirs].status == PoolStatus.PUBLISHING


async def test_webhook_deliveries_of_a_dead_daemon_are_claimable_at_once(db: Database, clock: ManualClock) -> None:
    from contenthub_async.store import webhooks as webhook_store
    from tests.conformance.test_webhooks import failed_event

    await register(db, "silent", host="host-b", pid=1, key=None, age=DEAD_AFTER_HEARTBEATS * INTERVAL + 1)
    await failed_event(db, clock, ["http://a/", "http://b/"])
    async with db.write() as conn:
        [held] = await webhook_store.claim_deliveries(conn, owner="silent", limit=1, now=clock.now(), lease_seconds=300)
        [other] = await webhook_store.claim_deliveries(conn, owner="alive", limit=1, now=clock.now(), lease_seconds=300)
    takeover = await take_over_dead(db, here(), actor="judge")
    assert takeover.handed_back["webhook_deliveries"] == [str(held.delivery_id)]
    async with db.write() as conn:
        [again] = await webhook_store.claim_deliveries(conn, owner="judge", limit=5, now=clock.now(), lease_seconds=300)
    assert again.delivery_id == held.delivery_id != other.delivery_id
