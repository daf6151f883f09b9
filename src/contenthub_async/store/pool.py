"""Statements on ``publish_pool`` and its audit log ``publish_events``.

Every status change goes through :func:`transition` (or a batch statement with the same
guard): one UPDATE ``WHERE id = ? AND status = <the status the caller saw>`` plus its
``publish_events`` row, in the caller's transaction. Only ``publishing`` holds a lease; the
``contents.publish_status`` of the article follows in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, update

from contenthub_async.domain.entities import PoolEntry, PoolEvent
from contenthub_async.domain.notes import Note
from contenthub_async.domain.pool_states import REMOVABLE, can_transition
from contenthub_async.domain.vocabulary import PoolStatus, PublishStatus
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of, notify_changes
from contenthub_async.store.tables import accounts, content_generation_tasks, contents, publish_events, publish_pool

P = PoolStatus
E = publish_pool.c

#: The article's publish_status for each pool status.
CONTENT_STATUS = {
    P.PENDING: PublishStatus.QUEUED,
    P.PUBLISHING: PublishStatus.QUEUED,
    P.PUBLISHED: PublishStatus.PUBLISHED,
    P.FAILED: PublishStatus.FAILED,
}

ENTRY_COLUMNS = [contents.c.title if f.name == "title" else E[f.name] for f in fields(PoolEntry)]
_ENTRIES = publish_pool.join(contents, contents.c.id == E.content_id)


def entry_from_row(row: Any) -> PoolEntry:
    data = dict(row._mapping)
    data["status"] = PoolStatus(data["status"])
    return PoolEntry(**data)


# ---------------------------------------------------------------- inserts and removal


async def insert_entry(
    conn: Connection,
    *,
    content_id: int,
    account_id: int,
    priority: int,
    now: datetime,
    actor: str,
    scheduled_at: datetime | None = None,
    note: Note | None = None,
) -> int:
    """Add an approved article to the pool. ``content_id`` is unique in the pool: a second
    entry for the same article raises IntegrityError (the caller's transaction rolls back)."""
    row = (
        await conn.execute(
            insert(publish_pool)
            .values(
                content_id=content_id, account_id=account_id, priority=priority, scheduled_at=scheduled_at,
                due_at=scheduled_at or now, status=P.PENDING.value, attempts=0, created_at=now, updated_at=now,
            )
            .returning(E.id)
        )
    ).one()
    await _set_content_status(conn, [content_id], PublishStatus.QUEUED, now)
    await _insert_events(conn, [(int(row.id), None, P.PENDING)], now, actor, note or Note("pool.added"))
    await notify_changes(conn)
    return int(row.id)


async def delete_entry(conn: Connection, entry: PoolEntry, *, now: datetime) -> bool:
    """Take a pending or failed entry out of the pool (its events go with it); the article is a
    draft again. False when the entry moved meanwhile or is not removable."""
    if entry.status not in REMOVABLE:
        return False
    result = await conn.execute(delete(publish_pool).where(E.id == entry.id, E.status == entry.status.value))
    if result.rowcount != 1:
        return False
    await _set_content_status(conn, [entry.content_id], PublishStatus.DRAFT, now)
    return True


# ---------------------------------------------------------------- reads


async def get_entry(conn: Connection, entry_id: int) -> PoolEntry | None:
    row = (await conn.execute(select(*ENTRY_COLUMNS).select_from(_ENTRIES).where(E.id == entry_id))).first()
    return entry_from_row(row) if row else None


async def entry_of_content(conn: Connection, content_id: int) -> PoolEntry | None:
    row = (await conn.execute(select(*ENTRY_COLUMNS).select_from(_ENTRIES).where(E.content_id == content_id))).first()
    return entry_from_row(row) if row else None


async def list_entries(
    conn: Connection, *, status: PoolStatus | None = None, account_id: int | None = None, limit: int = 50
) -> list[PoolEntry]:
    """Entries in publishing order: status, then priority (lower first), due time, id."""
    query = select(*ENTRY_COLUMNS).select_from(_ENTRIES)
    if status is not None:
        query = query.where(E.status == status.value)
    if account_id is not None:
        query = query.where(E.account_id == account_id)
    query = query.order_by(E.priority, E.due_at, E.id).limit(limit)
    return [entry_from_row(r) for r in (await conn.execute(query)).all()]


async def count_by_status(conn: Connection) -> dict[str, int]:
    rows = (await conn.execute(select(E.status, func.count()).group_by(E.status))).all()
    return {status: count for status, count in rows}


async def count_due(conn: Connection, *, now: datetime) -> int:
    query = select(func.count()).where(E.status == P.PENDING.value, E.due_at <= now)
    return int((await conn.execute(query)).scalar_one())


async def earliest_due(conn: Connection) -> datetime | None:
    """When the next pending entry becomes due (None: nothing pending)."""
    return (await conn.execute(select(func.min(E.due_at)).where(E.status == P.PENDING.value))).scalar_one_or_none()


async def events_of(conn: Connection, entry_id: int) -> list[PoolEvent]:
    query = (
        select(publish_events.c.id, publish_events.c.at, publish_events.c.from_status, publish_events.c.to_status,
               publish_events.c.actor, publish_events.c.message, publish_events.c.code, publish_events.c.params)
        .where(publish_events.c.pool_entry_id == entry_id)
        .order_by(publish_events.c.id)
    )
    return [
        PoolEvent(r.id, r.at, r.from_status, r.to_status, r.actor, r.message, Note.from_columns(r.code, r.params))
        for r in (await conn.execute(query)).all()
    ]


async def article_of(conn: Connection, entry_id: int) -> dict[str, Any] | None:
    """What a publisher needs: the article, its account (name, publisher, credentials reference)
    and the generation task's id, for the entry ``entry_id``."""
    C, A, T = contents.c, accounts.c, content_generation_tasks.c
    query = (
        select(
            E.id.label("pool_id"), C.id.label("content_id"), C.title, C.body_markdown, C.summary, C.images,
            C.tags, C.category, C.word_count, C.created_at, A.id.label("account_id"), A.name.label("account_name"),
            A.publisher, A.credentials_ref, T.task_id,
        )
        .select_from(
            publish_pool.join(contents, C.id == E.content_id)
            .join(accounts, A.id == E.account_id)
            .outerjoin(content_generation_tasks, T.id == C.generation_task_id)
        )
        .where(E.id == entry_id)
    )
    row = (await conn.execute(query)).first()
    return dict(row._mapping) if row else None


# ---------------------------------------------------------------- claim and transitions


async def claim_entries(
    conn: Connection,
    *,
    owner: str,
    limit: int,
    now: datetime,
    lease_seconds: float,
    entry_ids: Sequence[int] | None = None,
) -> list[PoolEntry]:
    """Move up to ``limit`` pending entries to ``publishing`` under a lease and count the
    attempt, in one UPDATE. Without ``entry_ids``: the due ones, lower priority number first,
    then earliest due, then FIFO; with ``entry_ids``: exactly those still pending, due or not
    (``publish-pool publish ID``). PostgreSQL skips rows other claimers hold."""
    if limit <= 0:
        return []
    candidates = select(E.id).where(E.status == P.PENDING.value)
    if entry_ids is None:
        candidates = candidates.where(E.due_at <= now)
    else:
        candidates = candidates.where(E.id.in_(list(entry_ids)))
    candidates = dialect_of(conn).skip_locked(candidates.order_by(E.priority, E.due_at, E.id).limit(limit))
    claimed_ids = (
        await conn.execute(
            update(publish_pool)
            .where(E.id.in_(candidates.scalar_subquery()), E.status == P.PENDING.value)
            .values(
                status=P.PUBLISHING.value, lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=E.attempts + 1, updated_at=now,
            )
            .returning(E.id)
        )
    ).scalars().all()
    if not claimed_ids:
        return []
    await _insert_events(conn, [(i, P.PENDING, P.PUBLISHING) for i in claimed_ids], now, owner, Note("pool.claimed"))
    rows = (
        await conn.execute(select(*ENTRY_COLUMNS).select_from(_ENTRIES).where(E.id.in_(list(claimed_ids))))
    ).all()
    return sorted((entry_from_row(r) for r in rows), key=lambda e: (e.priority, e.due_at, e.id))


async def transition(
    conn: Connection,
    entry: PoolEntry,
    to: PoolStatus,
    *,
    now: datetime,
    actor: str,
    note: Note | None = None,
    values: dict[str, Any] | None = None,
    lease_owner: str | None = None,
) -> bool:
    """Move ``entry`` from the status it was read in to ``to``; False if it moved meanwhile.

    Leaving ``publishing`` clears the lease; ``lease_owner`` additionally requires that the
    caller still holds it. The article's ``publish_status`` follows, and reaching ``published``
    or ``failed`` writes its webhook event (``content.published`` / ``content.publish_failed``)."""
    if not can_transition(entry.status, to):
        raise ValueError(f"illegal pool transition {entry.status} -> {to} for entry {entry.id}")
    changes: dict[str, Any] = {"status": to.value, "updated_at": now, **(values or {})}
    if entry.status == P.PUBLISHING:
        changes.update(lease_owner=None, lease_expires_at=None)
    conditions = [E.id == entry.id, E.status == entry.status.value]
    if lease_owner is not None:
        conditions.append(E.lease_owner == lease_owner)
    result = await conn.execute(update(publish_pool).where(and_(*conditions)).values(**changes))
    if result.rowcount != 1:
        return False
    await _insert_events(conn, [(entry.id, entry.status, to)], now, actor, note)
    if CONTENT_STATUS[to] != CONTENT_STATUS[entry.status]:
        await _set_content_status(conn, [entry.content_id], CONTENT_STATUS[to], now)
    if to == P.PENDING:
        await notify_changes(conn)
    if to in webhook_store.POOL_EVENT_TYPES:
        moved = await get_entry(conn, entry.id)
        assert moved is not None
        await webhook_store.record_pool_event(conn, moved, now=now)
    return True


async def expire_leases(conn: Connection, *, now: datetime, actor: str) -> list[int]:
    """Return ``publishing`` entries whose lease expired (their daemon died mid-publish) to
    ``pending``, due at once. The one at-least-once window: the platform may have received
    the article (docs/publishing.md)."""
    return await _rescue_publishing(conn, E.lease_expires_at < now, now=now, actor=actor,
                                    note=Note("pool.lease_expired_requeued"))


async def any_lease_expired(conn: Connection, *, now: datetime) -> bool:
    """Whether :func:`expire_leases` would rescue an entry ``now`` (one read)."""
    expired = select(E.id).where(E.status == P.PUBLISHING.value, E.lease_expires_at < now)
    return bool((await conn.execute(select(expired.exists()))).scalar_one())


async def release_entries_of(conn: Connection, owners: Sequence[str], *, now: datetime, actor: str) -> list[int]:
    """Return the ``publishing`` entries of ``owners`` (daemons taken for dead) to ``pending`` at
    once, whatever their lease says."""
    if not owners:
        return []
    return await _rescue_publishing(conn, E.lease_owner.in_(list(owners)), now=now, actor=actor,
                                    note=Note("pool.owner_dead_requeued"))


async def _rescue_publishing(
    conn: Connection, which: ColumnElement[bool], *, now: datetime, actor: str, note: Note
) -> list[int]:
    rescued = (
        await conn.execute(
            update(publish_pool)
            .where(E.status == P.PUBLISHING.value, which)
            .values(status=P.PENDING.value, lease_owner=None, lease_expires_at=None, due_at=now, updated_at=now)
            .returning(E.id)
        )
    ).scalars().all()
    if rescued:
        await _insert_events(conn, [(i, P.PUBLISHING, P.PENDING) for i in rescued], now, actor, note)
        await notify_changes(conn)
    return sorted(rescued)


async def failed_entries(conn: Connection) -> list[PoolEntry]:
    query = select(*ENTRY_COLUMNS).select_from(_ENTRIES).where(E.status == P.FAILED.value).order_by(E.id)
    return [entry_from_row(r) for r in (await conn.execute(query)).all()]


# ---------------------------------------------------------------- helpers


async def _set_content_status(
    conn: Connection, content_ids: Sequence[int], status: PublishStatus, now: datetime
) -> None:
    await conn.execute(
        update(contents).where(contents.c.id.in_(list(content_ids))).values(publish_status=status.value, updated_at=now)
    )


async def _insert_events(
    conn: Connection,
    moves: Sequence[tuple[int, PoolStatus | None, PoolStatus]],
    now: datetime,
    actor: str,
    note: Note | None,
) -> None:
    """The timeline rows of ``moves``: ``note`` as its code and parameters, and its English
    sentence in ``message`` for readers of the table."""
    await conn.execute(
        insert(publish_events),
        [
            {
                "pool_entry_id": entry_id,
                "at": now,
                "from_status": source.value if source else None,
                "to_status": target.value,
                "actor": actor,
                "message": note.english() if note else None,
                "code": note.code if note else None,
                "params": note.to_json() if note and note.params else None,
            }
            for entry_id, source, target in moves
        ],
    )
