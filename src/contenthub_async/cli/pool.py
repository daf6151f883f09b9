"""Publish-pool commands (the original spellings): ``publish-pool list|stats|show|add|remove|retry|publish``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from cyclopts import Parameter

from contenthub_async.cli import runtime
from contenthub_async.cli.errors import EXIT_OK, CliError, usage
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
from contenthub_async.cli.task_views import stored_word_text
from contenthub_async.json_objects import pool_entry_json as entry_json
from contenthub_async.texts.messages import text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import PoolEntry

PoolId = Annotated[int, Parameter(converter=strict_int, help=text("help.opt.pool_id"))]
StatusFilter = Annotated[
    Literal["pending", "publishing", "published", "failed"] | None,
    Parameter(name=["--status", "-s"], help=text("help.opt.pool_status")),
]
AccountFilter = Annotated[
    int | None, Parameter(name=["--account-id", "-a"], converter=strict_int, help=text("help.opt.account_filter"))
]
Limit = Annotated[int, Parameter(name=["--limit", "-l"], converter=strict_int, help=text("help.opt.limit"))]


def list_(*, status: StatusFilter = None, account_id: AccountFilter = None, limit: Limit = 50,
          fmt: Format = "table") -> int:
    """List pool entries in publishing order (lower priority number first)."""
    from contenthub_async.domain.vocabulary import PoolStatus
    from contenthub_async.services.pool_commands import list_entries

    check_limit(limit)

    async def load() -> list[PoolEntry]:
        async with runtime.open_database() as db:
            return await list_entries(db, status=PoolStatus(status) if status else None, account_id=account_id,
                                      limit=limit)

    entries = runtime.run(load)
    if fmt == "json":
        print_json([entry_json(e) for e in entries])
        return EXIT_OK
    if not entries:
        print_lines([text("pool.list_empty")])
        return EXIT_OK
    columns = [
        Column(text("label.id"), right=True),
        Column(text("label.content_id"), right=True, drop=4),
        Column(text("label.account"), right=True, drop=5),
        Column(text("label.title"), shrink=12),
        Column(text("label.status")),
        Column(text("label.priority"), right=True, drop=3),
        Column(text("label.due_at"), drop=2),
        Column(text("label.attempts"), right=True, drop=6),
        Column(text("label.outcome"), shrink=10, drop=1),
    ]
    print_table(columns, [
        [
            (str(e.id), None),
            (str(e.content_id), None),
            (str(e.account_id), None),
            (e.title, None),
            (stored_word_text("pool", e.status.value), _STYLES.get(e.status.value)),
            (str(e.priority), None),
            (local_time(e.due_at, seconds=False) if e.status.value == "pending" else text("word.none"), None),
            (str(e.attempts), None),
            (or_dash(e.external_id if e.status.value == "published" else e.last_error), None),
        ]
        for e in entries
    ])
    return EXIT_OK


_STYLES = {"pending": "yellow", "publishing": "cyan", "published": "green", "failed": "red"}


def stats(*, fmt: Format = "table") -> int:
    """Entries per status, and how many are due now."""
    from contenthub_async.services.pool_commands import pool_stats

    async def load() -> dict[str, int]:
        async with runtime.open_database() as db:
            return await pool_stats(db, clock=runtime.clock())

    counts = runtime.run(load)
    if fmt == "json":
        print_json(counts)
        return EXIT_OK
    rows = [(stored_word_text("pool", s), str(counts[s])) for s in ("pending", "publishing", "published", "failed")]
    rows += [(text("pool.due_now"), str(counts["due"])), (text("pool.total"), str(counts["total"]))]
    print_fields(rows)
    return EXIT_OK


def show(pool_id: PoolId, /, *, fmt: Format = "table") -> int:
    """Show a pool entry and its timeline."""
    from contenthub_async.cli.task_views import event_line
    from contenthub_async.services.pool_commands import PoolDetail, entry_detail

    async def load() -> PoolDetail | None:
        async with runtime.open_database() as db:
            return await entry_detail(db, pool_id)

    detail = runtime.run(load)
    if detail is None:
        raise CliError("error.pool_entry_not_found", pool_id=pool_id)
    entry = detail.entry
    if fmt == "json":
        print_json({
            **entry_json(entry),
            "lease_owner": entry.lease_owner,
            "lease_expires_at": utc_iso(entry.lease_expires_at),
            "events": [
                {"at": utc_iso(e.at), "from_status": e.from_status, "to_status": e.to_status, "actor": e.actor,
                 "message": e.message, "code": e.note.code if e.note else None}
                for e in detail.events
            ],
        })
        return EXIT_OK
    rows = [
        (text("label.id"), str(entry.id)),
        (text("label.content_id"), str(entry.content_id)),
        (text("label.title"), entry.title),
        (text("label.account"), str(entry.account_id)),
        (text("label.status"), stored_word_text("pool", entry.status.value)),
        (text("label.priority"), str(entry.priority)),
        (text("label.scheduled_at"), local_time(entry.scheduled_at)),
        (text("label.due_at"), local_time(entry.due_at)),
        (text("label.attempts"), str(entry.attempts)),
        (text("label.error_message"), or_dash(entry.last_error)),
        (text("label.external_id"), or_dash(entry.external_id)),
        (text("label.url"), or_dash(entry.url)),
        (text("label.published_at"), local_time(entry.published_at)),
    ]
    if entry.lease_owner:
        rows.append((text("label.lease"), f"{entry.lease_owner} (→ {local_time(entry.lease_expires_at)})"))
    print_fields(rows)
    print_lines(["", text("label.timeline") + ":"])
    for event in detail.events:
        print_lines(["  " + event_line(event)])
    return EXIT_OK


def add(
    content_id: Annotated[int, Parameter(converter=strict_int, help=text("help.opt.content_id"))],
    /,
    *,
    priority: Annotated[int, Parameter(name=["--priority", "-p"], converter=strict_int,
                                       help=text("help.opt.pool_priority"))] = 5,
    scheduled_at: Annotated[str | None, Parameter(name="--scheduled-at", help=text("help.opt.scheduled_at"))] = None,
    fmt: Format = "table",
) -> int:
    """Add an approved article to the pool."""
    from contenthub_async.domain.moments import parse_moment
    from contenthub_async.domain.pool_states import PRIORITY_MAX, PRIORITY_MIN
    from contenthub_async.services.pool_commands import add_entry

    if not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise usage("error.pool_priority", value=priority, low=PRIORITY_MIN, high=PRIORITY_MAX)
    when = None
    if scheduled_at is not None:
        try:
            when = parse_moment(scheduled_at)
        except ValueError:
            raise usage("error.bad_moment", value=scheduled_at) from None

    async def change() -> PoolEntry:
        async with runtime.open_database() as db:
            return await add_entry(db, content_id, priority=priority, scheduled_at=when, clock=runtime.clock(),
                                   actor="cli")

    entry = runtime.run(change)
    if fmt == "json":
        print_json(entry_json(entry))
    else:
        print_lines([text("pool.added", pool_id=entry.id, content_id=entry.content_id,
                          due_at=local_time(entry.due_at))])
    return EXIT_OK


def remove(pool_id: PoolId, /, *, fmt: Format = "table") -> int:
    """Take a pending or failed entry out of the pool (the article stays)."""
    from contenthub_async.services.pool_commands import remove_entry

    async def change() -> PoolEntry:
        async with runtime.open_database() as db:
            return await remove_entry(db, pool_id, clock=runtime.clock())

    entry = runtime.run(change)
    if fmt == "json":
        print_json({"pool_id": entry.id, "content_id": entry.content_id, "removed": True})
    else:
        print_lines([text("pool.removed", pool_id=entry.id, content_id=entry.content_id)])
    return EXIT_OK


def retry(
    pool_id: Annotated[int | None, Parameter(converter=strict_int, help=text("help.opt.pool_id"))] = None,
    /,
    *,
    failed: Annotated[bool, Parameter(name="--failed", negative="", help=text("help.opt.pool_retry_failed"))] = False,
    fmt: Format = "table",
) -> int:
    """Send a failed entry (or every failed entry: --failed) back to the pool, due now."""
    from contenthub_async.services.pool_commands import retry_entries

    if (pool_id is None) == (not failed):
        raise usage("error.pool_retry_target")

    async def change() -> list[int]:
        async with runtime.open_database() as db:
            return await retry_entries(db, None if failed else [pool_id] if pool_id is not None else [],
                                       clock=runtime.clock(), actor="cli")

    retried = runtime.run(change)
    if fmt == "json":
        print_json({"retried": retried})
    else:
        print_lines([text("pool.retried", count=len(retried), ids=", ".join(map(str, retried)) or "-")])
    return EXIT_OK


def publish(
    *pool_ids: Annotated[int, Parameter(converter=strict_int, help=text("help.opt.pool_ids"))],
    limit: Limit = 100,
    fmt: Format = "table",
) -> int:
    """Publish now: the named entries (due or not), or every due entry; exit 1 if any failed."""
    import os
    import socket

    from contenthub_async.publishers.registry import Publishers
    from contenthub_async.services.publishing import Publishing, PublishPolicy, publish_batch

    check_limit(limit)
    config = runtime.settings()

    async def run() -> dict[str, Any]:
        publishers = Publishers(config.CONTENTHUB_PUBLISHER, api_key=config.PUBLISHER_API_KEY,
                                timeout=config.CONTENTHUB_PUBLISH_TIMEOUT)
        policy = PublishPolicy(max_attempts=config.CONTENTHUB_PUBLISH_MAX_ATTEMPTS,
                               backoff=config.CONTENTHUB_PUBLISH_BACKOFF,
                               backoff_max=config.CONTENTHUB_RETRY_BACKOFF_MAX,
                               lease_seconds=config.CONTENTHUB_LEASE_SECONDS)
        try:
            async with runtime.open_database() as db:
                p = Publishing(db=db, clock=runtime.clock(), actor=f"cli:{socket.gethostname()}:{os.getpid()}",
                               publishers=publishers, policy=policy)
                return await publish_batch(p, limit=len(pool_ids) if pool_ids else limit,
                                           concurrency=config.CONTENTHUB_PUBLISH_CONCURRENCY,
                                           entry_ids=list(pool_ids) if pool_ids else None)
        finally:
            await publishers.close()

    result = runtime.run(run)
    if fmt == "json":
        print_json(result)
    else:
        for item in result["results"]:
            word = stored_word_text("pool", item["status"]) if item["status"] != "skipped" else text("pool.skipped")
            detail = item["external_id"] or item["error"] or ""
            print_lines([f"#{item['pool_id']}  {word}  {detail}".rstrip()])
        print_lines([text("pool.publish_summary", total=result["total_count"], success=result["success_count"],
                          failed=result["failed_count"], skipped=result["skipped_count"])])
    return 1 if result["failed_count"] else EXIT_OK
