"""``cleanup``: retention of finished tasks, old task events and old job runs.

Finished tasks go the way ``contenthub-ctl cleanup`` deletes them (store.retention): with
their events, their articles kept and detached.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contenthub_async.services.executors import RunContext
from contenthub_async.store import jobs as job_store
from contenthub_async.store import retention as retention_store


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
        task_cutoff = ctx.now - timedelta(days=params.days)
        event_cutoff = ctx.now - timedelta(days=params.event_days or params.days)
        run_cutoff = ctx.now - timedelta(days=params.run_days or params.days)
        # Three transactions: each is a whole step, and deleting again deletes nothing more.
        async with ctx.db.write() as conn:
            removed = await retention_store.delete_finished_before(conn, task_cutoff)
        async with ctx.db.write() as conn:
            old_events = await retention_store.delete_events_of_finished_before(conn, event_cutoff)
        async with ctx.db.write() as conn:
            old_runs = await job_store.delete_finished_runs_before(conn, run_cutoff, keep_run_id=ctx.run.id)
        return {
            "deleted_tasks": removed.tasks,
            "deleted_events": removed.events + old_events,
            "detached_contents": removed.contents,
            "deleted_runs": old_runs,
            "task_cutoff": task_cutoff.isoformat(),
        }


EXECUTOR = CleanupExecutor()
