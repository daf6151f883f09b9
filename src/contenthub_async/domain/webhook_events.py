"""Which events go where: the event filter of ``CONTENTHUB_WEBHOOK_EVENTS`` and the
destinations of an event (pure rules; the deliverer applies them when it fans out events)."""

from __future__ import annotations

from collections.abc import Collection

from contenthub_async.domain.vocabulary import WebhookEventType

#: The events that are written and sent (``ping`` is only sent by ``webhook test``).
ANNOUNCED_EVENTS: tuple[WebhookEventType, ...] = tuple(t for t in WebhookEventType if t != WebhookEventType.PING)


def parse_event_filter(value: str | None) -> frozenset[WebhookEventType]:
    """The event types of a comma-separated list; empty or unset: all of them.
    Raises ValueError naming an unknown type."""
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    if not names:
        return frozenset(ANNOUNCED_EVENTS)
    wanted = set()
    for name in names:
        try:
            event_type = WebhookEventType(name)
        except ValueError:
            raise ValueError(f"unknown webhook event type: {name}") from None
        if event_type not in ANNOUNCED_EVENTS:
            raise ValueError(f"unknown webhook event type: {name}")
        wanted.add(event_type)
    return frozenset(wanted)


def destinations(
    event_type: WebhookEventType,
    callback_url: str | None,
    *,
    webhook_url: str | None,
    wanted: Collection[WebhookEventType],
) -> list[str]:
    """The URLs an event is delivered to: ``WEBHOOK_URL`` (None when webhooks are disabled) and
    the task's own ``callback_url``, each once, if the filter wants the event type."""
    if event_type not in wanted:
        return []
    return list(dict.fromkeys(url for url in (webhook_url, callback_url) if url))
