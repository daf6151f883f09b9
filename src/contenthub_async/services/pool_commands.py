"""What operators do to the publish pool: add an approved article, remove an entry, retry
failed entries. Each is one transaction; a refused command changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contenthub_async.clock import Clock
from contenthub_async.domain.entities import PoolEntry, PoolEvent
from contenthub_async.domain.notes import Note
from contenthub_async.domain.pool_states import REMOVABLE
from contenthub_async.domain.vocabulary import PoolStatus, ReviewStatus
from contenthub_async.services.errors import (
    AlreadyInPool,
    ContentNotFound,
    InvalidPoolState,
    NotApproved,
    PoolEntryNotFound,
)
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database

P = PoolStatus


async def add_entry(
    db: Database, content_id: int, *, priority: int, scheduled_at: datetime | None, clock: Clock, actor: str
) -> PoolEntry:
    """Put an approved article in the pool (``scheduled_at``: not before then)."""
    async with db.write() as conn:
        content = await content_store.get_content(conn, content_id)
        if content is None:
            raise ContentNotFound(content_id=content_id)
        if content["review_status"] != ReviewStatus.APPROVED:
            raise NotApproved(content_id=content_id, status=content["review_status"])
        existing = await pool_store.entry_of_content(conn, content_id)
        if existing is not None:
            raise AlreadyInPool(content_id=content_id, pool_id=existing.id, status=existing.status.value)
        pool_id = await pool_store.insert_entry(
            conn, content_id=content_id, account_id=content["account_id"], priority=priority, now=clock.now(),
            actor=actor, scheduled_at=scheduled_at,
        )
        entry = await pool_store.get_entry(conn, pool_id)
    assert entry is not None
    return entry


async def remove_entry(db: Database, pool_id: int, *, clock: Clock) -> PoolEntry:
    """Take a pending or failed entry out of the pool; the article stays (a draft again)."""
    async with db.write() as conn:
        entry = await pool_store.get_entry(conn, pool_id)
        if entry is None:
            raise PoolEntryNotFound(pool_id=pool_id)
        if entry.status not in REMOVABLE or not await pool_store.delete_entry(conn, entry, now=clock.now()):
            raise InvalidPoolState(pool_id=pool_id, status=entry.status.value, action="remove")
    return entry


async def retry_entries(db: Database, pool_ids: list[int] | None, *, clock: Clock, actor: str) -> list[int]:
    """failed → pending, due now, with a fresh set of attempts (the last error stays visible).
    ``pool_ids`` None: every failed entry. An id that is not failed refuses the command."""
    async with db.write() as conn:
        now = clock.now()
        if pool_ids is None:
            entries = await pool_store.failed_entries(conn)
        else:
            entries = []
            for pool_id in dict.fromkeys(pool_ids):
                entry = await pool_store.get_entry(conn, pool_id)
                if entry is None:
                    raise PoolEntryNotFound(pool_id=pool_id)
                if entry.status != P.FAILED:
                    raise InvalidPoolState(pool_id=pool_id, status=entry.status.value, action="retry")
                entries.append(entry)
        for entry in entries:
            if not await pool_store.transition(
                conn, entry, P.PENDING, now=now, actor=actor,
                note=Note("pool.manual_retry", {"attempts": entry.attempts}), values={"attempts": 0, "due_at": now},
            ):
                raise InvalidPoolState(pool_id=entry.id, status="changing", action="retry")
    return [e.id for e in entries]


@dataclass(frozen=True)
class PoolDetail:
    entry: PoolEntry
    events: list[PoolEvent]


async def entry_detail(db: Database, pool_id: int) -> PoolDetail | None:
    async with db.read() as conn:
        entry = await pool_store.get_entry(conn, pool_id)
        if entry is None:
            return None
        return PoolDetail(entry, await pool_store.events_of(conn, pool_id))


async def list_entries(db: Database, *, status: PoolStatus | None, account_id: int | None, limit: int) -> list[PoolEntry]:
    async with db.read() as conn:
        return await pool_store.list_entries(conn, status=status, account_id=account_id, limit=limit)


async def pool_stats(db: Database, *, clock: Clock) -> dict[str, int]:
    """Entries per status (every status named, zeros included), plus ``due`` (pending and due now)
    and ``total``."""
    async with db.read() as conn:
        counts = await pool_store.count_by_status(conn)
        due = await pool_store.count_due(conn, now=clock.now())
    stats = {status.value: counts.get(status.value, 0) for status in PoolStatus}
    stats["total"] = sum(counts.values())
    stats["due"] = due
    return stats
