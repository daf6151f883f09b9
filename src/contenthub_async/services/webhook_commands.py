"""What people do with webhooks: read deliveries and their attempts, redeliver, send a test ping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contenthub_async.clock import Clock
from contenthub_async.config import Settings
from contenthub_async.domain.entities import WebhookAttempt, WebhookDelivery
from contenthub_async.domain.ids import new_event_id
from contenthub_async.domain.vocabulary import DeliveryStatus, WebhookEventType
from contenthub_async.domain.webhook_signing import parse_secret_keys
from contenthub_async.json_objects import webhook_body
from contenthub_async.services.webhook_sender import SendOutcome, WebhookSender
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.database import Database


async def list_deliveries(
    db: Database, *, status: DeliveryStatus | None, task_id: str | None, limit: int
) -> list[WebhookDelivery]:
    async with db.read() as conn:
        return await webhook_store.list_deliveries(conn, status=status, task_id=task_id, limit=limit)


async def delivery_counts(db: Database) -> dict[str, int]:
    """Deliveries by status, every status present (zeros included)."""
    async with db.read() as conn:
        counts = await webhook_store.count_by_status(conn)
    return {s.value: counts.get(s.value, 0) for s in DeliveryStatus}


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


async def delivery_detail(db: Database, delivery_id: int) -> DeliveryDetail | None:
    async with db.read() as conn:
        delivery = await webhook_store.get_delivery(conn, delivery_id)
        if delivery is None:
            return None
        return DeliveryDetail(delivery, await webhook_store.attempts_of(conn, delivery_id))


async def redeliver(db: Database, delivery_ids: Sequence[int], *, all_dead: bool, clock: Clock) -> list[int]:
    """Put delivered or dead deliveries back to pending, due now; the ids that were."""
    async with db.write() as conn:
        return await webhook_store.redeliver(conn, delivery_ids=delivery_ids, all_dead=all_dead, now=clock.now())


@dataclass(frozen=True)
class PingResult:
    url: str
    event_id: str
    signed: bool
    outcome: SendOutcome


async def send_ping(settings: Settings, url: str, *, clock: Clock) -> PingResult:
    """Send one signed ``ping`` event to ``url`` now (nothing is stored)."""
    keys = parse_secret_keys(settings.WEBHOOK_SECRET_KEY)
    now = clock.now()
    event_id = new_event_id()
    body = webhook_body(event_id, WebhookEventType.PING.value, now, {"message": "contenthub webhook test"})
    sender = WebhookSender(timeout=settings.WEBHOOK_TIMEOUT, keys=keys,
                           allow_private=settings.CONTENTHUB_WEBHOOK_ALLOW_PRIVATE)
    try:
        outcome = await sender.send(url, event_id, body, guarded=False, timestamp=int(now.timestamp()))
    finally:
        await sender.aclose()
    return PingResult(url, event_id, bool(keys), outcome)
