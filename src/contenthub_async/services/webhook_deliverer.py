"""Webhook deliverer: turns outbox events into deliveries and sends them (docs/webhooks.md).

Each round (``run_once``) first reads whether anything waits: most rounds are woken by commits
that concern other loops, and then open no write transaction. Otherwise it fans new events out
into deliveries (``WEBHOOK_URL`` when enabled, the task's ``callback_url``, filtered by
``CONTENTHUB_WEBHOOK_EVENTS``), then claims as many due deliveries as there are free sending
slots (``CONTENTHUB_WEBHOOK_CONCURRENCY``) and sends each in a child task that outlives the
round, so a slow receiver holds one slot, never the loop.
Every attempt is recorded; a failed one is retried with jittered exponential backoff
(``domain.webhook_retry``) until ``CONTENTHUB_WEBHOOK_RETRY_HORIZON`` has passed, then the
delivery is ``dead``. A delivery is claimed under a lease longer than one attempt can take, so
two daemons never send it at the same time; a daemon that dies mid-send leaves a lease that
expires, and the delivery is sent again (receivers deduplicate on ``webhook-id``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import anyio
import anyio.abc

from contenthub_async.config import Settings
from contenthub_async.domain.entities import OutgoingWebhook
from contenthub_async.domain.vocabulary import WebhookEventType
from contenthub_async.domain.webhook_events import destinations, parse_event_filter
from contenthub_async.domain.webhook_retry import next_attempt_at
from contenthub_async.domain.webhook_signing import parse_secret_keys
from contenthub_async.json_objects import webhook_body
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.services.webhook_sender import SendOutcome, WebhookSender
from contenthub_async.store import webhooks as webhook_store

IDLE_RECHECK_SECONDS = 5.0  # re-check even without a wake-up (other daemons' retries falling due)
FAN_OUT_BATCH = 500
LEASE_MARGIN_SECONDS = 30.0  # a lease outlasts the attempt (bounded by WEBHOOK_TIMEOUT) by this much


@dataclass(frozen=True)
class WebhookConfig:
    """The webhook settings a daemon delivers with."""

    webhook_url: str | None  # WEBHOOK_URL when WEBHOOK_ENABLED, else None
    wanted: Collection[WebhookEventType]
    keys: tuple[bytes, ...]
    timeout: float
    concurrency: int
    retry_base: float
    retry_horizon: float
    allow_private: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        return cls(
            webhook_url=settings.WEBHOOK_URL if settings.WEBHOOK_ENABLED else None,
            wanted=parse_event_filter(settings.CONTENTHUB_WEBHOOK_EVENTS),
            keys=parse_secret_keys(settings.WEBHOOK_SECRET_KEY),
            timeout=settings.WEBHOOK_TIMEOUT,
            concurrency=settings.CONTENTHUB_WEBHOOK_CONCURRENCY,
            retry_base=settings.CONTENTHUB_WEBHOOK_RETRY_BASE,
            retry_horizon=settings.CONTENTHUB_WEBHOOK_RETRY_HORIZON,
            allow_private=settings.CONTENTHUB_WEBHOOK_ALLOW_PRIVATE,
        )

    def sender(self) -> WebhookSender:
        return WebhookSender(timeout=self.timeout, keys=self.keys, allow_private=self.allow_private)


class WebhookDeliverer:
    name = "webhooks"

    def __init__(self, ctx: ServiceContext, wakeup: Wakeup, config: WebhookConfig, sender: WebhookSender) -> None:
        self.ctx = ctx
        self.wakeup = wakeup
        self.config = config
        self.sender = sender
        self.log = ctx.log.bind(component=self.name)
        self._in_progress = 0
        self._sending: anyio.abc.TaskGroup | None = None

    async def fan_out_once(self) -> int:
        """Create the deliveries of up to one batch of new events; return how many events."""
        ctx = self.ctx
        async with ctx.db.write() as conn:
            events = await webhook_store.events_to_fan_out(conn, limit=FAN_OUT_BATCH)
            now = ctx.clock.now()
            for event in events:
                urls = destinations(
                    event.event_type, event.callback_url, webhook_url=self.config.webhook_url,
                    wanted=self.config.wanted,
                )
                await webhook_store.fan_out(conn, event, urls, now=now)
        return len(events)

    async def claim_once(self) -> list[OutgoingWebhook]:
        ctx = self.ctx
        free = self.config.concurrency - self._in_progress
        if free <= 0:
            return []
        async with ctx.db.write() as conn:
            return await webhook_store.claim_deliveries(
                conn, owner=ctx.daemon_id, limit=free, now=ctx.clock.now(),
                lease_seconds=self.config.timeout + LEASE_MARGIN_SECONDS,
            )

    async def run_once(self) -> float | None:
        assert self._sending is not None, "run_once runs inside run()"
        idle = await self._idle_delay()
        if idle is not None:
            return idle
        fanned_out = await self.fan_out_once()
        claimed = await self.claim_once()
        for delivery in claimed:
            self._in_progress += 1
            self._sending.start_soon(self._deliver, delivery)
        if self._in_progress >= self.config.concurrency:
            return IDLE_RECHECK_SECONDS  # a finished send wakes the loop
        if fanned_out == FAN_OUT_BATCH or claimed:
            return 0
        return await self._until_next_due()

    async def run(self, stopping: anyio.Event) -> None:
        """Deliver until ``stopping``; sends in flight then get ``WEBHOOK_TIMEOUT`` to finish
        (one that does not is sent again after its lease expires)."""
        try:
            async with anyio.create_task_group() as sending:
                self._sending = sending
                await ServiceLoop(self, interval=IDLE_RECHECK_SECONDS, log=self.log, wakeup=self.wakeup).run(stopping)
                sending.cancel_scope.deadline = anyio.current_time() + self.config.timeout
        finally:
            self._sending = None
            with anyio.CancelScope(shield=True):
                await self.sender.aclose()

    async def deliver(self, delivery: OutgoingWebhook) -> SendOutcome:
        """Make one attempt of ``delivery`` and record it (tests call this directly)."""
        ctx = self.ctx
        body = webhook_body(delivery.event_id, delivery.event_type, delivery.event_created_at, delivery.data)
        outcome = await self.sender.send(
            delivery.url, delivery.event_id, body, guarded=delivery.url != self.config.webhook_url,
            timestamp=int(ctx.clock.now().timestamp()),
        )
        now = ctx.clock.now()
        retry_at = None
        if not outcome.delivered:
            retry_at = next_attempt_at(
                attempt=delivery.attempt, created=delivery.delivery_created_at, now=now,
                base=self.config.retry_base, horizon=self.config.retry_horizon,
            )
        async with ctx.db.write() as conn:
            recorded = await webhook_store.record_attempt(
                conn, delivery, owner=ctx.daemon_id, now=now, status_code=outcome.status_code,
                error=outcome.error, duration_ms=outcome.duration_ms, delivered=outcome.delivered, retry_at=retry_at,
            )
        fields = {"delivery_id": delivery.delivery_id, "event_id": delivery.event_id, "event_type": delivery.event_type,
                  "attempt": delivery.attempt, "status_code": outcome.status_code, "duration_ms": outcome.duration_ms}
        if not recorded:
            self.log.warning("webhook attempt not recorded: the delivery's lease was lost", **fields)
        elif outcome.delivered:
            self.log.info("webhook delivered", **fields)
        elif retry_at is not None:
            self.log.info("webhook attempt failed; will retry", error=outcome.error, retry_at=retry_at.isoformat(),
                          **fields)
        else:
            self.log.warning("webhook delivery dead: retry horizon passed", error=outcome.error, **fields)
        return outcome

    async def _deliver(self, delivery: OutgoingWebhook) -> None:
        try:
            await self.deliver(delivery)
        except Exception:
            self.log.exception("webhook attempt failed to record; its lease will expire",
                               delivery_id=delivery.delivery_id)
        finally:
            self._in_progress -= 1
            self.wakeup.notify()

    async def _idle_delay(self) -> float | None:
        """With nothing to fan out or claim, the delay until the next delivery is due (one read
        transaction); None when there is work."""
        async with self.ctx.db.read() as conn:
            waiting, due = await webhook_store.work_waiting(conn, now=self.ctx.clock.now())
        return None if waiting else self._delay_until(due)

    async def _until_next_due(self) -> float:
        async with self.ctx.db.read() as conn:
            due: datetime | None = await webhook_store.next_due(conn)
        return self._delay_until(due)

    def _delay_until(self, due: datetime | None) -> float:
        if due is None:
            return IDLE_RECHECK_SECONDS
        return max(0.0, min(IDLE_RECHECK_SECONDS, (due - self.ctx.clock.now()).total_seconds()))
