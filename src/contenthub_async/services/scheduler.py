"""The scheduler: cron jobs inside contenthubd (the commands on jobs are in ``job_commands``).

How a firing happens, safe with many daemons on one database:

1. *Fire* (one transaction per job): for each active job with ``next_run_at <= now``, the due
   firings since ``next_run_at`` get a decision (:func:`domain.cron.decide_misfires`) and a
   ``job_runs`` row each (``pending`` to run, ``missed`` otherwise), inserted with ON CONFLICT
   DO NOTHING on (job_id, scheduled_for); ``next_run_at`` moves to the first firing after now,
   guarded by the value read (a daemon that lost the race rolls back).
2. *Claim* (one short transaction): a ``pending`` run (cron, catch-up, or ``trigger`` from the
   CLI) becomes ``running`` with this daemon's id, by a guarded update: one daemon wins.
3. *Execute*: the executor does its work in short transactions of its own, so a long job never
   holds the write lock that submissions and the other loops need. Executors are idempotent
   per run: a run whose daemon died while ``running`` is put back to ``pending`` by a janitor
   and executed again without doing its work twice.
4. *Finish* (one short transaction): ``running → succeeded`` with the executor's result, or
   ``failed`` with the error (no automatic retry).

Sleeping: until the earliest ``next_run_at``, at most :data:`MAX_SLEEP` seconds, woken early by
the daemon's :class:`~contenthub_async.services.wakeup.Wakeup` (a job created, changed or
triggered by ``contenthub-ctl``), at most once every :data:`WOKEN_AT_MOST_EVERY` seconds: every
change wakes it (a busy daemon's own writes many times a second), and a change to a job need
not be seen sooner.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import anyio

from contenthub_async.domain import cron
from contenthub_async.domain.entities import Job, JobRun
from contenthub_async.domain.vocabulary import JobRunStatus
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.executors import RunContext, RunFailed, executor_for, parse_params
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.store import jobs as job_store

MAX_SLEEP = 60.0
MIN_SLEEP = 0.05
WOKEN_AT_MOST_EVERY = 1.0
#: at most this many past firings of one job are enumerated (and recorded ``missed``) per round
MAX_DUE_FIRINGS = 1000


class _LostRace(Exception):
    pass


class Scheduler:
    name = "scheduler"

    def __init__(self, ctx: ServiceContext, wakeup: Wakeup | None = None, *, max_sleep: float = MAX_SLEEP) -> None:
        self.ctx = ctx
        self.log = ctx.log.bind(component=self.name)
        self.max_sleep = max_sleep
        self.wakeup = wakeup

    async def run(self, stopping: anyio.Event) -> None:
        await ServiceLoop(self, interval=self.max_sleep, log=self.log, wakeup=self.wakeup,
                          woken_at_most_every=WOKEN_AT_MOST_EVERY).run(stopping)

    async def run_once(self) -> float | None:
        """One round: fire what is due, run what is pending; sleep until the next firing."""
        # A job still due after a round (it could not be fired): retry soon, not at once.
        return max(self.sleep_seconds(await self.tick()), MIN_SLEEP)

    async def tick(self) -> datetime | None:
        """Fire what is due, run what is pending; return the earliest next_run_at."""
        await self.fire_due()
        await self.run_pending()
        async with self.ctx.db.read() as conn:
            return await job_store.earliest_next_run(conn)

    def sleep_seconds(self, earliest: datetime | None) -> float:
        if earliest is None:
            return self.max_sleep
        return min(self.max_sleep, max(0.0, (earliest - self.ctx.clock.now()).total_seconds()))

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
                    "status": JobRunStatus.PENDING if d.action == "run" else JobRunStatus.MISSED,
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
        """Claim and execute one pending run; None when another daemon has it (or its job is gone)."""
        ctx = self.ctx
        started = ctx.clock.now()
        async with ctx.db.write() as conn:
            if not await job_store.claim_run(conn, run.id, daemon_id=ctx.daemon_id, now=started):
                return None
            job = await job_store.get_job(conn, run.job_id)
            claimed = await job_store.get_run(conn, run.id)
        if job is None or claimed is None:  # deleted meanwhile (runs go with their job)
            return None
        try:
            params = parse_params(job.job_type, job.params)
            executor = executor_for(job.job_type)
            result = await executor.execute(
                RunContext(db=ctx.db, clock=ctx.clock, now=started, job=job, run=claimed, daemon=ctx), params
            )
        except RunFailed as exc:
            return await self._finish(job, claimed, JobRunStatus.FAILED, str(exc), exc.result)
        except Exception as exc:  # a bug or a bad job: recorded on the run, the loop goes on
            self.log.exception("job run failed", job=job.name, run_id=run.id)
            return await self._finish(job, claimed, JobRunStatus.FAILED, f"{type(exc).__name__}: {exc}", None)
        return await self._finish(job, claimed, JobRunStatus.SUCCEEDED, None, result)

    async def _finish(
        self, job: Job, run: JobRun, status: JobRunStatus, error: str | None, result: Any
    ) -> JobRun | None:
        ctx = self.ctx
        with anyio.CancelScope(shield=True):
            async with ctx.db.write() as conn:
                now = ctx.clock.now()
                await job_store.finish_run(conn, run.id, status=status, now=now, result=result, error=error)
                await job_store.update_job(conn, job.id, {"last_run_at": run.started_at}, now=now)
                finished = await job_store.get_run(conn, run.id)
        if status == JobRunStatus.SUCCEEDED:
            self.log.info("job run succeeded", job=job.name, run_id=run.id, trigger=run.trigger,
                          scheduled_for=run.scheduled_for.isoformat())
        else:
            self.log.warning("job run failed", job=job.name, run_id=run.id, error=error)
        return finished
