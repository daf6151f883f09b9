"""``cleanup``: retention of finished tasks, old task events and old job runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from contenthub_async.domain.states import TERMINAL
from contenthub_async.services.executors import RunContext
from contenthub_async.store.tables import content_generation_tasks as tasks
from contenthub_async.store.tables import job_runs, task_events


class CleanupParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    #: finished tasks (completed/failed/timeout/cancelled) older than this many days are deleted
    #: with their events (their contents stay; contents.generation_task_id becomes NULL)
    days: int = Field(30, ge=1, le=3650)
    #: events older than this of tasks still kept are deleted (default: same as ``days``)
    event_days: int | None = Field(None, ge=1, le=3650)
    #: finished job runs older than this are deleted (default: same as ``days``)
    run_days: int | None = Field(None, ge=1, le=3650)


class CleanupExecutor:
    name = "cleanup"
    params_model = CleanupParams

    async def execute(self, ctx: RunContext, params: CleanupParams) -> dict[str, Any]:
        conn = ctx.conn
        task_cutoff = ctx.now - timedelta(days=params.days)
        event_cutoff = ctx.now - timedelta(days=params.event_days or params.days)
        run_cutoff = ctx.now - timedelta(days=params.run_days or params.days)
        finished = [s.value for s in TERMINAL]
        old_tasks = select(tasks.c.id).where(tasks.c.status.in_(finished), tasks.c.completed_at < task_cutoff)
        events_of_old = await conn.execute(delete(task_events).where(task_events.c.generation_task_id.in_(old_tasks)))
        deleted_tasks = await conn.execute(
            delete(tasks).where(tasks.c.status.in_(finished), tasks.c.completed_at < task_cutoff)
        )
        finished_tasks = select(tasks.c.id).where(tasks.c.status.in_(finished))
        old_events = await conn.execute(
            delete(task_events).where(task_events.c.at < event_cutoff,
                                      task_events.c.generation_task_id.in_(finished_tasks))
        )
        old_runs = await conn.execute(
            delete(job_runs).where(job_runs.c.status.in_(("succeeded", "failed", "missed")),
                                   job_runs.c.scheduled_for < run_cutoff, job_runs.c.id != ctx.run.id)
        )
        return {
            "deleted_tasks": deleted_tasks.rowcount,
            "deleted_events": events_of_old.rowcount + old_events.rowcount,
            "deleted_runs": old_runs.rowcount,
            "task_cutoff": task_cutoff.isoformat(),
        }


EXECUTOR = CleanupExecutor()
