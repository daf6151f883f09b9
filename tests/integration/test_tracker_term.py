"""The tracking cycle as a leadership term, on both backends with the fake creator as a real
subprocess: a cycle longer than the term keeps it (no second daemon runs a cycle meanwhile), a
cycle whose term is lost is aborted at once, and a clean stop releases the lease."""

from __future__ import annotations

import dataclasses
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
from sqlalchemy import text

from contenthub_async.clock import SystemClock
from contenthub_async.creator.cli import CliCreator
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import Knobs, ServiceContext
from contenthub_async.services.leadership import LeadershipLost, Term
from contenthub_async.services.tracker import LEASE_NAME, Tracker
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.conformance.support import add_account, claim, submit
from tests.support.daemons import FAKE_CREATOR, creator_invocations, fake_knobs

S = TaskStatus
#: term = max(3 × poll, 2 × heartbeat) = 3 s: renewed every second, given up half a second before
#: its end (short enough for a quick test, long enough for a loaded machine's renewals)
KNOBS = Knobs(max_concurrent_tasks=5, task_timeout=600, poll_interval=1.0, retry_backoff=1, retry_backoff_max=2,
              lease_seconds=300, list_limit=50, heartbeat_interval=0.5, janitor_interval=0.5, shutdown_grace=1,
              wakeup_interval=0.1)


def context(db: Database, state: Path, daemon_id: str, *, call_timeout: float, **fake: object) -> ServiceContext:
    creator = CliCreator.from_command_line(str(FAKE_CREATOR), extra_env=fake_knobs(state, **fake),
                                           call_timeout=call_timeout, max_processes=4)
    return ServiceContext(db=db, creator=creator, clock=SystemClock(), knobs=KNOBS, daemon_id=daemon_id,
                          log=structlog.get_logger("test"))


async def task_at_creator(db: Database, *, overdue: bool) -> Task:
    """A ``submitted`` task (past its timeout when ``overdue``)."""
    clock = SystemClock()
    account = await add_account(db, clock)  # type: ignore[arg-type]
    [task_id] = await submit(db, clock, account, 5)  # type: ignore[arg-type]
    [claimed] = await claim(db, clock, 1)  # type: ignore[arg-type]
    now = clock.now()
    async with db.write() as conn:
        moved = await task_store.transition(
            conn, claimed, S.SUBMITTED, now=now, actor="test",
            values={"creator_task_id": "00000000-0000-4000-8000-000000000001", "submitted_at": now,
                    "timeout_at": now + timedelta(seconds=-1 if overdue else 600)},
        )
    assert moved is not None and moved.task_id == task_id
    return moved


async def holder(db: Database) -> str | None:
    async with db.read() as conn:
        held = await daemon_store.lease_holder(conn, LEASE_NAME)
    return held[0] if held else None


@pytest.mark.slow
async def test_a_cycle_longer_than_its_term_keeps_it_and_no_second_daemon_cycles(db: Database, tmp_path: Path) -> None:
    await task_at_creator(db, overdue=False)
    # A's `list` hangs until its 10 s call timeout: a cycle over three terms long.
    first = Tracker(context(db, tmp_path / "a", "daemon-a", call_timeout=10, hang="list"))
    second = Tracker(context(db, tmp_path / "b", "daemon-b", call_timeout=10))
    assert first.term.seconds == 3.0
    attempts_after_one_term = 0
    async with anyio.create_task_group() as group:
        done = anyio.Event()

        async def first_cycle() -> None:
            assert await first.cycle_if_leader()
            done.set()

        began = anyio.current_time()
        group.start_soon(first_cycle)
        with anyio.fail_after(30):
            while await holder(db) != "daemon-a":
                await anyio.sleep(0.02)
        while not done.is_set():
            assert not await second.cycle_if_leader(), "a second daemon must not cycle during the first's"
            if anyio.current_time() - began > 2 * first.term.seconds:
                attempts_after_one_term += 1
            await anyio.sleep(0.1)
    assert attempts_after_one_term > 0, "the first cycle outlived its unrenewed term"
    assert await holder(db) == "daemon-a"
    assert "list" not in creator_invocations(tmp_path / "b")


async def test_a_cycle_whose_term_is_lost_is_aborted_at_once(db: Database, tmp_path: Path) -> None:
    task = await task_at_creator(db, overdue=True)
    # `list` would hang for 120 s; the overdue task would time out in the cycle's last phase.
    tracker = Tracker(context(db, tmp_path / "a", "daemon-a", call_timeout=120, hang="list"))

    async def take_the_lease_mid_list() -> None:  # as a daemon that found daemon-a dead would
        while "list" not in creator_invocations(tmp_path / "a"):
            await anyio.sleep(0.05)
        async with db.write() as conn:
            await conn.execute(text("UPDATE leases SET owner = 'daemon-b' WHERE name = :n"), {"n": LEASE_NAME})

    async with anyio.create_task_group() as group:
        group.start_soon(take_the_lease_mid_list)
        with anyio.fail_after(60):  # far shorter than the hung call: only an abort ends the cycle
            assert await tracker.cycle_if_leader()
    async with db.read() as conn:
        after = await task_store.get_task(conn, task.task_id)
    assert after is not None and after.status == S.SUBMITTED, "no phase ran after the term was lost"
    assert not tracker.term.held and await holder(db) == "daemon-b"


async def test_between_phases_a_lost_term_stops_the_cycle(db: Database, tmp_path: Path) -> None:
    task = await task_at_creator(db, overdue=True)
    tracker = Tracker(context(db, tmp_path / "a", "daemon-a", call_timeout=10))
    other = dataclasses.replace(tracker.ctx, daemon_id="daemon-b")
    assert await Tracker(other).term.acquire()

    with pytest.raises(LeadershipLost):
        await tracker.cycle(between_phases=tracker.term.confirm)
    async with db.read() as conn:
        after = await task_store.get_task(conn, task.task_id)
    assert after is not None and after.status == S.SUBMITTED


async def test_a_clean_stop_releases_the_lease(db: Database, tmp_path: Path) -> None:
    tracker = Tracker(context(db, tmp_path / "a", "daemon-a", call_timeout=10))
    stopping = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(tracker.run, stopping)
        with anyio.fail_after(30):
            while await holder(db) != "daemon-a":
                await anyio.sleep(0.02)
        stopping.set()
    assert await holder(db) is None


async def test_a_forced_stop_mid_cycle_releases_the_lease(db: Database, tmp_path: Path) -> None:
    await task_at_creator(db, overdue=False)
    # `list` hangs for its whole 120 s call timeout: the stop comes in the middle of a cycle.
    tracker = Tracker(context(db, tmp_path / "a", "daemon-a", call_timeout=120, hang="list"))
    async with anyio.create_task_group() as group:
        group.start_soon(tracker.run, anyio.Event())  # never asked to stop gracefully
        with anyio.fail_after(60):
            while "list" not in creator_invocations(tmp_path / "a"):
                await anyio.sleep(0.05)
        assert await holder(db) == "daemon-a"
        group.cancel_scope.cancel()  # as a second signal cancels the daemon's loops
    assert await holder(db) is None


async def expiry(db: Database) -> object:
    async with db.read() as conn:
        held = await daemon_store.lease_holder(conn, LEASE_NAME)
    assert held is not None
    return held[1]


async def test_with_nothing_at_the_creator_a_cycle_only_keeps_the_term(db: Database, tmp_path: Path) -> None:
    # A 30 s term (10 s poll): no renewal falls due between two cycles a moment apart.
    idle = dataclasses.replace(context(db, tmp_path / "a", "daemon-a", call_timeout=10),
                               knobs=dataclasses.replace(KNOBS, poll_interval=10.0))
    tracker, second = Tracker(idle), Tracker(dataclasses.replace(idle, daemon_id="daemon-b"))
    assert await tracker.cycle_if_leader()
    taken = await expiry(db)
    assert await tracker.cycle_if_leader()
    assert await expiry(db) == taken, "an idle holder writes no renewal every poll"
    assert not await second.cycle_if_leader(), "the term is still held"
    assert await holder(db) == "daemon-a"
    assert creator_invocations(tmp_path / "a") == [], "nothing was asked of content-creator"


async def test_an_idle_holder_renews_its_term_before_it_ends(db: Database, tmp_path: Path) -> None:
    tracker = Tracker(context(db, tmp_path / "a", "daemon-a", call_timeout=10))  # a 3 s term
    assert await tracker.cycle_if_leader()
    taken = await expiry(db)
    with anyio.fail_after(60):
        while await expiry(db) == taken:
            assert await tracker.cycle_if_leader()
            await anyio.sleep(0.1)
    assert await holder(db) == "daemon-a"


async def test_a_held_term_is_renewed_through_unheard_writes(db: Database) -> None:
    """Taking the lease is an ordinary write; renewing a held term goes through ``unheard_writes``
    (on SQLite the daemon's polled connection: it wakes none of its loops). A renewal that finds
    the lease taken by another ends the term."""
    unheard: list[str] = []

    def unheard_writes() -> AbstractAsyncContextManager[Any]:
        unheard.append("write")
        return db.write()

    term = Term(db, LEASE_NAME, owner="a", seconds=300, log=structlog.get_logger("test"), unheard_writes=unheard_writes)
    assert await term.acquire() and unheard == []
    assert await term.acquire() and unheard == ["write"]
    async with db.write() as conn:  # taken over meanwhile (e.g. "a" was taken for dead)
        await daemon_store.release_lease(conn, LEASE_NAME, owner="a")
        now = await daemon_store.database_now(conn)
        assert await daemon_store.try_acquire_lease(conn, LEASE_NAME, owner="b", now=now, ttl_seconds=300)
    assert not await term.acquire() and not term.held
    assert unheard == ["write", "write"]
