"""Statements on ``scheduled_jobs`` and ``job_runs``.

A firing is a ``job_runs`` row, unique on (job_id, scheduled_for): inserting it is how a daemon
takes a firing, and a second insert of the same firing (another daemon, a restart) does nothing.
A run is executed by the daemon whose guarded ``pending → running`` update succeeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update

from contenthub_async.domain.entities import Job, JobRun
from contenthub_async.domain.vocabulary import DaemonStatus, JobRunStatus, JobRunTrigger
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of, notify_changes
from contenthub_async.store.tables import daemons, job_runs, scheduled_jobs

J = scheduled_jobs.c
R = job_runs.c


def job_from_row(row: Any) -> Job:
    data = dict(row._mapping)
    data["is_active"] = bool(data["is_active"])
    return Job(**data)


def run_from_row(row: Any) -> JobRun:
    data = dict(row._mapping)
    data["status"] = JobRunStatus(data["status"])
    data["trigger"] = JobRunTrigger(data["trigger"])
    return JobRun(**data)


JOB_COLUMNS = [scheduled_jobs.c[f.name] for f in fields(Job)]
RUN_COLUMNS = [job_runs.c[f.name] for f in fields(JobRun)]


# ---------------------------------------------------------------- jobs


async def insert_job(
    conn: Connection, *, name: str, job_type: str, cron: str, timezone: str | None, params: Any,
    misfire_policy: str, misfire_grace_seconds: int, next_run_at: datetime | None, is_active: bool = True,
    now: datetime,
) -> Job:
    result = await conn.execute(
        insert(scheduled_jobs).returning(*JOB_COLUMNS),
        {
            "name": name, "job_type": job_type, "cron": cron, "timezone": timezone, "params": params,
            "is_active": is_active, "misfire_policy": misfire_policy,
            "misfire_grace_seconds": misfire_grace_seconds, "next_run_at": next_run_at,
            "created_at": now, "updated_at": now,
        },
    )
    return job_from_row(result.one())


async def get_job(conn: Connection, job_id: int) -> Job | None:
    row = (await conn.execute(select(*JOB_COLUMNS).where(J.id == job_id))).first()
    return job_from_row(row) if row else None


async def get_job_by_name(conn: Connection, name: str) -> Job | None:
    row = (await conn.execute(select(*JOB_COLUMNS).where(J.name == name))).first()
    return job_from_row(row) if row else None


async def list_jobs(conn: Connection) -> list[Job]:
    rows = await conn.execute(select(*JOB_COLUMNS).order_by(J.id))
    return [job_from_row(r) for r in rows]


async def update_job(conn: Connection, job_id: int, values: dict[str, Any], *, now: datetime) -> bool:
    result = await conn.execute(update(scheduled_jobs).where(J.id == job_id).values(**values, updated_at=now))
    return result.rowcount == 1


async def delete_job(conn: Connection, job_id: int) -> bool:
    # Tasks keep existing; their scheduled_job_run_id becomes NULL (ON DELETE SET NULL).
    result = await conn.execute(delete(scheduled_jobs).where(J.id == job_id))
    return result.rowcount == 1


async def due_jobs(conn: Connection, *, now: datetime, limit: int = 100) -> list[Job]:
    rows = await conn.execute(
        select(*JOB_COLUMNS)
        .where(J.is_active.is_(True), J.next_run_at.is_not(None), J.next_run_at <= now)
        .order_by(J.next_run_at, J.id)
        .limit(limit)
    )
    return [job_from_row(r) for r in rows]


async def next_firings(conn: Connection, *, limit: int) -> list[Job]:
    """Active jobs by their next firing, soonest first (``ix_jobs_next_run``)."""
    rows = await conn.execute(
        select(*JOB_COLUMNS)
        .where(J.is_active.is_(True), J.next_run_at.is_not(None))
        .order_by(J.next_run_at, J.id)
        .limit(limit)
    )
    return [job_from_row(r) for r in rows]


async def earliest_next_run(conn: Connection) -> datetime | None:
    return (
        await conn.execute(select(func.min(J.next_run_at)).where(J.is_active.is_(True), J.next_run_at.is_not(None)))
    ).scalar_one_or_none()


async def advance_job(
    conn: Connection, job: Job, *, next_run_at: datetime, last_run_at: datetime | None, now: datetime
) -> bool:
    """Move ``next_run_at`` on, guarded by the value this daemon saw (another daemon may have)."""
    values: dict[str, Any] = {"next_run_at": next_run_at, "updated_at": now}
    if last_run_at is not None:
        values["last_run_at"] = last_run_at
    guard = J.next_run_at == job.next_run_at if job.next_run_at is not None else J.next_run_at.is_(None)
    result = await conn.execute(update(scheduled_jobs).where(J.id == job.id, guard).values(**values))
    return result.rowcount == 1


# ---------------------------------------------------------------- runs


async def insert_runs(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert firings; a firing that exists already is skipped. Returns the ids inserted."""
    inserted: list[int] = []
    for row in rows:
        result = await conn.execute(dialect_of(conn).insert_ignoring_duplicates(job_runs).returning(R.id), dict(row))
        found = result.first()
        if found is not None:
            inserted.append(found.id)
    return inserted


async def insert_manual_run(conn: Connection, job_id: int, *, now: datetime) -> int | None:
    inserted = await insert_runs(conn, [
        {"job_id": job_id, "scheduled_for": now, "trigger": JobRunTrigger.MANUAL, "status": JobRunStatus.PENDING, "created_at": now}
    ])
    return inserted[0] if inserted else None


async def pending_runs(conn: Connection, *, now: datetime, limit: int = 50) -> list[JobRun]:
    rows = await conn.execute(
        select(*RUN_COLUMNS).where(R.status == JobRunStatus.PENDING).order_by(R.scheduled_for, R.id).limit(limit)
    )
    return [run_from_row(r) for r in rows]


async def claim_run(conn: Connection, run_id: int, *, daemon_id: str, now: datetime) -> bool:
    result = await conn.execute(
        update(job_runs).where(R.id == run_id, R.status == JobRunStatus.PENDING)
        .values(status=JobRunStatus.RUNNING, daemon_id=daemon_id, started_at=now)
    )
    return result.rowcount == 1


async def finish_run(
    conn: Connection, run_id: int, *, status: JobRunStatus, now: datetime, result: Any = None, error: str | None = None,
    from_statuses: tuple[JobRunStatus, ...] = (JobRunStatus.RUNNING,), daemon_id: str | None = None, started_at: datetime | None = None,
) -> bool:
    values: dict[str, Any] = {"status": status, "finished_at": now, "result": result, "error": error}
    if daemon_id is not None:
        values["daemon_id"] = daemon_id
    if started_at is not None:
        values["started_at"] = started_at
    outcome = await conn.execute(
        update(job_runs).where(R.id == run_id, R.status.in_(from_statuses)).values(**values)
    )
    if outcome.rowcount != 1:
        return False
    if status == JobRunStatus.FAILED:
        await _announce_failed_run(conn, run_id, now=now)
    return True


async def _announce_failed_run(conn: Connection, run_id: int, *, now: datetime) -> None:
    """The ``job_run.failed`` webhook event, in the transaction that failed the run."""
    from contenthub_async.domain.vocabulary import WebhookEventType
    from contenthub_async.json_objects import failed_run_json
    from contenthub_async.store import webhooks as webhook_store

    run = await get_run(conn, run_id)
    assert run is not None
    job = await get_job(conn, run.job_id)
    await webhook_store.record_event(
        conn, WebhookEventType.JOB_RUN_FAILED, failed_run_json(run, job.name if job else None), now=now,
        job_run_id=run.id,
    )


async def requeue_runs_of_dead_daemons(conn: Connection, *, stale_before: datetime) -> list[int]:
    """``running`` runs whose daemon stopped, is unknown, or last beat before ``stale_before``
    → ``pending`` (to run again); their ids."""
    rows = await conn.execute(
        update(job_runs)
        .where(*_runs_of_dead_daemons(stale_before))
        .values(status=JobRunStatus.PENDING, daemon_id=None, started_at=None)
        .returning(R.id)
    )
    return [row.id for row in rows]


async def any_run_of_dead_daemons(conn: Connection, *, stale_before: datetime) -> bool:
    """Whether :func:`requeue_runs_of_dead_daemons` would requeue a run (one read)."""
    orphaned = select(R.id).where(*_runs_of_dead_daemons(stale_before))
    return bool((await conn.execute(select(orphaned.exists()))).scalar_one())


def _runs_of_dead_daemons(stale_before: datetime) -> tuple[ColumnElement[bool], ...]:
    alive = select(daemons.c.id).where(
        daemons.c.status.in_((DaemonStatus.RUNNING, DaemonStatus.STOPPING)), daemons.c.heartbeat_at >= stale_before
    )
    return R.status == JobRunStatus.RUNNING, R.daemon_id.not_in(alive.scalar_subquery())


async def requeue_runs_of(conn: Connection, daemon_ids: Sequence[str]) -> list[int]:
    """``running`` runs of ``daemon_ids`` (daemons taken for dead) → ``pending`` (to run again,
    idempotently); their ids."""
    if not daemon_ids:
        return []
    rows = await conn.execute(
        update(job_runs)
        .where(R.status == JobRunStatus.RUNNING, R.daemon_id.in_(list(daemon_ids)))
        .values(status=JobRunStatus.PENDING, daemon_id=None, started_at=None)
        .returning(R.id)
    )
    requeued = [row.id for row in rows]
    if requeued:
        await notify_changes(conn)
    return requeued


async def get_run(conn: Connection, run_id: int) -> JobRun | None:
    row = (await conn.execute(select(*RUN_COLUMNS).where(R.id == run_id))).first()
    return run_from_row(row) if row else None


async def runs_of(conn: Connection, job_id: int, *, limit: int = 20) -> list[JobRun]:
    rows = await conn.execute(
        select(*RUN_COLUMNS).where(R.job_id == job_id).order_by(R.scheduled_for.desc(), R.id.desc()).limit(limit)
    )
    return [run_from_row(r) for r in rows]


async def recent_runs(conn: Connection, *, limit: int = 20) -> list[JobRun]:
    """The runs of every job, newest first (``scheduler executions``)."""
    rows = await conn.execute(select(*RUN_COLUMNS).order_by(R.scheduled_for.desc(), R.id.desc()).limit(limit))
    return [run_from_row(r) for r in rows]


async def count_pending_runs(conn: Connection) -> int:
    return (await conn.execute(select(func.count()).select_from(job_runs).where(R.status == JobRunStatus.PENDING))).scalar_one()


async def delete_finished_runs_before(conn: Connection, cutoff: datetime, *, keep_run_id: int) -> int:
    """Delete succeeded, failed and missed runs scheduled before ``cutoff`` (except ``keep_run_id``)."""
    deleted = await conn.execute(
        delete(job_runs).where(job_runs.c.status.in_((JobRunStatus.SUCCEEDED, JobRunStatus.FAILED, JobRunStatus.MISSED)),
                               job_runs.c.scheduled_for < cutoff, job_runs.c.id != keep_run_id)
    )
    return deleted.rowcount
