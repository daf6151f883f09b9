"""Statements on ``contents``: inserting articles, reading them, and their review.

The publish pool has its own module (``store.pool``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from contenthub_async.store.connection import Connection
from contenthub_async.store.everyday import ContentState as ContentState
from contenthub_async.store.everyday import content_state as content_state
from contenthub_async.store.tables import content_generation_tasks, contents, publish_pool

C = contents.c


@dataclass(frozen=True)
class NewContent:
    account_id: int
    generation_task_id: int
    title: str
    body_markdown: str
    summary: str | None
    images: list[str]
    word_count: int | None
    category: str | None
    tags: str | None
    approved: bool


async def insert_content(conn: Connection, content: NewContent, *, now: datetime) -> int:
    """Insert one article. ``generation_task_id`` is unique: a second insert for the same
    task raises IntegrityError and the caller's transaction rolls back."""
    row = (
        await conn.execute(
            insert(contents)
            .values(
                account_id=content.account_id,
                generation_task_id=content.generation_task_id,
                title=content.title,
                body_markdown=content.body_markdown,
                summary=content.summary,
                images=content.images,
                word_count=content.word_count,
                category=content.category,
                tags=content.tags,
                review_status="approved" if content.approved else "pending",
                publish_status="queued" if content.approved else "draft",
                reviewed_at=now if content.approved else None,
                created_at=now,
                updated_at=now,
            )
            .returning(C.id)
        )
    ).one()
    return int(row.id)


async def get_content(conn: Connection, content_id: int) -> dict[str, Any] | None:
    """The whole row, plus ``task_id`` of its generation task (None when the task was cleaned up)."""
    query = (
        select(*contents.c, content_generation_tasks.c.task_id)
        .select_from(contents.outerjoin(content_generation_tasks, content_generation_tasks.c.id == C.generation_task_id))
        .where(C.id == content_id)
    )
    row = (await conn.execute(query)).first()
    return dict(row._mapping) if row else None


async def contents_of_task(conn: Connection, generation_task_id: int) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(*contents.c).where(C.generation_task_id == generation_task_id))).all()
    return [dict(r._mapping) for r in rows]


async def pool_entry_of(conn: Connection, content_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(*publish_pool.c).where(publish_pool.c.content_id == content_id))).first()
    return dict(row._mapping) if row else None


LIST_COLUMNS = [C.id, C.account_id, content_generation_tasks.c.task_id, C.title, C.word_count, C.review_status,
                C.publish_status, C.reviewed_at, C.review_note, C.created_at]
_WITH_TASK = contents.outerjoin(content_generation_tasks, content_generation_tasks.c.id == C.generation_task_id)


async def list_contents(
    conn: Connection, *, review_status: str | None = None, account_id: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Articles without their bodies, newest first."""
    query = select(*LIST_COLUMNS).select_from(_WITH_TASK)
    if review_status is not None:
        query = query.where(C.review_status == review_status)
    if account_id is not None:
        query = query.where(C.account_id == account_id)
    rows = (await conn.execute(query.order_by(C.id.desc()).limit(limit))).all()
    return [dict(r._mapping) for r in rows]


async def set_review(
    conn: Connection, content_id: int, *, seen: str, to: str, now: datetime, note: str | None = None
) -> bool:
    """Record a review decision, guarded by the review status the caller saw (False: it changed)."""
    result = await conn.execute(
        update(contents)
        .where(C.id == content_id, C.review_status == seen)
        .values(review_status=to, review_note=note, reviewed_at=now, updated_at=now)
    )
    return result.rowcount == 1
