"""Conformance, scheduled jobs and their runs: firings are unique, a run is claimed once,
finishing is guarded, and runs of dead daemons go back to the queue."""

from __future__ import annotations

from datetime import timedelta

from contenthub_async.clock import ManualClock
from contenthub_async.domain.submission import NewTask
from contenthub_async.domain.vocabulary import JobRunStatus, JobRunTrigger
from contenthub_async.services import task_commands
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.conformance.support import add_account

R = JobRunStatus


async def new_job(db: Database, clock: ManualClock, name: str = "j") -> int:
    async with db.write() as conn:
        job = await job_store.insert_job(
            conn, name=name, job_type="cleanup", cron="0 3 * * *", timezone="UTC", params={"days": 30},
            misfire_policy="run_once", misfire_grace_seconds=3600, next_run_at=clock.now(), now=clock.now(),
        )
    return job.id


def firing(job_id: int, clock: ManualClock, minutes: int = 0) -> dict[str, object]:
    return {"job_id": job_id, "scheduled_for": clock.now() + timedelta(minutes=minutes), "trigger": JobRunTrigger.CRON,
            "status": R.PENDING, "created_at": clock.now()}


async def test_a_firing_is_inserted_once(db: Database, clock: ManualClock) -> None:
    job_id = await new_job(db, clock)
    async with db.write() as conn:
        first = await job_store.insert_runs(conn, [firing(job_id, clock), firing(job_id, clock, 1)])
    async with db.write() as conn:
        again = await job_store.insert_runs(conn, [firing(job_id, clock), firing(job_id, clock, 2)])
        runs = await job_store.runs_of(conn, job_id)
    assert len(first) == 2 and len(again) == 1
    assert sorted(r.scheduled_for for r in runs) == [clock.now() + timedelta(minutes=m) for m in (0, 1, 2)]
    assert all(r.trigger == JobRunTrigger.CRON and r.status == R.PENDING for r in runs)


async def test_a_run_is_claimed_by_one_daemon_and_finished_from_running_only(db: Database, clock: ManualClock) -> None:
    job_id = await new_job(db, clock)
    async with db.write() as conn:
        [run_id] = await job_store.insert_runs(conn, [firing(job_id, clock)])
        assert await job_store.claim_run(conn, run_id, daemon_id="a", now=clock.now())
        assert not await job_store.claim_run(conn, run_id, daemon_id="b", now=clock.now())
        assert await job_store.finish_run(conn, run_id, status=R.SUCCEEDED, now=clock.now(), result={"n": 1})
        assert not await job_store.finish_run(conn, run_id, status=R.FAILED, now=clock.now(), error="late")
        run = await job_store.get_run(conn, run_id)
    assert run is not None and run.status == R.SUCCEEDED and run.daemon_id == "a" and run.result == {"n": 1}


async def test_running_runs_of_dead_daemons_go_back_to_pending(db: Database, clock: ManualClock) -> None:
    job_id = await new_job(db, clock)
    async with db.write() as conn:
        for daemon_id in ("alive", "silent", "stopped"):
            await daemon_store.register_daemon(conn, daemon_id=daemon_id, hostname="h", pid=1, version="t",
                                               now=clock.now())
        await daemon_store.mark_stopped(conn, "stopped", now=clock.now())
        run_ids = await job_store.insert_runs(conn, [firing(job_id, clock, m) for m in range(4)])
        for run_id, daemon_id in zip(run_ids, ("alive", "silent", "stopped", "never-registered"), strict=True):
            assert await job_store.claim_run(conn, run_id, daemon_id=daemon_id, now=clock.now())
    clock.advance(60)
    async with db.write() as conn:
        await daemon_store.heartbeat(conn, "alive", now=clock.now())
        requeued = await job_store.requeue_runs_of_dead_daemons(conn, stale_before=clock.now() - timedelta(seconds=30))
        runs = {r.id: r for r in await job_store.runs_of(conn, job_id)}
    assert sorted(requeued) == sorted(run_ids[1:])
    assert runs[run_ids[0]].status == R.RUNNING and runs[run_ids[0]].daemon_id == "alive"
    assert all(runs[i].status == R.PENDING and runs[i].daemon_id is None for i in run_ids[1:])


async def test_the_janitors_read_sees_a_run_of_a_dead_daemon_exactly_when_one_would_be_requeued(
    db: Database, clock: ManualClock
) -> None:
    job_id = await new_job(db, clock)
    async with db.write() as conn:
        await daemon_store.register_daemon(conn, daemon_id="d", hostname="h", pid=1, version="t", now=clock.now())
        [run_id] = await job_store.insert_runs(conn, [firing(job_id, clock)])
        assert not await job_store.any_run_of_dead_daemons(conn, stale_before=clock.now())  # pending, not running
        assert await job_store.claim_run(conn, run_id, daemon_id="d", now=clock.now())
        assert not await job_store.any_run_of_dead_daemons(conn, stale_before=clock.now())  # its daemon beats
    clock.advance(60)
    stale_before = clock.now() - timedelta(seconds=30)
    async with db.write() as conn:
        assert await job_store.any_run_of_dead_daemons(conn, stale_before=stale_before)
        assert await job_store.requeue_runs_of_dead_daemons(conn, stale_before=stale_before) == [run_id]
        assert not await job_store.any_run_of_dead_daemons(conn, stale_before=stale_before)


async def test_tasks_of_a_run_and_recent_topics(db: Database, clock: ManualClock) -> None:
    job_id = await new_job(db, clock)
    first, second = await add_account(db, clock, "a"), await add_account(db, clock, "b")
    async with db.write() as conn:
        [run_id] = await job_store.insert_runs(conn, [firing(job_id, clock)])
    by_run = [NewTask(account_id=a, topic=t, source="scheduler", scheduled_job_run_id=run_id)
              for a, t in ((first, "x"), (second, "y"), (first, "z"))]
    ids = await task_commands.submit_tasks(db, by_run, clock=clock, actor="scheduler")
    clock.advance(3600)
    await task_commands.submit_tasks(db, [NewTask(account_id=second, topic="later")], clock=clock, actor="cli")
    async with db.read() as conn:
        assert await task_store.tasks_of_run(conn, run_id) == list(zip((first, second, first), ids, strict=True))
        assert await task_store.tasks_of_run(conn, run_id + 1) == []
        assert await task_store.recent_topics(conn, [first, second], since=clock.now() - timedelta(hours=2)) == {
            first: {"x", "z"}, second: {"y", "later"}
        }
        assert await task_store.recent_topics(conn, [second], since=clock.now()) == {second: {"later"}}
