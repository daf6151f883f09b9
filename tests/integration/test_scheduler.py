"""The scheduler against real databases (SQLite and PostgreSQL), time driven by ManualClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from contenthub_async.clock import ManualClock
from contenthub_async.daemon.runner import knobs_from
from contenthub_async.domain.entities import JobRun
from contenthub_async.services import executors
from contenthub_async.services import job_commands as jobs
from contenthub_async.services import scheduler as sched
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.errors import DuplicateJobName, JobNotFound
from contenthub_async.services.executors import InvalidJobParams, RunContext
from contenthub_async.store import accounts as account_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks as tasks_table
from tests.support.daemons import settings_for
from tests.support.databases import requires_postgres

T0 = datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC)


class CounterParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: str = "x"


class Counter:
    """A test executor: counts executions per (job, scheduled_for)."""

    name = "test_counter"
    params_model = CounterParams

    def __init__(self) -> None:
        self.calls: list[tuple[int, datetime, str]] = []

    async def execute(self, ctx: RunContext, params: CounterParams) -> dict[str, Any]:
        self.calls.append((ctx.job.id, ctx.run.scheduled_for, ctx.run.trigger))
        await anyio.sleep(0)  # let a concurrent scheduler interleave
        return {"tag": params.tag}


@pytest.fixture
def counter() -> Any:
    c = Counter()
    executors.register(c, replace=True)
    yield c
    executors.unregister(c.name)


def make_scheduler(db: Database, clock: ManualClock, tmp_path: Any, daemon_id: str = "d1") -> sched.Scheduler:
    settings = settings_for(str(db.url.sqlalchemy_url), tmp_path / "fake")
    ctx = ServiceContext(db=db, creator=None, clock=clock, knobs=knobs_from(settings),  # type: ignore[arg-type]
                         daemon_id=daemon_id, log=structlog.get_logger("test"))
    return sched.Scheduler(ctx)


async def runs(db: Database, job_id: int) -> list[JobRun]:
    async with db.read() as conn:
        return sorted(await job_store.runs_of(conn, job_id, limit=100_000), key=lambda r: r.scheduled_for)


@pytest.mark.slow
async def test_every_minute_for_a_simulated_day_fires_1440_times(
    db: Database, backend: str, counter: Counter, tmp_path
) -> None:
    """The full day on SQLite (~35 s); three hours on PostgreSQL (same code path, keeps the suite short)."""
    minutes = 1440 if backend == "sqlite" else 180
    clock = ManualClock(T0 - timedelta(seconds=1))
    job = await jobs.create_job(db, name="minutely", job_type="test_counter", cron_expr="* * * * *",
                                 timezone="UTC", params={}, clock=clock)
    scheduler = make_scheduler(db, clock, tmp_path)
    assert job.next_run_at == T0
    for minute in range(minutes):
        clock.set(T0 + timedelta(minutes=minute, seconds=1))
        earliest = await scheduler.tick()
        assert earliest == T0 + timedelta(minutes=minute + 1)
        assert scheduler.sleep_seconds(earliest) == pytest.approx(59)
    all_runs = await runs(db, job.id)
    assert len(counter.calls) == minutes and len(all_runs) == minutes
    assert {r.status for r in all_runs} == {"succeeded"} and {r.trigger for r in all_runs} == {"cron"}
    assert len({r.scheduled_for for r in all_runs}) == minutes


async def test_two_schedulers_every_two_seconds_each_firing_runs_once(db: Database, counter: Counter, tmp_path) -> None:
    """Two scheduler instances (two daemon ids) on one database, ticking concurrently over 30
    simulated seconds of a 6-field per-2-second cron: driven by the injectable clock, not wall time."""
    clock = ManualClock(T0)
    job = await jobs.create_job(db, name="every2s", job_type="test_counter", cron_expr="*/2 * * * * *",
                                 timezone="UTC", params={}, clock=clock)
    a = make_scheduler(db, clock, tmp_path, "daemon-a")
    b = make_scheduler(db, clock, tmp_path, "daemon-b")
    for step in range(1, 61):  # every half second for 30 s
        clock.set(T0 + timedelta(seconds=step * 0.5))
        async with anyio.create_task_group() as group:
            group.start_soon(a.tick)
            group.start_soon(b.tick)
    all_runs = await runs(db, job.id)
    assert len(all_runs) == 15
    assert [r.scheduled_for for r in all_runs] == [T0 + timedelta(seconds=2 * i) for i in range(1, 16)]
    assert {r.status for r in all_runs} == {"succeeded"}
    assert len(counter.calls) == 15 and len({c[1] for c in counter.calls}) == 15


async def test_restart_within_grace_catches_up_once_after_grace_records_missed(
    db: Database, counter: Counter, tmp_path
) -> None:
    clock = ManualClock(T0)  # 08:00 in Shanghai is 00:00 UTC
    job = await jobs.create_job(db, name="daily", job_type="test_counter", cron_expr="0 8 * * *",
                                 timezone="Asia/Shanghai", params={}, misfire_grace_seconds=600,
                                 clock=ManualClock(T0 - timedelta(hours=1)))
    # The daemon is down at 08:00; a new one starts at 08:05 (within the 10-minute grace).
    clock.set(T0 + timedelta(minutes=5))
    await make_scheduler(db, clock, tmp_path, "restarted").tick()
    [run] = await runs(db, job.id)
    assert (run.status, run.trigger, run.scheduled_for) == ("succeeded", "catch_up", T0)
    # A second daemon starting later does not run it again.
    await make_scheduler(db, clock, tmp_path, "other").tick()
    assert len(await runs(db, job.id)) == 1 and len(counter.calls) == 1

    # Down across the next day's firing, back after the grace: recorded missed, not run.
    clock.set(T0 + timedelta(days=1, minutes=30))
    await make_scheduler(db, clock, tmp_path, "late").tick()
    day2 = (await runs(db, job.id))[-1]
    assert (day2.status, day2.scheduled_for, day2.started_at) == ("missed", T0 + timedelta(days=1), None)
    assert len(counter.calls) == 1
    async with db.read() as conn:
        again = await job_store.get_job(conn, job.id)
    assert again is not None and again.next_run_at == T0 + timedelta(days=2)


async def test_several_missed_firings_coalesce_into_one_run(db: Database, counter: Counter, tmp_path) -> None:
    clock = ManualClock(T0 - timedelta(seconds=1))
    job = await jobs.create_job(db, name="quarter", job_type="test_counter", cron_expr="*/15 * * * *",
                                 timezone="UTC", params={}, clock=clock)
    clock.set(T0 + timedelta(minutes=50))  # 00:00, 00:15, 00:30, 00:45 are due
    await make_scheduler(db, clock, tmp_path).tick()
    statuses = [(r.scheduled_for.minute, r.status) for r in await runs(db, job.id)]
    assert statuses == [(0, "missed"), (15, "missed"), (30, "missed"), (45, "succeeded")]
    assert len(counter.calls) == 1


async def test_skip_policy_never_catches_up(db: Database, counter: Counter, tmp_path) -> None:
    clock = ManualClock(T0 - timedelta(seconds=1))
    job = await jobs.create_job(db, name="skipper", job_type="test_counter", cron_expr="0 * * * *",
                                 timezone="UTC", params={}, misfire_policy="skip", clock=clock)
    clock.set(T0 + timedelta(minutes=5))
    await make_scheduler(db, clock, tmp_path).tick()
    assert [r.status for r in await runs(db, job.id)] == ["missed"] and counter.calls == []


async def test_manual_trigger_while_down_runs_when_the_scheduler_starts(db: Database, counter: Counter,
                                                                         tmp_path) -> None:
    clock = ManualClock(T0)
    job = await jobs.create_job(db, name="manual", job_type="test_counter", cron_expr="0 8 * * *",
                                 timezone=None, params={"tag": "m"}, clock=clock)
    await jobs.set_job_active(db, job.id, False, clock=clock)  # paused jobs can still be triggered
    _, run = await jobs.trigger_job(db, "manual", clock=clock)
    assert run.status == "pending" and run.trigger == "manual"
    _, run2 = await jobs.trigger_job(db, job.id, clock=clock)  # same millisecond: still a new run
    assert run2.id != run.id
    await make_scheduler(db, clock, tmp_path).tick()
    done = await runs(db, job.id)
    assert [(r.trigger, r.status, r.result) for r in done] == [("manual", "succeeded", {"tag": "m"})] * 2


async def test_failing_executor_records_failed_run(db: Database, tmp_path) -> None:
    class Boom:
        name = "test_boom"
        params_model = CounterParams

        async def execute(self, ctx: RunContext, params: Any) -> dict[str, Any]:
            raise RuntimeError("kaboom")

    executors.register(Boom(), replace=True)
    try:
        clock = ManualClock(T0)
        job = await jobs.create_job(db, name="boom", job_type="test_boom", cron_expr="0 8 * * *", timezone=None,
                                     params={}, clock=clock)
        await jobs.trigger_job(db, job.id, clock=clock)
        await make_scheduler(db, clock, tmp_path).tick()
        [run] = await runs(db, job.id)
        assert run.status == "failed" and "kaboom" in (run.error or "") and run.started_at is not None
    finally:
        executors.unregister("test_boom")


def test_params_are_validated_with_the_exact_field() -> None:
    with pytest.raises(InvalidJobParams) as info:
        executors.validate_params("async_content_generation", {"account_ids": [49, 0]})
    assert info.value.field == "account_ids.1"
    with pytest.raises(InvalidJobParams) as info:
        executors.validate_params("async_content_generation", {"account_ids": [49], "topics": [{"topic": ""}]})
    assert info.value.field == "topics.0.topic"
    with pytest.raises(InvalidJobParams) as info:
        executors.validate_params("async_content_generation", {"account_ids": [49], "colour": "red"})
    assert info.value.field == "colour"
    with pytest.raises(InvalidJobParams) as info:
        executors.validate_params("cleanup", {"days": 0})
    assert info.value.field == "days"


async def _accounts(db: Database, clock: ManualClock) -> None:
    async with db.write() as conn:
        await account_store.insert_account(conn, name="车界显眼包", category="技术", now=clock.now(), account_id=49)
        await account_store.insert_account(conn, name="b", category="技术", now=clock.now(), account_id=50)
        await account_store.insert_account(conn, name="c", now=clock.now(), account_id=51)
        await account_store.insert_account(conn, name="off", now=clock.now(), account_id=52)
        await account_store.set_account_active(conn, 52, False, now=clock.now())


async def tasks_of_run(db: Database, run_id: int) -> list[Any]:
    async with db.read() as conn:
        rows = await conn.execute(select(tasks_table).where(tasks_table.c.scheduled_job_run_id == run_id))
        return list(rows)


async def test_seed_example_nine_tasks_per_firing_distinct_topics(db: Database, tmp_path) -> None:
    clock = ManualClock(T0 - timedelta(hours=1))
    await _accounts(db, clock)
    job = await jobs.create_job(
        db, name="每日内容生成", job_type="async_content_generation", cron_expr="0 8 * * *", timezone="Asia/Shanghai",
        params={"account_ids": [49, 50, 51], "count_per_account": 3, "auto_approve": True, "priority": 7},
        clock=clock,
    )
    scheduler = make_scheduler(db, clock, tmp_path)
    seen: dict[int, set[str]] = {49: set(), 50: set(), 51: set()}
    for day in range(3):
        clock.set(T0 + timedelta(days=day, seconds=2))
        await scheduler.tick()
        run = (await runs(db, job.id))[-1]
        assert run.status == "succeeded" and run.scheduled_for == T0 + timedelta(days=day)
        tasks = await tasks_of_run(db, run.id)
        assert len(tasks) == 9
        topics = {t.topic for t in tasks}
        assert len(topics) == 9  # distinct within the firing
        for t in tasks:  # never a topic the account got in the last 30 days
            assert t.topic not in seen[t.account_id]
        for t in tasks:
            seen[t.account_id].add(t.topic)
        assert {t.source for t in tasks} == {"scheduler"} and {t.priority for t in tasks} == {7}
        assert all(t.auto_approve for t in tasks)
        assert run.result["total_submitted"] == 9 and run.result["total_refused"] == 0
        assert {k: v["submitted"] for k, v in run.result["account_stats"].items()} == {"49": 3, "50": 3, "51": 3}
    # 技术 accounts get 技术 templates; the one without a category the generic ones.
    first_day = await tasks_of_run(db, (await runs(db, job.id))[0].id)
    assert {t.topic.split("·")[1] for t in first_day if t.account_id == 49} == {"技术解析", "实践指南", "趋势分析"}
    assert {t.topic.split("·")[1] for t in first_day if t.account_id == 51} == {"深度解析", "实战分享", "经验总结"}


async def test_refused_accounts_are_counted_and_custom_topics(db: Database, tmp_path) -> None:
    clock = ManualClock(T0)
    await _accounts(db, clock)
    job = await jobs.create_job(
        db, name="custom", job_type="async_content_generation", cron_expr="0 8 * * *", timezone=None,
        params={"account_ids": [49, 52, 99], "topics": [
            {"topic": "AI 技术未来趋势", "keywords": "AI,人工智能", "requirements": "深度分析", "tone": "专业"},
            {"topic": "第二个选题"},
        ]},
        clock=clock,
    )
    await jobs.trigger_job(db, job.id, clock=clock)
    await make_scheduler(db, clock, tmp_path).tick()
    [run] = await runs(db, job.id)
    assert run.status == "succeeded"
    stats = run.result["account_stats"]
    assert (stats["49"]["submitted"], stats["49"]["refused"]) == (2, 0)
    assert (stats["52"]["refused"], stats["52"]["reason"]) == (2, "inactive_account")
    assert (stats["99"]["refused"], stats["99"]["reason"]) == (2, "unknown_account")
    tasks = await tasks_of_run(db, run.id)
    assert sorted(t.topic for t in tasks) == sorted(["AI 技术未来趋势", "第二个选题"])
    assert {t.requirements for t in tasks} == {"深度分析", None}

    # Every account refused: the run fails, with the counts, and inserts nothing.
    await jobs.update_job(db, job.id, params={"account_ids": [52]}, clock=clock)
    await jobs.trigger_job(db, job.id, clock=clock)
    await make_scheduler(db, clock, tmp_path).tick()
    last = (await runs(db, job.id))[-1]
    assert last.status == "failed" and last.result["total_refused"] == 1 and "refused" in last.error
    assert await tasks_of_run(db, last.id) == []


async def test_cleanup_deletes_old_finished_tasks(db: Database, tmp_path) -> None:
    from sqlalchemy import update

    clock = ManualClock(T0 - timedelta(days=40))
    await _accounts(db, clock)
    from contenthub_async.domain.submission import NewTask
    from contenthub_async.services.task_commands import submit_tasks

    old, recent_pending = await submit_tasks(db, [NewTask(account_id=49, topic="old"),
                                                  NewTask(account_id=49, topic="pending")], clock=clock, actor="cli")
    async with db.write() as conn:
        await conn.execute(update(tasks_table).where(tasks_table.c.task_id == old)
                           .values(status="cancelled", completed_at=clock.now()))
    clock.set(T0)
    job = await jobs.create_job(db, name="cleanup", job_type="cleanup", cron_expr="0 3 * * *", timezone=None,
                                 params={"days": 30}, clock=clock)
    await jobs.trigger_job(db, job.id, clock=clock)
    await make_scheduler(db, clock, tmp_path).tick()
    [run] = await runs(db, job.id)
    assert run.status == "succeeded" and run.result["deleted_tasks"] == 1
    async with db.read() as conn:
        left = [r.task_id for r in await conn.execute(select(tasks_table.c.task_id))]
    assert left == [recent_pending]


async def test_update_pause_resume_delete(db: Database, counter: Counter, tmp_path) -> None:
    clock = ManualClock(T0)
    job = await jobs.create_job(db, name="j", job_type="test_counter", cron_expr="0 8 * * *", timezone="UTC",
                                 params={}, clock=clock)
    assert job.next_run_at == T0 + timedelta(hours=8)
    job = await jobs.update_job(db, "j", cron_expr="30 9 * * *", timezone="Asia/Shanghai", clock=clock)
    assert job.next_run_at == T0 + timedelta(hours=1, minutes=30)
    with pytest.raises(DuplicateJobName):
        await jobs.create_job(db, name="j", job_type="test_counter", cron_expr="* * * * *", timezone=None,
                               params={}, clock=clock)
    paused = await jobs.set_job_active(db, job.id, False, clock=clock)
    clock.set(T0 + timedelta(days=2))
    await make_scheduler(db, clock, tmp_path).tick()
    assert await runs(db, job.id) == []  # paused: nothing fires, nothing is recorded missed
    resumed = await jobs.set_job_active(db, paused.id, True, clock=clock)
    assert resumed.next_run_at == T0 + timedelta(days=2, hours=1, minutes=30)
    await jobs.delete_job(db, job.id)
    with pytest.raises(JobNotFound):
        await jobs.trigger_job(db, job.id, clock=clock)


async def test_daemon_runs_scheduler_loop_and_wakes_for_trigger(db_url: str, counter: Counter, tmp_path) -> None:
    """In a real (in-process) daemon: a trigger from another connection is picked up promptly."""
    from tests.support.daemons import prepare, running_daemon

    await prepare(db_url)
    settings = settings_for(db_url, tmp_path / "fake", CONTENTHUB_WAKEUP_INTERVAL="0.2")
    other = Database.open(db_url)
    try:
        from contenthub_async.clock import SystemClock

        job = await jobs.create_job(other, name="later", job_type="test_counter", cron_expr="0 0 1 1 *",
                                     timezone="UTC", params={}, clock=SystemClock())
        async with running_daemon(settings):
            await anyio.sleep(0.5)
            await jobs.trigger_job(other, job.id, clock=SystemClock())
            with anyio.fail_after(10):
                while not counter.calls:
                    await anyio.sleep(0.1)
        [run] = await runs(other, job.id)
        assert run.status == "succeeded" and run.trigger == "manual"
    finally:
        await other.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=requires_postgres)], indirect=True)
async def test_two_daemons_wall_clock_every_two_seconds_for_30s(db_url: str, counter: Counter, tmp_path) -> None:
    """Two real (in-process) daemons on one PostgreSQL database, wall time, a 2-second cron for 30 s."""
    from contenthub_async.clock import SystemClock
    from tests.support.daemons import prepare, running_daemon

    await prepare(db_url)
    settings = settings_for(db_url, tmp_path / "fake")
    other = Database.open(db_url)
    try:
        async with running_daemon(settings), running_daemon(settings):
            job = await jobs.create_job(other, name="every2s", job_type="test_counter",
                                         cron_expr="*/2 * * * * *", timezone="UTC", params={}, clock=SystemClock())
            await anyio.sleep(30)
            await jobs.set_job_active(other, job.id, False, clock=SystemClock())
            await anyio.sleep(1)
        all_runs = await runs(other, job.id)
    finally:
        await other.close()
    fired = [r for r in all_runs if r.status == "succeeded"]
    assert 14 <= len(fired) <= 16, [(r.scheduled_for, r.status) for r in all_runs]
    assert len(counter.calls) == len(fired)  # each firing ran exactly once
    assert len({c[1] for c in counter.calls}) == len(counter.calls)
    assert {r.status for r in all_runs} == {"succeeded"}  # none missed, none failed
    assert len({r.daemon_id for r in fired}) >= 1
    stamps = sorted(r.scheduled_for for r in fired)
    assert all((b - a).total_seconds() == 2 for a, b in zip(stamps, stamps[1:], strict=False))


async def test_a_broken_job_does_not_stop_the_others(db: Database, counter: Counter, tmp_path) -> None:
    from sqlalchemy import update

    from contenthub_async.store.tables import scheduled_jobs

    clock = ManualClock(T0 - timedelta(seconds=1))
    broken = await jobs.create_job(db, name="broken", job_type="test_counter", cron_expr="* * * * *",
                                    timezone="UTC", params={}, clock=clock)
    good = await jobs.create_job(db, name="good", job_type="test_counter", cron_expr="* * * * *",
                                  timezone="UTC", params={}, clock=clock)
    async with db.write() as conn:  # edited by hand into nonsense
        await conn.execute(update(scheduled_jobs).where(scheduled_jobs.c.id == broken.id).values(cron="nonsense"))
    clock.set(T0 + timedelta(seconds=1))
    scheduler = make_scheduler(db, clock, tmp_path)
    earliest = await scheduler.tick()
    assert [r.status for r in await runs(db, good.id)] == ["succeeded"]
    assert await runs(db, broken.id) == []
    assert earliest is not None and earliest > clock.now()  # no busy loop on the broken job


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the write lock at stake is SQLite's
async def test_an_executor_runs_outside_the_runs_claim_transaction(db: Database, tmp_path) -> None:
    # While an executor works, any other connection can write at once (SQLite: no BEGIN
    # IMMEDIATE of the run held around it; a writer would wait for the whole execution).
    import sqlite3

    path = db.url.sqlite_path
    assert path is not None
    observed: list[str] = []

    class Probe:
        name = "test_probe"
        params_model = CounterParams

        async def execute(self, ctx: RunContext, params: Any) -> dict[str, Any]:
            other = sqlite3.connect(path, timeout=0, isolation_level=None)  # no waiting for a lock
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                observed.append("could write")
            except sqlite3.OperationalError as exc:
                observed.append(str(exc))
            finally:
                other.close()
            return {}

    executors.register(Probe(), replace=True)
    try:
        clock = ManualClock(T0)
        job = await jobs.create_job(db, name="probe", job_type="test_probe", cron_expr="0 8 * * *", timezone=None,
                                     params={}, clock=clock)
        await jobs.trigger_job(db, job.id, clock=clock)
        await make_scheduler(db, clock, tmp_path).tick()
        [run] = await runs(db, job.id)
        assert run.status == "succeeded" and observed == ["could write"]
    finally:
        executors.unregister("test_probe")
