"""Conformance, console: what the web console's pages read (services/console_queries.py and the
store statements behind it), on known rows, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services import console_queries, job_commands
from contenthub_async.services.console_queries import TaskQuery
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.dialect import dialect_of
from tests.conformance.support import add_account
from tests.support.task_states import place_task

S = TaskStatus


async def test_overview_counts_queue_charts_and_recent_tasks(db: Database, clock: ManualClock) -> None:
    now = clock.now()  # 08:00 UTC
    account = await add_account(db, clock)
    async with db.write() as conn:
        # finished in this hour, an hour ago, and 30 hours ago (outside the 24 h chart, inside the week)
        for minutes in (5, 20):
            await place_task(conn, account_id=account, status=S.COMPLETED, created=now - timedelta(hours=1),
                             finished=now - timedelta(minutes=minutes))
        await place_task(conn, account_id=account, status=S.FAILED, created=now - timedelta(hours=2),
                         finished=now - timedelta(minutes=61), error="rate limited")
        await place_task(conn, account_id=account, status=S.TIMEOUT, created=now - timedelta(hours=31),
                         finished=now - timedelta(hours=30), error="too slow")
        await place_task(conn, account_id=account, status=S.COMPLETED, created=now - timedelta(days=9),
                         finished=now - timedelta(days=8))  # older than the week: in no chart
        await place_task(conn, account_id=account, status=S.PROCESSING, created=now - timedelta(minutes=3))
        await place_task(conn, account_id=account, status=S.PENDING, created=now - timedelta(minutes=2))
        waiting = await place_task(conn, account_id=account, status=S.PENDING, created=now - timedelta(minutes=1),
                                   topic="waits out a backoff")
        await task_store.record_note(conn, waiting, now=now, actor="t",
                                     values={"run_after": now + timedelta(minutes=5)})
        await daemon_store.register_daemon(conn, daemon_id="d-live", hostname="h", pid=1, version="t",
                                           now=now - timedelta(seconds=20))
        await daemon_store.register_daemon(conn, daemon_id="d-gone", hostname="h", pid=2, version="t",
                                           now=now - timedelta(days=3))
        await daemon_store.mark_stopped(conn, "d-gone", now=now - timedelta(days=2))
    await job_commands.create_job(db, name="nightly", job_type="cleanup", cron_expr="0 3 * * *", timezone="UTC",
                                  params={"days": 30}, clock=clock)
    await job_commands.create_job(db, name="paused", job_type="cleanup", cron_expr="0 1 * * *", timezone="UTC",
                                  params={"days": 30}, active=False, clock=clock)

    data = await console_queries.overview(db, now=now, max_concurrent=4)

    assert data.by_status == {"pending": 2, "submitting": 0, "submitted": 0, "processing": 1, "completed": 3,
                              "failed": 1, "timeout": 1, "cancelled": 0}
    assert data.total == 8
    assert (data.due, data.in_flight, data.max_concurrent) == (1, 1, 4)
    assert len(data.last_day) == 24 and len(data.last_week) == 168
    assert data.last_day[-1].start == now.replace(minute=0) and data.last_week[-1] == data.last_day[-1]
    # 06:59 and 07:40, 07:55; nothing yet in the current hour (08:00-)
    assert [(b.completed, b.failed) for b in data.last_day[-3:]] == [(0, 1), (2, 0), (0, 0)]
    assert sum(b.finished for b in data.last_day) == 3
    assert sum(b.finished for b in data.last_week) == 4  # the timeout 30 h ago; not the completion 8 days ago
    assert data.last_week[-31].failed == 1
    assert console_queries.success_rate(data.last_day) == 2 / 3
    assert {(r.message, r.count) for r in data.failure_reasons} == {("rate limited", 1), ("too slow", 1)}
    assert [d.id for d in data.daemons] == ["d-live"]  # stopped two days ago: gone from the overview
    assert [j.name for j in data.next_firings] == ["nightly"]
    assert [t.topic for t in data.recent][0] == "waits out a backoff"
    assert len(data.recent) == 8 and data.accounts[account].name == "acc"


async def test_hour_label_is_the_utc_hour_on_both_backends(db: Database, clock: ManualClock) -> None:
    from sqlalchemy import literal, select

    from contenthub_async.store.types import UtcDateTime

    at = clock.now() + timedelta(hours=15, minutes=59, seconds=59)  # 23:59:59 UTC
    async with db.read() as conn:
        label = (await conn.execute(select(dialect_of(conn).hour_label(literal(at, UtcDateTime()))))).scalar_one()
    assert label == "2026-11-22T23"


async def test_browse_filters_sorts_and_pages_without_gaps(db: Database, clock: ManualClock) -> None:
    main = await add_account(db, clock, "main")
    other = await add_account(db, clock, "other")
    topics = ["Spring sale", "50% off everything", "spring_cleaning", "新能源汽车", "AUTUMN"]
    async with db.write() as conn:
        placed = []
        for i in range(23):
            account = main if i % 3 else other
            status = S.FAILED if i % 4 == 0 else S.PENDING
            created = clock.now() + timedelta(seconds=i // 2)  # pairs share a created_at: ties break by id
            placed.append(await place_task(conn, account_id=account, status=status, created=created,
                                           finished=created + timedelta(seconds=1), topic=topics[i % len(topics)]))
    newest_first = [t.task_id for t in sorted(placed, key=lambda t: (t.created_at, t.id), reverse=True)]

    async def walk(query: TaskQuery) -> list[str]:
        seen: list[str] = []
        after = None
        while True:
            page = await console_queries.browse(db, TaskQuery(query.statuses, query.account_id, query.text,
                                                              query.oldest_first, after), page_size=5)
            seen += [t.task_id for t in page.tasks]
            if page.next_after is None:
                return seen
            after = page.next_after

    assert await walk(TaskQuery()) == newest_first
    assert await walk(TaskQuery(oldest_first=True)) == newest_first[::-1]
    failed = await walk(TaskQuery(statuses=frozenset({S.FAILED})))
    assert failed == [t.task_id for t in sorted(placed, key=lambda t: (t.created_at, t.id), reverse=True)
                      if t.id in {p.id for i, p in enumerate(placed) if i % 4 == 0}]
    by_other = await walk(TaskQuery(account_id=other))
    assert set(by_other) == {p.task_id for i, p in enumerate(placed) if i % 3 == 0}
    spring = await walk(TaskQuery(text="SPRING"))  # case-insensitive substring
    assert {topics[placed.index(next(p for p in placed if p.task_id == t)) % 5] for t in spring} == {
        "Spring sale", "spring_cleaning"}
    assert len(await walk(TaskQuery(text="%"))) == len([p for p in placed if "%" in p.topic])  # no wildcard
    assert len(await walk(TaskQuery(text="_"))) == len([p for p in placed if "_" in p.topic])
    assert len(await walk(TaskQuery(text="能源"))) == len([p for p in placed if "能源" in p.topic])
    one = placed[7].task_id
    assert await walk(TaskQuery(text=one)) == [one]
    assert await walk(TaskQuery(text=one[:-3].upper())) == [t for t in newest_first if t.startswith(one[:-3])]
    assert await walk(TaskQuery(text="task-xyz")) == []
    page = await console_queries.browse(db, TaskQuery(), page_size=50)
    assert page.next_after is None and len(page.tasks) == 23
    assert {a.name for a in page.accounts.values()} == {"main", "other"}


async def test_task_view_and_scheduler_view(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    async with db.write() as conn:
        failed = await place_task(conn, account_id=account, status=S.FAILED, created=clock.now(),
                                  finished=clock.now() + timedelta(seconds=3), error="creator exploded")
    view = await console_queries.task_view(db, failed.task_id)
    assert view is not None
    assert view.detail.task.error_message == "creator exploded"
    assert [e.to_status for e in view.detail.events] == ["pending", "submitting", "submitted", "processing", "failed"]
    assert view.detail.attempts == 1 and view.article is None and view.pool_entry is None
    assert await console_queries.task_view(db, "task-000000000000") is None

    job = await job_commands.create_job(db, name="nightly", job_type="cleanup", cron_expr="0 3 * * *",
                                        timezone=None, params={"days": 30}, clock=clock)
    await job_commands.trigger_job(db, job.id, clock=clock)
    scheduler = await console_queries.scheduler_view(db)
    assert [j.name for j in scheduler.jobs] == ["nightly"]
    assert [(r.job_id, r.trigger) for r in scheduler.runs] == [(job.id, "manual")]
    assert scheduler.job_names == {job.id: "nightly"}


async def test_closed_hours_are_reread_once_a_minute_and_the_current_hour_always(
    db: Database, clock: ManualClock
) -> None:
    account = await add_account(db, clock)
    now = clock.now() + timedelta(minutes=30)  # 08:30
    hours = console_queries.FinishedHours(refresh_seconds=60)

    async def finish_at(at: timedelta) -> None:
        async with db.write() as conn:
            await place_task(conn, account_id=account, status=S.COMPLETED, created=now - timedelta(hours=3),
                             finished=now + at)

    async def series(at: timedelta) -> list[int]:
        data = await console_queries.overview(db, now=now + at, max_concurrent=1, hours=hours)
        return [b.completed for b in data.last_day[-3:]]

    await finish_at(-timedelta(hours=1))  # 07:30
    assert await series(timedelta(0)) == [0, 1, 0]
    await finish_at(-timedelta(minutes=90))  # 07:00, a closed hour: not seen before the refresh
    await finish_at(timedelta(seconds=1))  # the current hour: seen at once
    assert await series(timedelta(seconds=10)) == [0, 1, 1]
    assert await series(timedelta(seconds=61)) == [0, 2, 1]
    assert await series(timedelta(minutes=31)) == [2, 1, 0]  # 09:01: a new hour re-reads everything


async def test_status_counts_follow_the_event_log_and_a_full_count_corrects_deletions(
    db: Database, clock: ManualClock
) -> None:
    from contenthub_async.services import task_commands
    from contenthub_async.store import retention

    account = await add_account(db, clock)
    counts = console_queries.StatusCounts(recount_seconds=60)

    async def both() -> tuple[dict[str, int], dict[str, int]]:
        async with db.read() as conn:
            kept = {k: v for k, v in (await counts.counts(conn, now=clock.now())).items() if v}
            return kept, await task_store.count_by_status(conn)

    async with db.write() as conn:
        old = await place_task(conn, account_id=account, status=S.COMPLETED, created=clock.now() - timedelta(days=40),
                               finished=clock.now() - timedelta(days=39))
    assert await both() == ({"completed": 1}, {"completed": 1})  # the first call counts in full
    async with db.write() as conn:
        failed = await place_task(conn, account_id=account, status=S.FAILED, created=clock.now(),
                                  finished=clock.now(), error="boom")
        await place_task(conn, account_id=account, status=S.PROCESSING, created=clock.now())
        await place_task(conn, account_id=account, status=S.PENDING, created=clock.now())
    clock.advance(1)
    seen, truth = await both()
    assert seen == truth == {"completed": 1, "failed": 1, "processing": 1, "pending": 1}
    await task_commands.retry_task(db, failed.task_id, clock=clock, actor="test")  # failed -> pending
    pending = [t.task_id for t in (await console_queries.browse(db, TaskQuery(statuses=frozenset({S.PENDING})))).tasks]
    await task_commands.cancel_task(db, pending[0], clock=clock, actor="test")
    seen, truth = await both()
    assert seen == truth == {"completed": 1, "processing": 1, "pending": 1, "cancelled": 1}
    # deleting a task writes no event: the counts keep it until the next full count
    async with db.write() as conn:
        await retention.delete_finished_before(conn, clock.now() - timedelta(days=30))
    seen, truth = await both()
    assert truth == {"processing": 1, "pending": 1, "cancelled": 1} and seen == {**truth, "completed": 1}
    assert old.status == S.COMPLETED
    clock.advance(60)
    assert await both() == (truth, truth)
