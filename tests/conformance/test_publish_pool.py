"""Conformance, publish pool: claims in the pool's order, scheduled entries, guarded transitions
with their events, the publishing lease, and the database guards that keep an article from
being published twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from contenthub_async.clock import ManualClock
from contenthub_async.domain.vocabulary import PoolStatus
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import publish_pool
from tests.conformance.support import add_account

P = PoolStatus


async def add_article(db: Database, clock: ManualClock, account_id: int, title: str = "t") -> int:
    async with db.write() as conn:
        return await content_store.insert_content(
            conn,
            content_store.NewContent(account_id=account_id, generation_task_id=None, title=title,
                                     body_markdown=f"# {title}\n\nbody", summary=None, images=[], word_count=4,
                                     category=None, tags=None, approved=True),
            now=clock.now(),
        )


async def pool_entries(db: Database, clock: ManualClock, *priorities: int, scheduled_in: float | None = None) -> list[int]:
    account = await add_account(db, clock)
    ids = []
    for i, priority in enumerate(priorities):
        content_id = await add_article(db, clock, account, f"a{i}")
        scheduled = clock.now() + timedelta(seconds=scheduled_in) if scheduled_in is not None else None
        async with db.write() as conn:
            ids.append(await pool_store.insert_entry(conn, content_id=content_id, account_id=account,
                                                     priority=priority, now=clock.now(), actor="cli",
                                                     scheduled_at=scheduled))
    return ids


async def claim(db: Database, clock: ManualClock, limit: int, owner: str = "d1", **kw: object) -> list[int]:
    async with db.write() as conn:
        entries = await pool_store.claim_entries(conn, owner=owner, limit=limit, now=clock.now(), lease_seconds=60,
                                                 **kw)  # type: ignore[arg-type]
    return [e.id for e in entries]


async def test_lower_priority_number_is_claimed_first_then_fifo(db: Database, clock: ManualClock) -> None:
    ids = await pool_entries(db, clock, 5, 1, 9, 1)
    assert await claim(db, clock, 3) == [ids[1], ids[3], ids[0]]
    assert await claim(db, clock, 3) == [ids[2]]
    async with db.read() as conn:
        entry = await pool_store.get_entry(conn, ids[1])
        events = await pool_store.events_of(conn, ids[1])
    assert entry is not None and entry.status == P.PUBLISHING and entry.attempts == 1 and entry.lease_owner == "d1"
    assert [(e.from_status, e.to_status) for e in events] == [(None, "pending"), ("pending", "publishing")]


async def test_scheduled_entries_wait_for_their_time_unless_named(db: Database, clock: ManualClock) -> None:
    [later] = await pool_entries(db, clock, 5, scheduled_in=3600)
    assert await claim(db, clock, 5) == []
    async with db.read() as conn:
        assert await pool_store.earliest_due(conn) == clock.now() + timedelta(seconds=3600)
    assert await claim(db, clock, 5, entry_ids=[later]) == [later]  # publish-pool publish ID: now


async def test_scheduled_entry_is_claimed_once_due(db: Database, clock: ManualClock) -> None:
    [later] = await pool_entries(db, clock, 5, scheduled_in=60)
    clock.advance(60)
    assert await claim(db, clock, 5) == [later]


async def test_transitions_are_guarded_and_follow_the_table(db: Database, clock: ManualClock) -> None:
    [entry_id] = await pool_entries(db, clock, 5)
    await claim(db, clock, 1)
    async with db.read() as conn:
        entry = await pool_store.get_entry(conn, entry_id)
    assert entry is not None
    async with db.write() as conn:
        # another daemon's lease: refused
        assert not await pool_store.transition(conn, entry, P.PUBLISHED, now=clock.now(), actor="d2",
                                               lease_owner="d2", values={"external_id": "x", "published_at": clock.now()})
        assert await pool_store.transition(conn, entry, P.PUBLISHED, now=clock.now(), actor="d1", lease_owner="d1",
                                           values={"external_id": "x", "published_at": clock.now()})
        # the same move again: the status it was read in no longer holds
        assert not await pool_store.transition(conn, entry, P.PUBLISHED, now=clock.now(), actor="d1",
                                               values={"external_id": "y", "published_at": clock.now()})
    async with db.read() as conn:
        published = await pool_store.get_entry(conn, entry_id)
        article = await content_store.get_content(conn, published.content_id if published else 0)
    assert published is not None and published.status == P.PUBLISHED and published.external_id == "x"
    assert published.lease_owner is None and article is not None and article["publish_status"] == "published"
    with pytest.raises(ValueError, match="illegal"):
        async with db.write() as conn:
            await pool_store.transition(conn, published, P.PENDING, now=clock.now(), actor="cli")


async def test_an_article_has_one_pool_entry(db: Database, clock: ManualClock) -> None:
    [entry_id] = await pool_entries(db, clock, 5)
    async with db.read() as conn:
        entry = await pool_store.get_entry(conn, entry_id)
    assert entry is not None
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await pool_store.insert_entry(conn, content_id=entry.content_id, account_id=entry.account_id, priority=5,
                                          now=clock.now(), actor="cli")


@pytest.mark.parametrize(
    "values",
    [
        {"status": "published"},  # published without an external id and a time
        {"status": "publishing"},  # publishing without a lease
        {"lease_owner": "d1", "lease_expires_at": None},  # a lease outside publishing
    ],
)
async def test_the_database_refuses_inconsistent_rows(db: Database, clock: ManualClock, values: dict) -> None:
    [entry_id] = await pool_entries(db, clock, 5)
    if "lease_expires_at" in values:
        values = {**values, "lease_expires_at": clock.now()}
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await conn.execute(update(publish_pool).where(publish_pool.c.id == entry_id).values(**values))


async def test_the_janitors_read_sees_an_expired_publishing_lease_exactly_when_one_would_be_rescued(
    db: Database, clock: ManualClock
) -> None:
    await pool_entries(db, clock, 5)
    await claim(db, clock, 1)
    async with db.read() as conn:
        assert not await pool_store.any_lease_expired(conn, now=clock.now())
    clock.advance(61)
    async with db.read() as conn:
        assert await pool_store.any_lease_expired(conn, now=clock.now())
    async with db.write() as conn:
        assert len(await pool_store.expire_leases(conn, now=clock.now(), actor="janitor")) == 1
        assert not await pool_store.any_lease_expired(conn, now=clock.now())


async def test_expired_publishing_leases_return_to_the_pool(db: Database, clock: ManualClock) -> None:
    [entry_id] = await pool_entries(db, clock, 5)
    await claim(db, clock, 1)
    async with db.write() as conn:
        assert await pool_store.expire_leases(conn, now=clock.now(), actor="janitor") == []
    clock.advance(61)
    async with db.write() as conn:
        assert await pool_store.expire_leases(conn, now=clock.now(), actor="janitor") == [entry_id]
    async with db.read() as conn:
        entry = await pool_store.get_entry(conn, entry_id)
    assert entry is not None and entry.status == P.PENDING and entry.lease_owner is None and entry.attempts == 1
    assert await claim(db, clock, 1, owner="d2") == [entry_id]


async def test_two_claimers_never_share_an_entry(db: Database, clock: ManualClock) -> None:
    ids = await pool_entries(db, clock, *([5] * 6))
    first = await claim(db, clock, 4, owner="d1")
    second = await claim(db, clock, 4, owner="d2")
    assert len(first) == 4 and len(second) == 2 and not set(first) & set(second)
    assert sorted(first + second) == ids


async def test_removal_only_of_pending_or_failed_entries(db: Database, clock: ManualClock) -> None:
    pending_id, claimed_id = await pool_entries(db, clock, 1, 5)
    await claim(db, clock, 1, entry_ids=[claimed_id])
    async with db.write() as conn:
        pending = await pool_store.get_entry(conn, pending_id)
        claimed = await pool_store.get_entry(conn, claimed_id)
        assert pending is not None and claimed is not None
        assert not await pool_store.delete_entry(conn, claimed, now=clock.now())
        assert await pool_store.delete_entry(conn, pending, now=clock.now())
        article = await content_store.get_content(conn, pending.content_id)
    assert article is not None and article["publish_status"] == "draft"

