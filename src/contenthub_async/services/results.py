"""Finishing a task: ONE transaction turns a creator result into a completed task, its
``contents`` row (unique per task), its publish-pool entry when approved, and the events.

Doing it twice is impossible: the task must still be at the creator (guarded transition)
and ``contents.generation_task_id`` is unique; either failing rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from contenthub_async.creator.port import CreatorResult
from contenthub_async.domain.articles import article_summary, article_title
from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.pool_states import pool_priority_of_task
from contenthub_async.domain.states import AT_CREATOR, TaskStatus
from contenthub_async.services.context import ServiceContext, log_transition
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.contents import NewContent

S = TaskStatus


class _Superseded(Exception):
    """The task moved on meanwhile: roll the whole transaction back."""


def _created_note(content_id: int, approved: bool, pool_entry_id: int | None) -> Note:
    if pool_entry_id is not None:
        return Note("task.content_created_pooled", {"content_id": content_id})
    code = "task.content_created_approved" if approved else "task.content_created_pending_review"
    return Note(code, {"content_id": content_id})


@dataclass(frozen=True)
class Finished:
    task: Task
    content_id: int
    pool_entry_id: int | None


async def finish_task(
    ctx: ServiceContext, task: Task, result: CreatorResult, *, lease_owner: str | None = None
) -> Finished | None:
    """Complete ``task`` with ``result``; None when it was cancelled, finished or moved meanwhile.

    ``lease_owner``: the task must still be held by this daemon (a sync-mode generation)."""
    now = ctx.clock.now()
    try:
        async with ctx.db.write() as conn:
            current = await task_store.get_task_by_pk(conn, task.id)
            if current is None or current.status not in AT_CREATOR or current.cancel_requested_at is not None:
                raise _Superseded
            if lease_owner is not None and current.lease_owner != lease_owner:
                raise _Superseded
            content_id = await content_store.insert_content(
                conn,
                NewContent(
                    account_id=current.account_id,
                    generation_task_id=current.id,
                    title=article_title(result.markdown, current.topic),
                    body_markdown=result.markdown,
                    summary=article_summary(result.markdown),
                    images=list(result.image_urls),
                    word_count=result.word_count,
                    category=current.category,
                    tags=current.keywords,
                    approved=current.auto_approve,
                ),
                now=now,
            )
            pool_entry_id = None
            if current.auto_approve and ctx.knobs.auto_add_to_pool:
                pool_entry_id = await pool_store.insert_entry(
                    conn, content_id=content_id, account_id=current.account_id,
                    priority=pool_priority_of_task(current.priority), now=now, actor=ctx.daemon_id,
                    note=Note("pool.auto_approved", {"task_id": current.task_id}),
                )
            moved = await task_store.transition(
                conn, current, S.COMPLETED, now=now, actor=ctx.daemon_id, lease_owner=lease_owner,
                note=_created_note(content_id, current.auto_approve, pool_entry_id),
                values={
                    "content_id": content_id,
                    "completed_at": now,
                    "progress": 100,
                    "result": {
                        "creator_task_id": result.creator_task_id,
                        "word_count": result.word_count,
                        "image_urls": list(result.image_urls),
                    },
                },
            )
            if moved is None:
                raise _Superseded
    except _Superseded:
        return None
    except IntegrityError as error:  # another daemon finished it first (unique content per task)
        ctx.log.warning("finish refused by the database", task_id=task.task_id, error=str(error.orig))
        return None
    log_transition(ctx.log, task, moved, content_id=content_id)
    return Finished(moved, content_id, pool_entry_id)
