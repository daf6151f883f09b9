"""A failed or timed-out attempt: retry with backoff, or give up (one guarded transition)."""

from __future__ import annotations

from datetime import timedelta

from contenthub_async.domain.backoff import decide_after_failure
from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import ServiceContext, log_transition
from contenthub_async.store import tasks as task_store

S = TaskStatus


async def record_failed_attempt(
    ctx: ServiceContext,
    task: Task,
    error: Note,
    *,
    retryable: bool,
    outcome: TaskStatus = S.FAILED,
    lease_owner: str | None = None,
) -> Task | None:
    """Move ``task`` (as read) to pending-with-backoff or to ``outcome``; None if it moved meanwhile.

    ``error`` becomes the task's last error and is quoted by the timeline's note.
    """
    decision = decide_after_failure(
        retry_count=task.retry_count,
        max_retries=task.max_retries,
        outcome=outcome,
        retryable=retryable,
        base=ctx.knobs.retry_backoff,
        cap=ctx.knobs.retry_backoff_max,
    )
    now = ctx.clock.now()
    last_error = task_store.error_columns(error)
    note: Note
    if decision.status == S.PENDING:
        values = {
            "retry_count": decision.retry_count,
            "run_after": now + timedelta(seconds=decision.delay),
            **last_error,
            "creator_task_id": None,
            "submitted_at": None,
            "started_at": None,
            "timeout_at": None,
            "progress": 0,
        }
        note = Note("task.retry_scheduled", {
            "attempt": task.retry_count + 1, "retry": decision.retry_count, "max_retries": task.max_retries,
            "delay": f"{decision.delay:.1f}", "error": error,
        })
    else:
        values = {**last_error, "completed_at": now}
        note = Note("task.gave_up", {"attempts": task.retry_count + 1, "error": error})
    async with ctx.db.write() as conn:
        current = await task_store.get_task_by_pk(conn, task.id)
        if current is None or current.status != task.status:
            return None
        if decision.status == S.PENDING and current.cancel_requested_at is not None:
            # An operator asked to cancel it: do not run it again.
            note = Note("task.cancelled_after_failure", {"error": error})
            moved = await task_store.transition(
                conn, current, S.CANCELLED, now=now, actor=ctx.daemon_id, note=note,
                values={**last_error, "completed_at": now}, lease_owner=lease_owner,
            )
        else:
            moved = await task_store.transition(
                conn, current, decision.status, now=now, actor=ctx.daemon_id, note=note, values=values,
                lease_owner=lease_owner, unless_cancel_requested=decision.status == S.PENDING,
            )
    if moved is not None:
        log_transition(ctx.log, task, moved, note.english())
    return moved
