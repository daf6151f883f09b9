"""The scheduler: cron jobs inside contenthubd, and the commands people run on jobs.

How a firing happens (each step one transaction, safe with many daemons on one database):

1. *Fire*: for each active job with ``next_run_at <= now``, the due firings since
   ``next_run_at`` get a decision (:func:`domain.cron.decide_misfires`) and a ``job_runs`` row
   each (``pending`` to run, ``missed`` otherwise), inserted with ON CONFLICT DO NOTHING on
   (job_id, scheduled_for); ``next_run_at`` moves to the first firing after now, guarded by the
   value read (a daemon that lost the race rolls back).
2. *Run*: a ``pending`` run (cron, catch-up, or ``trigger`` from the CLI) is claimed with a guarded
   ``pending → running`` update, executed and marked ``succeeded`` in the same transaction. A
   second daemon's claim finds it no longer pending; a daemon that dies mid-run leaves no trace
   (the transaction rolls back) and the run stays ``pending`` for the next daemon: exactly once.
   A failing executor rolls back and the run is recorded ``failed`` (no automatic retry).

Sleeping: until the earliest ``next_run_at``, at most :data:`MAX_SLEEP` seconds, woken early by
the change watcher (a commit by another process on SQLite, ``NOTIFY contenthub_tasks`` on
PostgreSQL, which the CLI's scheduler commands send).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import anyio

from contenthub_async.clock import Clock
from contenthub_async.domain import cron
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.errors import DuplicateJobName, JobNotFound
from contenthub_async.services.executors import (
    RunContext,
    RunFailed,
    executor_for,
    parse_params,
    validate_params,
)
from contenthub_async.store import jobs as job_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.jobs import Job, JobRun

MAX_SLEEP = 60.0
MIN_SLEEP = 0.05
#: at most this many past firings of one job are enumerated (and recorded ``missed``) per round
MAX_DUE_FIRINGS = 1000


class _LostRace(Exception):
    pass


# ---------------------------------------------------------------- the daemon loop


class Scheduler:
    def __init__(self, ctx: ServiceContext, *, max_sleep: float = MAX_SLEEP, watcher: Any = None) -> None:
        self.ctx = ctx
        self.log = ctx.log.bind(component="scheduler")
        self.max_sleep = max_sleep
        self._watcher = watcher

    # -- firing

    async def fire_due(self) -> int:
        """Materialise due firings as job_runs rows; return how many rows this daemon inserted."""
        ctx = self.ctx
        async with ctx.db.read() as conn:
            jobs = await job_store.due_jobs(conn, now=ctx.clock.now())
        inserted = 0
        for job in jobs:
            try:
                inserted += await self._fire(job)
            except _LostRace:
                continue
            except Exception:  # e.g. a cron edited by hand into nonsense: the other jobs still fire
                self.log.exception("cannot fire job; retrying in a minute", job=job.name)
                async with ctx.db.write() as conn:
                    await job_store.advance_job(conn, job, next_run_at=ctx.clock.now() + timedelta(seconds=60),
                                                last_run_at=None, now=ctx.clock.now())
        return inserted

    def _due_firings(self, job: Job, now: datetime) -> list[datetime]:
        assert job.next_run_at is not None
        tz = cron.zone(job.timezone)
        due = list(cron.firings_between(job.cron, tz, job.next_run_at, now, limit=MAX_DUE_FIRINGS))
        if len(due) == MAX_DUE_FIRINGS:  # long downtime: keep the recent window exact
            window = timedelta(seconds=max(job.misfire_grace_seconds, cron.ON_TIME_SECONDS))
            tail = cron.firings_between(job.cron, tz, max(due[-1], now - window), now, limit=MAX_DUE_FIRINGS)
            due += [when for when in tail if when > due[-1]]
            self.log.warning("long downtime: not every missed firing is recorded", job=job.name)
        return due

    async def _fire(self, job: Job) -> int:
        ctx = self.ctx
        async with ctx.db.write() as conn:
            now = ctx.clock.now()
            due = self._due_firings(job, now)
            decisions = cron.decide_misfires(
                due, now, policy=job.misfire_policy, grace_seconds=job.misfire_grace_seconds
            )
            rows = [
                {
                    "job_id": job.id, "scheduled_for": d.scheduled_for, "trigger": d.trigger,
                    "status": "pending" if d.action == "run" else "missed",
                    "daemon_id": None if d.action == "run" else ctx.daemon_id,
                    "finished_at": None if d.action == "run" else now,
                    "error": None if d.action == "run" else f"late by {(now - d.scheduled_for).total_seconds():.0f}s",
                    "created_at": now,
                }
                for d in decisions
            ]
            ids = await job_store.insert_runs(conn, rows)
            next_run = cron.next_firing(job.cron, cron.zone(job.timezone), now)
            if not await job_store.advance_job(conn, job, next_run_at=next_run, last_run_at=None, now=now):
                raise _LostRace
        for d in decisions:
            if d.action == "missed":
                self.log.warning("firing missed", job=job.name, scheduled_for=d.scheduled_for.isoformat())
        return len(ids)

    # -- running

    async def run_pending(self) -> list[JobRun]:
        async with self.ctx.db.read() as conn:
            runs = await job_store.pending_runs(conn, now=self.ctx.clock.now())
        done: list[JobRun] = []
        for run in runs:
            finished = await self.execute_run(run)
            if finished is not None:
                done.append(finished)
        return done

    async def execute_run(self, run: JobRun) -> JobRun | None:
        """Run one pending run; None when another daemon has it (or its job is gone)."""
        ctx = self.ctx
        started = ctx.clock.now()
        job: Job | None = None
        try:
            async with ctx.db.write() as conn:
                if not await job_store.claim_run(conn, run.id, daemon_id=ctx.daemon_id, now=started):
                    return None
                job = await job_store.get_job(conn, run.job_id)
                if job is None:
                    return None
                params = parse_params(job.job_type, job.params)
                executor = executor_for(job.job_type)
                claimed = await job_store.get_run(conn, run.id)
                assert claimed is not None
                result = await executor.execute(RunContext(conn=conn, now=started, job=job, run=claimed), params)
                await job_store.finish_run(conn, run.id, status="succeeded", now=ctx.clock.now(), result=result)
                await job_store.update_job(conn, job.id, {"last_run_at": started}, now=started)
                finished = await job_store.get_run(conn, run.id)
            self.log.info("job run succeeded", job=job.name, run_id=run.id, trigger=run.trigger,
                          scheduled_for=run.scheduled_for.isoformat())
            return finished
        except RunFailed as exc:
            return await self._fail(run, job, started, str(exc), exc.result)
        except Exception as exc:  # a bug or a bad job: recorded on the run, the loop goes on
            self.log.exception("job run failed", run_id=run.id)
            return await self._fail(run, job, started, f"{type(exc).__name__}: {exc}", None)

    async def _fail(self, run: JobRun, job: Job | None, started: datetime, error: str, result: Any) -> JobRun | None:
        ctx = self.ctx
        with anyio.CancelScope(shield=True):
            async with ctx.db.write() as conn:
                now = ctx.clock.now()
                await job_store.finish_run(conn, run.id, status="failed", now=now, result=result, error=error,
                                           from_statuses=("pending",), daemon_id=ctx.daemon_id, started_at=started)
                if job is not None:
                    await job_store.update_job(conn, job.id, {"last_run_at": started}, now=now)
                failed = await job_store.get_run(conn, run.id)
        self.log.warning("job run failed", job=job.name if job else None, run_id=run.id, error=error)
        return failed

    # -- the loop

    async def tick(self) -> datetime | None:
        """One round: fire what is due, run what is pending; return the earliest next_run_at."""
        await self.fire_due()
        await self.run_pending()
        async with self.ctx.db.read() as conn:
            return await job_store.earliest_next_run(conn)

    def sleep_seconds(self, earliest: datetime | None) -> float:
        if earliest is None:
            return self.max_sleep
        return min(self.max_sleep, max(0.0, (earliest - self.ctx.clock.now()).total_seconds()))

    async def run(self, stopping: anyio.Event) -> None:
        from contenthub_async.services.wakeup import watcher_for

        watcher = self._watcher or watcher_for(self.ctx.db.url, self.ctx.knobs.wakeup_interval)
        own = self._watcher is None
        if own:
            await watcher.open()
        try:
            while not stopping.is_set():
                try:
                    # A job still due after a round (it could not be fired): retry soon, not at once.
                    delay = max(self.sleep_seconds(await self.tick()), MIN_SLEEP)
                except Exception:
                    self.log.exception("scheduler round failed")
                    delay = min(self.max_sleep, 5.0)
                if delay > 0 and not stopping.is_set():
                    await _sleep(delay, watcher, stopping)
        finally:
            if own:
                with anyio.CancelScope(shield=True):
                    await watcher.close()


async def _sleep(delay: float, watcher: Any, stopping: anyio.Event) -> None:
    async with anyio.create_task_group() as group:
        async def on_stop() -> None:
            await stopping.wait()
            group.cancel_scope.cancel()

        group.start_soon(on_stop)
        await watcher.wait(delay)
        group.cancel_scope.cancel()


# ---------------------------------------------------------------- commands on jobs


async def find_job(conn: Any, ref: str | int) -> Job:
    """A job by id (digits) or name."""
    job = None
    if isinstance(ref, int) or str(ref).isdigit():
        job = await job_store.get_job(conn, int(ref))
    if job is None:
        job = await job_store.get_job_by_name(conn, str(ref))
    if job is None:
        raise JobNotFound(job=str(ref))
    return job


async def create_job(
    db: Database, *, name: str, job_type: str, cron_expr: str, timezone: str | None, params: Any,
    misfire_policy: str = "run_once", misfire_grace_seconds: int = cron.DEFAULT_GRACE_SECONDS,
    active: bool = True, clock: Clock,
) -> Job:
    """Validate everything, then insert. Raises CronError, UnknownJobType, InvalidJobParams, DuplicateJobName."""
    expr = cron.validate_cron(cron_expr)
    tz_name = cron.validate_timezone(timezone)
    stored = validate_params(job_type, params)
    if misfire_policy not in cron.MISFIRE_POLICIES:
        raise ValueError(misfire_policy)
    async with db.write() as conn:
        if await job_store.get_job_by_name(conn, name):
            raise DuplicateJobName(name=name)
        now = clock.now()
        job = await job_store.insert_job(
            conn, name=name, job_type=job_type, cron=expr, timezone=tz_name, params=stored,
            misfire_policy=misfire_policy, misfire_grace_seconds=misfire_grace_seconds,
            next_run_at=cron.next_firing(expr, cron.zone(tz_name), now), is_active=active, now=now,
        )
        await task_store.notify_new_tasks(conn)
        return job


#: "leave as it is" for the optional fields of :func:`update_job` (None means "clear" there)
UNSET: Any = object()


async def update_job(
    db: Database, ref: str | int, *, clock: Clock, name: str | None = None, cron_expr: str | None = None,
    timezone: str | None = UNSET, params: Any = UNSET, misfire_policy: str | None = None,
    misfire_grace_seconds: int | None = None,
) -> Job:
    async with db.write() as conn:
        job = await find_job(conn, ref)
        now = clock.now()
        values: dict[str, Any] = {}
        if name is not None and name != job.name:
            if await job_store.get_job_by_name(conn, name):
                raise DuplicateJobName(name=name)
            values["name"] = name
        if cron_expr is not None:
            values["cron"] = cron.validate_cron(cron_expr)
        if timezone is not UNSET:
            values["timezone"] = cron.validate_timezone(timezone)
        if params is not UNSET:
            values["params"] = validate_params(job.job_type, params)
        if misfire_policy is not None:
            if misfire_policy not in cron.MISFIRE_POLICIES:
                raise ValueError(misfire_policy)
            values["misfire_policy"] = misfire_policy
        if misfire_grace_seconds is not None:
            values["misfire_grace_seconds"] = misfire_grace_seconds
        if "cron" in values or "timezone" in values:
            values["next_run_at"] = cron.next_firing(
                values.get("cron", job.cron), cron.zone(values.get("timezone", job.timezone)), now
            )
        if values:
            await job_store.update_job(conn, job.id, values, now=now)
            await task_store.notify_new_tasks(conn)
        updated = await job_store.get_job(conn, job.id)
        assert updated is not None
        return updated


async def set_job_active(db: Database, ref: str | int, active: bool, *, clock: Clock) -> Job:
    """Pause / resume. Resuming schedules the next firing after now (a pause is not caught up)."""
    async with db.write() as conn:
        job = await find_job(conn, ref)
        now = clock.now()
        values: dict[str, Any] = {"is_active": active}
        if active and not job.is_active:
            values["next_run_at"] = cron.next_firing(job.cron, cron.zone(job.timezone), now)
        await job_store.update_job(conn, job.id, values, now=now)
        await task_store.notify_new_tasks(conn)
        updated = await job_store.get_job(conn, job.id)
        assert updated is not None
        return updated


async def trigger_job(db: Database, ref: str | int, *, clock: Clock) -> tuple[Job, JobRun]:
    """A ``manual`` pending run, due now; the daemon runs it (when it starts, if it is down)."""
    async with db.write() as conn:
        job = await find_job(conn, ref)
        now = clock.now()
        run_id = None
        while run_id is None:  # two triggers in the same millisecond: the next millisecond
            run_id = await job_store.insert_manual_run(conn, job.id, now=now)
            now += timedelta(milliseconds=1)
        await task_store.notify_new_tasks(conn)
        run = await job_store.get_run(conn, run_id)
        assert run is not None
        return job, run


async def delete_job(db: Database, ref: str | int) -> Job:
    async with db.write() as conn:
        job = await find_job(conn, ref)
        await job_store.delete_job(conn, job.id)
        return job
