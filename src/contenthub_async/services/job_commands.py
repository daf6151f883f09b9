"""What people do to scheduled jobs: create, update, pause/resume, trigger, delete.

Each command is one write transaction and notifies the daemons (``store.dialect.notify_changes``),
so a sleeping scheduler re-reads its jobs at once. The daemon side is ``services/scheduler.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contenthub_async.clock import Clock
from contenthub_async.domain import cron
from contenthub_async.domain.entities import Job, JobRun
from contenthub_async.domain.submission import MAX_ID
from contenthub_async.services.errors import DuplicateJobName, JobNotFound
from contenthub_async.services.executors import validate_params
from contenthub_async.store import jobs as job_store
from contenthub_async.store.connection import Connection
from contenthub_async.store.database import Database
from contenthub_async.store.dialect import notify_changes


async def find_job(conn: Connection, ref: str | int) -> Job:
    """A job by id (digits) or name."""
    job = None
    if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        if int(ref) <= MAX_ID:  # a larger number is no id (and past the column's range)
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
        await notify_changes(conn)
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
            await notify_changes(conn)
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
        await notify_changes(conn)
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
        await notify_changes(conn)
        run = await job_store.get_run(conn, run_id)
        assert run is not None
        return job, run


async def delete_job(db: Database, ref: str | int) -> Job:
    async with db.write() as conn:
        job = await find_job(conn, ref)
        await job_store.delete_job(conn, job.id)
        return job
