"""Statements on the webhook outbox: ``webhook_events``, ``webhook_deliveries``, ``webhook_attempts``.

* An event row is written **in the caller's transaction**, the one that makes the change it
  announces (:func:`record_task_event` from the task transitions of ``store.tasks``,
  :func:`record_pool_event` from the publishing outcomes of ``store.pool``, :func:`record_event`
  for other events): a change that rolls back announces nothing, and a
  change that commits cannot lose its announcement.
* A daemon then *fans out* each new event into one delivery per destination URL
  (:func:`fan_out`; unique per event and URL, so doing it twice does nothing).
* Deliveries are claimed under a lease (:func:`claim_deliveries`; ``SKIP LOCKED`` on PostgreSQL),
  and each attempt's outcome is recorded only while the claimer still holds that lease
  (:func:`record_attempt`): two daemons never send one delivery at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, and_, exists, func, insert, or_, select, update

from contenthub_async.domain.entities import OutgoingWebhook, PoolEntry, WebhookAttempt, WebhookDelivery
from contenthub_async.domain.vocabulary import DeliveryStatus, PoolStatus, WebhookEventType
from contenthub_async.json_objects import publish_outcome_json
from contenthub_async.store import contents as content_store
from contenthub_async.store.batches import chunks
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of, notify_changes
from contenthub_async.store.everyday import TASK_EVENT_TYPES as TASK_EVENT_TYPES
from contenthub_async.store.everyday import record_event as record_event
from contenthub_async.store.everyday import record_task_event as record_task_event
from contenthub_async.store.tables import content_generation_tasks as tasks_table
from contenthub_async.store.tables import contents, webhook_attempts, webhook_deliveries, webhook_events

E = webhook_events.c
D = webhook_deliveries.c
A = webhook_attempts.c
DS = DeliveryStatus

#: The event a pool entry's arrival at a publishing outcome announces.
POOL_EVENT_TYPES: dict[PoolStatus, WebhookEventType] = {
    PoolStatus.PUBLISHED: WebhookEventType.CONTENT_PUBLISHED,
    PoolStatus.FAILED: WebhookEventType.CONTENT_PUBLISH_FAILED,
}


# ---------------------------------------------------------------- the outbox


async def record_pool_event(conn: Connection, entry: PoolEntry, *, now: datetime) -> str:
    """Announce that the pool entry ``entry`` (as just written) reached ``published`` or
    ``failed``. The event belongs to the task that generated the article (``webhook list
    --task``), and goes to that task's ``callback_url`` too."""
    T = tasks_table.c
    task = (
        await conn.execute(
            select(T.id, T.task_id, T.callback_url)
            .select_from(contents.join(tasks_table, T.id == contents.c.generation_task_id))
            .where(contents.c.id == entry.content_id)
        )
    ).first()
    content = await content_store.content_state(conn, entry.content_id)
    return await record_event(
        conn, POOL_EVENT_TYPES[entry.status], publish_outcome_json(entry, content, task.task_id if task else None),
        now=now, task_pk=task.id if task else None, callback_url=task.callback_url if task else None,
    )


@dataclass(frozen=True)
class NewEvent:
    """An event not yet fanned out into deliveries."""

    pk: int
    event_type: WebhookEventType
    callback_url: str | None


async def events_to_fan_out(conn: Connection, *, limit: int) -> list[NewEvent]:
    """Oldest events without deliveries yet (PostgreSQL: skipping those another daemon holds)."""
    query = select(E.id, E.event_type, E.callback_url).where(E.fanned_out_at.is_(None)).order_by(E.id).limit(limit)
    rows = (await conn.execute(dialect_of(conn).skip_locked(query))).all()
    return [NewEvent(r.id, WebhookEventType(r.event_type), r.callback_url) for r in rows]


async def fan_out(conn: Connection, event: NewEvent, urls: Sequence[str], *, now: datetime) -> None:
    """Create the event's deliveries (one per distinct URL, due now) and mark it fanned out."""
    distinct = list(dict.fromkeys(urls))
    if distinct:
        await conn.execute(
            dialect_of(conn).insert_ignoring_duplicates(webhook_deliveries),
            [
                {"webhook_event_id": event.pk, "url": url, "status": DS.PENDING.value, "attempts": 0,
                 "next_attempt_at": now, "created_at": now, "updated_at": now}
                for url in distinct
            ],
        )
    await conn.execute(update(webhook_events).where(E.id == event.pk).values(fanned_out_at=now))


# ---------------------------------------------------------------- sending


def _claimable(now: datetime) -> Any:
    return and_(
        D.status == DS.PENDING.value,
        D.next_attempt_at <= now,
        or_(D.lease_expires_at.is_(None), D.lease_expires_at < now),
    )


async def work_waiting(conn: Connection, *, now: datetime) -> tuple[bool, datetime | None]:
    """Whether an event waits to be fanned out or a delivery can be claimed ``now``, and when
    the earliest pending delivery can next be claimed (as :func:`next_due`): what a deliverer
    reads, in one statement of index probes, before it opens a write transaction."""
    unfanned = exists(select(E.id).where(E.fanned_out_at.is_(None)))
    claimable = exists(select(D.id).where(_claimable(now)))
    waiting, unleased, leased = (await conn.execute(select(or_(unfanned, claimable), *_next_due_times()))).one()
    return bool(waiting), _earliest(unleased, leased)


async def claim_deliveries(
    conn: Connection, *, owner: str, limit: int, now: datetime, lease_seconds: float
) -> list[OutgoingWebhook]:
    """Take up to ``limit`` due deliveries under a lease, oldest due first. A delivery whose
    claimer died is claimable again once its lease expired."""
    if limit <= 0:
        return []
    candidates = dialect_of(conn).skip_locked(
        select(D.id).where(_claimable(now)).order_by(D.next_attempt_at, D.id).limit(limit)
    )
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED): PostgreSQL
    # may evaluate such a subquery more than once and so take more than n rows.
    ids = list((await conn.execute(candidates)).scalars())
    if not ids:
        return []
    claimed = (
        await conn.execute(
            update(webhook_deliveries)
            .where(D.id.in_(ids), _claimable(now))
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            .returning(D.id)
        )
    ).all()
    if not claimed:
        return []
    query = (
        select(D.id, D.url, D.attempts, D.created_at, E.event_id, E.event_type, E.created_at.label("event_created_at"),
               E.data)
        .select_from(webhook_deliveries.join(webhook_events, E.id == D.webhook_event_id))
        .where(D.id.in_([r.id for r in claimed]))
        .order_by(D.next_attempt_at, D.id)
    )
    return [
        OutgoingWebhook(
            delivery_id=r.id, url=r.url, attempt=r.attempts + 1, delivery_created_at=r.created_at,
            event_id=r.event_id, event_type=r.event_type, event_created_at=r.event_created_at, data=r.data,
        )
        for r in (await conn.execute(query)).all()
    ]


async def release_deliveries_of(conn: Connection, owners: Sequence[str], *, now: datetime) -> list[int]:
    """Drop the leases ``owners`` (daemons taken for dead) hold on pending deliveries, so they are
    claimable at once rather than when the lease expires; their ids. A delivery whose request was
    in flight may be sent twice (receivers deduplicate by event id)."""
    if not owners:
        return []
    released = (
        await conn.execute(
            update(webhook_deliveries)
            .where(D.status == DS.PENDING.value, D.lease_owner.in_(list(owners)))
            .values(lease_owner=None, lease_expires_at=None, updated_at=now)
            .returning(D.id)
        )
    ).scalars().all()
    if released:
        await notify_changes(conn)
    return sorted(released)


async def record_attempt(
    conn: Connection,
    delivery: OutgoingWebhook,
    *,
    owner: str,
    now: datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    delivered: bool,
    retry_at: datetime | None,
) -> bool:
    """Record one attempt and its consequence — delivered, retry at ``retry_at``, or dead (neither)
    — if ``owner`` still holds the delivery's lease; False (nothing written) otherwise."""
    if delivered:
        outcome: dict[str, Any] = {"status": DS.DELIVERED.value, "delivered_at": now}
    elif retry_at is not None:
        outcome = {"status": DS.PENDING.value, "next_attempt_at": retry_at}
    else:
        outcome = {"status": DS.DEAD.value}
    result = await conn.execute(
        update(webhook_deliveries)
        .where(D.id == delivery.delivery_id, D.lease_owner == owner, D.status == DS.PENDING.value)
        .values(
            **outcome, attempts=D.attempts + 1, last_status_code=status_code, last_error=error,
            lease_owner=None, lease_expires_at=None, updated_at=now,
        )
    )
    if result.rowcount != 1:
        return False
    await conn.execute(
        insert(webhook_attempts).values(
            delivery_id=delivery.delivery_id, at=now, daemon_id=owner, status_code=status_code, error=error,
            duration_ms=duration_ms,
        )
    )
    return True


async def next_due(conn: Connection) -> datetime | None:
    """When the earliest pending delivery can next be claimed (None: nothing pending): its
    next attempt time, or the end of its lease while another claimer holds it."""
    unleased, leased = (await conn.execute(select(*_next_due_times()))).one()
    return _earliest(unleased, leased)


def _next_due_times() -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """The earliest next attempt of an unleased pending delivery, and the earliest lease end of
    a leased one (a claimer died, or holds it now)."""
    pending = D.status == DS.PENDING.value
    return (
        select(func.min(D.next_attempt_at)).where(pending, D.lease_expires_at.is_(None)).scalar_subquery(),
        select(func.min(D.lease_expires_at)).where(pending, D.lease_expires_at.is_not(None)).scalar_subquery(),
    )


def _earliest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


# ---------------------------------------------------------------- what people read and do


_DELIVERY_COLUMNS = (
    D.id, E.event_id, E.event_type, tasks_table.c.task_id, D.url, D.status, D.attempts, D.next_attempt_at,
    D.last_status_code, D.last_error, D.delivered_at, D.created_at, D.updated_at,
)
_DELIVERY_JOIN = webhook_deliveries.join(webhook_events, E.id == D.webhook_event_id).outerjoin(
    tasks_table, tasks_table.c.id == E.generation_task_id
)


def _delivery(row: Any) -> WebhookDelivery:
    data = dict(row._mapping)
    data["status"] = DeliveryStatus(data["status"])
    return WebhookDelivery(**data)


async def list_deliveries(
    conn: Connection, *, status: DeliveryStatus | None = None, task_id: str | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """Newest deliveries first."""
    query = select(*_DELIVERY_COLUMNS).select_from(_DELIVERY_JOIN)
    if status is not None:
        query = query.where(D.status == status.value)
    if task_id is not None:
        query = query.where(tasks_table.c.task_id == task_id)
    query = query.order_by(D.id.desc()).limit(limit)
    return [_delivery(r) for r in (await conn.execute(query)).all()]


async def get_delivery(conn: Connection, delivery_id: int) -> WebhookDelivery | None:
    query = select(*_DELIVERY_COLUMNS).select_from(_DELIVERY_JOIN).where(D.id == delivery_id)
    row = (await conn.execute(query)).first()
    return _delivery(row) if row else None


async def attempts_of(conn: Connection, delivery_id: int) -> list[WebhookAttempt]:
    query = (
        select(A.at, A.daemon_id, A.status_code, A.error, A.duration_ms)
        .where(A.delivery_id == delivery_id)
        .order_by(A.id)
    )
    return [WebhookAttempt(*r) for r in (await conn.execute(query)).all()]


async def event_body_of(conn: Connection, delivery_id: int) -> tuple[str, str, datetime, Any] | None:
    """(event id, type, created at, data) of a delivery's event."""
    query = (
        select(E.event_id, E.event_type, E.created_at, E.data)
        .select_from(webhook_deliveries.join(webhook_events, E.id == D.webhook_event_id))
        .where(D.id == delivery_id)
    )
    row = (await conn.execute(query)).first()
    return (row.event_id, row.event_type, row.created_at, row.data) if row else None


async def redeliver(
    conn: Connection, *, delivery_ids: Iterable[int] = (), all_dead: bool = False, now: datetime
) -> list[int]:
    """Send deliveries again from now on (the retry horizon starts over): the given ones that
    are delivered or dead, or every dead one. Returns the ids that were put back, in order."""
    revived = {"status": DS.PENDING.value, "next_attempt_at": now, "created_at": now, "updated_at": now,
               "lease_owner": None, "lease_expires_at": None, "delivered_at": None}
    done = [DS.DELIVERED.value, DS.DEAD.value]
    moved: list[int] = []
    if all_dead:
        rows = await conn.execute(
            update(webhook_deliveries).where(D.status == DS.DEAD.value).values(**revived).returning(D.id)
        )
        moved.extend(r.id for r in rows)
    for chunk in chunks(sorted(set(delivery_ids))):
        rows = await conn.execute(
            update(webhook_deliveries).where(D.id.in_(chunk), D.status.in_(done)).values(**revived).returning(D.id)
        )
        moved.extend(r.id for r in rows)
    if moved:
        await notify_changes(conn)
    return sorted(moved)


async def count_by_status(conn: Connection) -> dict[str, int]:
    rows = (await conn.execute(select(D.status, func.count()).group_by(D.status))).all()
    return {status: count for status, count in rows}
