"""``webhook list|show|redeliver|test``: the deliveries of webhook events (docs/webhooks.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_FAILED, EXIT_OK, CliError, usage
from contenthub_async.cli.output import (
    Column,
    local_time,
    or_dash,
    print_fields,
    print_json,
    print_lines,
    print_table,
    utc_iso,
)
from contenthub_async.cli.params import Format, check_limit, strict_int
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import WebhookAttempt, WebhookDelivery

DeliveryId = Annotated[int, Parameter(converter=strict_int, help=text("help.opt.delivery_id"))]
StatusFilter = Annotated[
    Literal["pending", "delivered", "dead"] | None,
    Parameter(name=["--status", "-s"], help=text("help.opt.delivery_status")),
]
TaskFilter = Annotated[str | None, Parameter(name="--task", help=text("help.opt.delivery_task"))]
Limit = Annotated[int, Parameter(name=["--limit", "-l"], converter=strict_int, help=text("help.opt.limit"))]

_STYLES = {"pending": "yellow", "delivered": "green", "dead": "red"}


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    """A webhook delivery (docs/cli-json.md)."""
    return {
        "delivery_id": d.id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "task_id": d.task_id,
        "url": d.url,
        "status": d.status.value,
        "attempts": d.attempts,
        "next_attempt_at": utc_iso(d.next_attempt_at) if d.status.value == "pending" else None,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "delivered_at": utc_iso(d.delivered_at),
        "created_at": utc_iso(d.created_at),
    }


def attempt_json(a: WebhookAttempt) -> dict[str, Any]:
    return {"at": utc_iso(a.at), "daemon_id": a.daemon_id, "status_code": a.status_code, "error": a.error,
            "duration_ms": a.duration_ms}


def _status_word(status: str) -> str:
    word = text(f"webhook.status.{status}")
    return word if word == status else f"{word}（{status}）"


def list_(*, status: StatusFilter = None, task: TaskFilter = None, limit: Limit = 50, fmt: Format = "table") -> int:
    """List webhook deliveries, newest first."""
    from contenthub_async.domain.vocabulary import DeliveryStatus
    from contenthub_async.services.webhook_commands import list_deliveries

    check_limit(limit)

    async def load() -> list[WebhookDelivery]:
        async with runtime.open_database() as db:
            return await list_deliveries(db, status=DeliveryStatus(status) if status else None, task_id=task,
                                         limit=limit)

    deliveries = runtime.run(load)
    if fmt == "json":
        print_json([delivery_json(d) for d in deliveries])
        return EXIT_OK
    if not deliveries:
        print_lines([text("webhook.list_empty")])
        return EXIT_OK
    columns = [
        Column(text("label.id"), right=True),
        Column(text("label.event_type")),
        Column(text("label.task_id"), drop=3),
        Column(text("label.status")),
        Column(text("label.attempts"), right=True, drop=4),
        Column(text("label.outcome"), shrink=12, drop=1),
        Column(text("label.url"), shrink=16, drop=2),
    ]
    print_table(columns, [
        [
            (str(d.id), None),
            (d.event_type, None),
            (or_dash(d.task_id), None),
            (_status_word(d.status.value), _STYLES.get(d.status.value)),
            (str(d.attempts), None),
            (or_dash(d.last_error or (str(d.last_status_code) if d.last_status_code else None)), None),
            (d.url, None),
        ]
        for d in deliveries
    ])
    return EXIT_OK


def show(delivery_id: DeliveryId, /, *, fmt: Format = "table") -> int:
    """Show a delivery and every attempt (status code, error, time)."""
    from contenthub_async.services.webhook_commands import DeliveryDetail, delivery_detail

    async def load() -> DeliveryDetail | None:
        async with runtime.open_database() as db:
            return await delivery_detail(db, delivery_id)

    detail = runtime.run(load)
    if detail is None:
        raise CliError("error.webhook_not_found", delivery_id=delivery_id)
    d = detail.delivery
    if fmt == "json":
        print_json({**delivery_json(d), "attempt_log": [attempt_json(a) for a in detail.attempts]})
        return EXIT_OK
    print_fields([
        (text("label.id"), str(d.id)),
        (text("label.event_id"), d.event_id),
        (text("label.event_type"), d.event_type),
        (text("label.task_id"), or_dash(d.task_id)),
        (text("label.url"), d.url),
        (text("label.status"), _status_word(d.status.value)),
        (text("label.attempts"), str(d.attempts)),
        (text("label.next_attempt_at"), local_time(d.next_attempt_at) if d.status.value == "pending" else "-"),
        (text("label.delivered_at"), local_time(d.delivered_at)),
        (text("label.error_message"), or_dash(d.last_error)),
    ])
    print_lines(["", text("label.attempt_log") + ":"])
    for a in detail.attempts:
        answer = str(a.status_code) if a.status_code is not None else text("webhook.no_answer")
        print_lines([f"  {local_time(a.at)}  {answer}  {a.duration_ms} ms  {a.error or ''}".rstrip()])
    return EXIT_OK


def redeliver(
    delivery_ids: Annotated[list[int] | None, Parameter(converter=None, help=text("help.opt.delivery_id"))] = None,
    /,
    *,
    dead: Annotated[bool, Parameter(name="--dead", negative="", help=text("help.opt.redeliver_dead"))] = False,
    fmt: Format = "table",
) -> int:
    """Send deliveries again (given ids, or every dead one: --dead), from now on."""
    from contenthub_async.services.webhook_commands import redeliver as redeliver_deliveries

    ids = list(delivery_ids or [])
    if bool(ids) == dead:
        raise usage("error.webhook_redeliver_target")

    async def change() -> list[int]:
        async with runtime.open_database() as db:
            return await redeliver_deliveries(db, ids, all_dead=dead, clock=runtime.clock())

    moved = runtime.run(change)
    if fmt == "json":
        print_json({"redelivered": moved})
    else:
        print_lines([text("webhook.redelivered", count=len(moved), ids=", ".join(map(str, moved)) or "-")])
    return EXIT_OK if moved or dead else EXIT_FAILED


def test(
    *,
    url: Annotated[str | None, Parameter(name="--url", help=text("help.opt.webhook_test_url"))] = None,
    fmt: Format = "table",
) -> int:
    """Send a signed ping to WEBHOOK_URL (or --url) now and print the answer."""
    from contenthub_async.config import is_http_url
    from contenthub_async.services.webhook_commands import PingResult, send_ping

    config = runtime.settings()
    target = url or config.WEBHOOK_URL
    if not target:
        raise usage("error.webhook_no_url")
    if not is_http_url(target):
        raise usage("error.webhook_bad_url", url=target)

    async def ping() -> PingResult:
        return await send_ping(config, target, clock=runtime.clock())

    result = runtime.run(ping)
    outcome = result.outcome
    if fmt == "json":
        print_json({"url": result.url, "event_id": result.event_id, "signed": result.signed,
                    "delivered": outcome.delivered, "status_code": outcome.status_code, "error": outcome.error,
                    "duration_ms": outcome.duration_ms, "answer": outcome.body[:1000]})
    else:
        answer = str(outcome.status_code) if outcome.status_code is not None else text("webhook.no_answer")
        key = "webhook.test_ok" if outcome.delivered else "webhook.test_failed"
        lines = [text(key, url=result.url, answer=answer, ms=outcome.duration_ms, event_id=result.event_id)]
        if not result.signed:
            lines.append(text("webhook.test_unsigned"))
        if outcome.error:
            lines.append(outcome.error)
        elif outcome.body:
            lines.append(outcome.body[:500])
        print_lines(lines)
    return EXIT_OK if outcome.delivered else EXIT_FAILED
