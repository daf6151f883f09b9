"""Conformance, metrics: the read-only aggregates of store/metrics.py on known rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.zones import calendar_days
from contenthub_async.store import accounts as account_store
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import metrics as metrics_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import leases
from tests.support.task_states import place_task

S = TaskStatus
MIDNIGHT = datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC)


async def _account(db: Database, clock: ManualClock) -> int:
    async with db.write() as conn:
        return (await account_store.insert_account(conn, name="acc", now=clock.now())).id


async def test_queue_and_completion_aggregates(db: Database, clock: ManualClock) -> None:
    t0 = clock.now()
    account = await _account(db, clock)
    async with db.write() as conn:
        for i, seconds in enumerate(range(10, 101, 10)):  # durations 10..100 s, completed in that order
            created = t0 - timedelta(hours=2) + timedelta(minutes=i)
            await place_task(conn, account_id=account, status=S.COMPLETED, created=created,
                             finished=created + timedelta(seconds=seconds))
        late = await place_task(conn, account_id=account, status=S.PENDING, created=t0 - timedelta(minutes=1),
                                priority=8)
        oldest = await place_task(conn, account_id=account, status=S.PENDING, created=t0 - timedelta(minutes=30),
                                  priority=3)
        first = await place_task(conn, account_id=account, status=S.PENDING, created=t0 - timedelta(minutes=20),
                                 priority=8)
        stuck = await place_task(conn, account_id=account, status=S.PROCESSING, created=t0 - timedelta(hours=1),
                                 timeout_at=t0 - timedelta(minutes=10))
        await place_task(conn, account_id=account, status=S.SUBMITTED, created=t0 - timedelta(minutes=5),
                         timeout_at=t0 + timedelta(minutes=25))
        await place_task(conn, account_id=account, status=S.FAILED, created=t0 - timedelta(minutes=50),
                         finished=t0 - timedelta(minutes=40), error="boom")
        await place_task(conn, account_id=account, status=S.TIMEOUT, created=t0 - timedelta(minutes=50),
                         finished=t0 - timedelta(minutes=10), error="too slow")
        await place_task(conn, account_id=account, status=S.CANCELLED, created=t0 - timedelta(minutes=50),
                         finished=t0 - timedelta(minutes=5))

    async with db.read() as conn:
        durations = await metrics_store.completion_durations(conn)
        assert sorted(durations) == [float(s) for s in range(10, 101, 10)]
        assert await metrics_store.completion_durations(conn, limit=3) == [100.0, 90.0, 80.0]  # newest first

        depth = await metrics_store.pending_by_priority(conn)
        assert depth == {8: 2, 3: 1} and list(depth) == [8, 3]
        assert await metrics_store.oldest_pending(conn) == metrics_store.OldestPending(oldest.task_id,
                                                                                       oldest.created_at)
        queue = await metrics_store.pending_in_queue_order(conn, limit=10)
        assert [t.task_id for t in queue] == [late.task_id, first.task_id, oldest.task_id]  # priority, then id
        assert [t.task_id for t in await metrics_store.pending_in_queue_order(conn, limit=1)] == [late.task_id]

        assert await metrics_store.stuck_tasks(conn, deadline_before=t0, limit=10) == (1, [stuck.task_id])
        assert await metrics_store.stuck_tasks(conn, deadline_before=t0 - timedelta(minutes=11), limit=10) == (0, [])
        assert await metrics_store.finished_since(conn, since=t0 - timedelta(minutes=45)) == {
            "failed": 1, "timeout": 1}
        since_three_hours = await metrics_store.finished_since(conn, since=t0 - timedelta(hours=3))
        assert since_three_hours == {"completed": 10, "failed": 1, "timeout": 1}


async def test_days_are_the_given_calendar_days_and_failure_reasons_are_grouped(
    db: Database, clock: ManualClock
) -> None:
    account = await _account(db, clock)
    before_midnight = MIDNIGHT - timedelta(milliseconds=1)
    async with db.write() as conn:
        await place_task(conn, account_id=account, status=S.PENDING, created=MIDNIGHT - timedelta(days=3))  # too old
        await place_task(conn, account_id=account, status=S.FAILED, created=MIDNIGHT - timedelta(days=3),
                         finished=MIDNIGHT - timedelta(days=3), error="old failure")
        await place_task(conn, account_id=account, status=S.COMPLETED, created=before_midnight - timedelta(hours=1),
                         finished=before_midnight)
        await place_task(conn, account_id=account, status=S.FAILED, created=before_midnight,
                         finished=MIDNIGHT, error="boom")
        for error in ("boom", "boom", "too slow", None):
            await place_task(conn, account_id=account, status=S.FAILED, created=MIDNIGHT + timedelta(hours=1),
                             finished=MIDNIGHT + timedelta(hours=2), error=error)
        await place_task(conn, account_id=account, status=S.TIMEOUT, created=MIDNIGHT + timedelta(hours=1),
                         finished=MIDNIGHT + timedelta(hours=3), error="too slow")
        await place_task(conn, account_id=account, status=S.CANCELLED, created=MIDNIGHT + timedelta(hours=1),
                         finished=MIDNIGHT + timedelta(hours=3))

    now = MIDNIGHT + timedelta(hours=3)
    utc_days = calendar_days(now, 2, UTC)
    # Shanghai's 2026-11-22 began at 2026-11-21T16:00Z: every recent row is on it.
    shanghai_days = calendar_days(now, 2, ZoneInfo("Asia/Shanghai"))
    async with db.read() as conn:
        if conn.dialect.name == "postgresql":
            # The session's own zone must not move rows to other days.
            await conn.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
        assert await metrics_store.submitted_per_day(conn, days=utc_days) == {"2026-11-21": 2, "2026-11-22": 6}
        assert await metrics_store.finished_per_day(conn, days=utc_days) == {
            ("2026-11-21", "completed"): 1, ("2026-11-22", "failed"): 5, ("2026-11-22", "timeout"): 1}
        assert await metrics_store.submitted_per_day(conn, days=shanghai_days) == {"2026-11-22": 8}
        assert await metrics_store.finished_per_day(conn, days=shanghai_days) == {
            ("2026-11-22", "completed"): 1, ("2026-11-22", "failed"): 5, ("2026-11-22", "timeout"): 1}
        reasons = await metrics_store.failure_reasons(conn, since=utc_days[0].start, limit=10)
        top_two = await metrics_store.failure_reasons(conn, since=utc_days[0].start, limit=2)

    assert [(r.message, r.count) for r in reasons] == [("boom", 3), ("too slow", 2), (None, 1)]
    assert [(r.message, r.count) for r in top_two] == [("boom", 3), ("too slow", 2)]


async def test_latest_heartbeat_skips_stopped_daemons_and_write_probe_leaves_nothing(
    db: Database, clock: ManualClock
) -> None:
    t0 = clock.now()
    async with db.read() as conn:
        assert await daemon_store.latest_heartbeat(conn) is None
    async with db.write() as conn:
        for daemon_id, beat in (("old", t0 - timedelta(minutes=5)), ("live", t0 - timedelta(seconds=4)),
                                ("gone", t0)):
            await daemon_store.register_daemon(conn, daemon_id=daemon_id, hostname="h", pid=1, version="1",
                                               now=beat, settings={"processing_enabled": daemon_id != "old"})
        await daemon_store.mark_stopped(conn, "gone", now=t0)
    async with db.write() as conn:
        await metrics_store.write_probe(conn, now=t0)
    async with db.read() as conn:
        assert await daemon_store.latest_heartbeat(conn) == daemon_store.Heartbeat(
            "live", t0 - timedelta(seconds=4), {"processing_enabled": True})
        assert (await conn.execute(select(func.count()).select_from(leases))).scalar_one() == 0
