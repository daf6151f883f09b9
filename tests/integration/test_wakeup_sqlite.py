"""The SQLite change source (services/wakeup.py) on a real database file: a change committed by
another connection wakes every loop; tasks committed through ``new_task_writes`` (the HTTP API's
submissions) wake only the loops that take new tasks, so an idle webhook deliverer, publisher or
scheduler does not run a round for them; the daemon's heartbeat, committed through
``unheard_writes``, wakes none."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.wakeup import SqliteDataVersionSource, Wakeup
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.conformance.support import add_account

POLL = 0.02


class _Rounds:
    """A service that counts its rounds and otherwise sleeps until woken."""

    name = "counting"

    def __init__(self) -> None:
        self.rounds = 0

    async def run_once(self) -> float | None:
        self.rounds += 1
        return None


async def _until(condition: Callable[[], object]) -> None:
    with anyio.fail_after(60):
        while not condition():
            await anyio.sleep(POLL / 2)


async def _account_seen(db: Database, clock: ManualClock, wakeup: Wakeup) -> int:
    """An account, added by another connection; returns once the source has seen that commit."""
    before = wakeup.generation
    account = await add_account(db, clock)
    await _until(lambda: wakeup.generation != before)
    return account


@asynccontextmanager
async def source_running(db: Database) -> AsyncIterator[tuple[SqliteDataVersionSource, Wakeup, Wakeup]]:
    """The source polling ``db`` (every :data:`POLL` seconds), with the wake-ups it notifies."""
    # An empty WAL first: a checkpoint and the WAL restart after it can change data_version
    # without a commit (a spurious "change": harmless to a daemon, not what is tested here).
    async with db.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # not busy: done
    wakeup = Wakeup()
    new_tasks = wakeup.narrower()
    source = SqliteDataVersionSource(db, POLL, new_tasks=new_tasks)
    async with anyio.create_task_group() as group:
        group.start_soon(source.run, wakeup)
        await _until(lambda: source.polling)
        yield source, wakeup, new_tasks
        group.cancel_scope.cancel()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_new_tasks_wake_only_the_narrower_wakeup_and_other_writes_wake_all(
    db: Database, clock: ManualClock
) -> None:
    async with source_running(db) as (source, wakeup, new_tasks):
        account = await _account_seen(db, clock, wakeup)
        everything_before, tasks_before = wakeup.generation, new_tasks.generation

        async with source.new_task_writes() as conn:
            await task_store.insert_tasks(conn, [NewTask(account_id=account, topic="via the API")], now=clock.now(),
                                          actor="http")
        # The poll after the commit wakes the new-task loops; that same poll would have woken every
        # loop had it seen the commit in data_version.
        await _until(lambda: new_tasks.generation != tasks_before)
        assert wakeup.generation == everything_before

        tasks_before = new_tasks.generation  # before the commit: the source may see it at once
        async with db.write() as conn:  # another connection, as contenthub-ctl or another loop
            await task_store.insert_tasks(conn, [NewTask(account_id=account, topic="via the CLI")], now=clock.now(),
                                          actor="cli")
        await _until(lambda: wakeup.generation != everything_before)
        assert new_tasks.generation != tasks_before  # the narrower one with them


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_loop_waiting_for_every_change_runs_no_round_for_new_tasks(
    db: Database, clock: ManualClock
) -> None:
    """E.g. the webhook deliverer: its round (a write transaction) is not run for submissions."""
    async with source_running(db) as (source, wakeup, new_tasks):
        account = await _account_seen(db, clock, wakeup)
        broad, narrow = _Rounds(), _Rounds()
        stopping = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(ServiceLoop(broad, interval=3600, log=None, wakeup=wakeup).run, stopping)
            group.start_soon(ServiceLoop(narrow, interval=3600, log=None, wakeup=new_tasks).run, stopping)
            await _until(lambda: broad.rounds and narrow.rounds)  # their first rounds
            for i in range(3):
                broad_rounds, narrow_rounds = broad.rounds, narrow.rounds
                async with source.new_task_writes() as conn:
                    await task_store.insert_tasks(conn, [NewTask(account_id=account, topic=f"t{i}")], now=clock.now(),
                                                  actor="http")
                await _until(lambda n=narrow_rounds: narrow.rounds > n)  # woken by the commit
                assert broad.rounds == broad_rounds
            stopping.set()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_failed_transaction_of_new_tasks_leaves_the_source_working(
    db: Database, clock: ManualClock
) -> None:
    async with source_running(db) as (source, _, _):
        account = await add_account(db, clock)
        with pytest.raises(RuntimeError):
            async with source.new_task_writes() as conn:
                await task_store.insert_tasks(conn, [NewTask(account_id=account, topic="rolled back")],
                                              now=clock.now(), actor="http")
                raise RuntimeError("a statement failed")
        async with source.new_task_writes() as conn:
            await task_store.insert_tasks(conn, [NewTask(account_id=account, topic="kept")], now=clock.now(),
                                          actor="http")
        async with db.read() as conn:
            topics = [t.topic for t in await task_store.list_tasks(conn, limit=10)]
        assert topics == ["kept"] and source.polling  # still on its own connection


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_heartbeat_through_unheard_writes_wakes_no_loop(db: Database, clock: ManualClock) -> None:
    async with source_running(db) as (source, wakeup, new_tasks):
        account = await _account_seen(db, clock, wakeup)
        before = wakeup.generation
        async with db.write() as conn:  # another connection: heard
            await daemon_store.register_daemon(conn, daemon_id="d", hostname="h", pid=1, version="t", now=clock.now())
        await _until(lambda: wakeup.generation != before)
        everything_before, tasks_before = wakeup.generation, new_tasks.generation
        for _ in range(3):
            async with source.unheard_writes() as conn:
                assert await daemon_store.heartbeat(conn, "d", now=await daemon_store.database_now(conn))
        async with source.new_task_writes() as conn:
            await task_store.insert_tasks(conn, [NewTask(account_id=account, topic="t")], now=clock.now(), actor="http")
        # the poll that wakes the new-task loops comes after the heartbeats were committed
        await _until(lambda: new_tasks.generation != tasks_before)
        assert wakeup.generation == everything_before
        async with db.read() as conn:
            [life] = await daemon_store.possibly_alive(conn)
        assert life.daemon_id == "d" and life.heartbeat_at > clock.now() - timedelta(days=1)
