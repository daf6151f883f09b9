"""Review commands: ``content list``, ``content show``, ``content approve``, ``content reject``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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
from contenthub_async.texts.messages import text

ContentIds = Annotated[int, Parameter(converter=strict_int, help=text("help.opt.content_ids"))]
ReviewFilter = Annotated[
    Literal["pending", "approved", "rejected"] | None,
    Parameter(name="--review-status", help=text("help.opt.review_status")),
]
AccountFilter = Annotated[
    int | None, Parameter(name=["--account-id", "-a"], converter=strict_int, help=text("help.opt.account_filter"))
]
Limit = Annotated[int, Parameter(name=["--limit", "-l"], converter=strict_int, help=text("help.opt.limit"))]
MAX_REASON_LENGTH = 2000


def content_row_json(row: dict[str, Any]) -> dict[str, Any]:
    """An article without its body (``content list``; docs/cli-json.md)."""
    return {
        "content_id": row["id"],
        "account_id": row["account_id"],
        "task_id": row["task_id"],
        "title": row["title"],
        "word_count": row["word_count"],
        "review_status": row["review_status"],
        "review_note": row["review_note"],
        "publish_status": row["publish_status"],
        "reviewed_at": utc_iso(row["reviewed_at"]),
        "created_at": utc_iso(row["created_at"]),
    }


def list_(
    *, review_status: ReviewFilter = None, account_id: AccountFilter = None, limit: Limit = 50, fmt: Format = "table"
) -> int:
    """List generated articles, newest first."""
    from contenthub_async.store import contents as content_store

    check_limit(limit)

    async def load() -> list[dict[str, Any]]:
        async with runtime.open_database() as db:
            async with db.read() as conn:
                return await content_store.list_contents(
                    conn, review_status=review_status, account_id=account_id, limit=limit
                )

    rows = runtime.run(load)
    if fmt == "json":
        print_json([content_row_json(r) for r in rows])
        return EXIT_OK
    if not rows:
        print_lines([text("content.list_empty")])
        return EXIT_OK
    columns = [
        Column(text("label.id"), right=True),
        Column(text("label.account"), right=True, drop=3),
        Column(text("label.title"), shrink=12),
        Column(text("label.word_count"), right=True, drop=2),
        Column(text("label.review_status")),
        Column(text("label.publish_status"), drop=1),
        Column(text("label.created_at"), drop=4),
    ]
    print_table(columns, [
        [
            (str(r["id"]), None),
            (str(r["account_id"]), None),
            (r["title"], None),
            (or_dash(r["word_count"]), None),
            (stored_word_text("review", r["review_status"]), None),
            (stored_word_text("publish", r["publish_status"]), None),
            (local_time(r["created_at"], seconds=False), None),
        ]
        for r in rows
    ])
    return EXIT_OK


def show(content_id: Annotated[int, Parameter(converter=strict_int, help=text("help.opt.content_id"))], /, *,
         fmt: Format = "table") -> int:
    """Show an article: title, words, review and pool state, and the article itself."""
    from contenthub_async.domain.entities import PoolEntry
    from contenthub_async.store import contents as content_store
    from contenthub_async.store import pool as pool_store

    async def load() -> tuple[dict[str, Any] | None, PoolEntry | None]:
        async with runtime.open_database() as db:
            async with db.read() as conn:
                content = await content_store.get_content(conn, content_id)
                entry = await pool_store.entry_of_content(conn, content_id) if content else None
        return content, entry

    content, entry = runtime.run(load)
    if content is None:
        raise CliError("error.content_not_found", content_id=content_id)
    if fmt == "json":
        from contenthub_async.cli.pool import entry_json

        print_json({
            **content_row_json(content),
            "category": content["category"],
            "tags": content["tags"],
            "summary": content["summary"],
            "images": list(content["images"] or []),
            "body_markdown": content["body_markdown"],
            "pool": entry_json(entry) if entry else None,
        })
        return EXIT_OK
    pool = stored_word_text("pool", entry.status.value) if entry else text("pool.none")
    print_fields([
        (text("label.content_id"), str(content["id"])),
        (text("label.title"), content["title"]),
        (text("label.word_count"), or_dash(content["word_count"])),
        (text("label.account"), str(content["account_id"])),
        (text("label.task_id"), or_dash(content["task_id"])),
        (text("label.review_status"), stored_word_text("review", content["review_status"])),
        *([(text("label.review_note"), content["review_note"])] if content["review_note"] else []),
        (text("label.publish_status"), stored_word_text("publish", content["publish_status"])),
        (text("label.pool_status"), pool if entry is None else f"{pool} (#{entry.id})"),
        (text("label.created_at"), local_time(content["created_at"])),
    ])
    print_lines(["", content["body_markdown"].rstrip()])
    return EXIT_OK


def _print_outcomes(outcomes: list[Any], fmt: str) -> None:
    if fmt == "json":
        print_json([
            {"content_id": o.content_id, "review_status": o.review_status, "changed": o.changed, "pool_id": o.pool_id}
            for o in outcomes
        ])
        return
    for o in outcomes:
        if o.review_status == "approved":
            key = "content.approved" if o.pool_id is not None else "content.approved_no_pool"
        else:
            key = "content.rejected"
        if not o.changed:
            key += "_already"
        print_lines([text(key, content_id=o.content_id, pool_id=o.pool_id)])


def approve(*content_ids: ContentIds, fmt: Format = "table") -> int:
    """Approve articles: each goes to the publish pool (all or none)."""
    from contenthub_async.services.review import approve_contents

    if not content_ids:
        raise usage("error.content_ids_missing")
    async def change() -> list[Any]:
        async with runtime.open_database() as db:
            return await approve_contents(db, content_ids, clock=runtime.clock(), actor="cli")

    _print_outcomes(runtime.run(change), fmt)
    return EXIT_OK


def reject(
    *content_ids: ContentIds,
    reason: Annotated[str, Parameter(name="--reason", allow_leading_hyphen=True, help=text("help.opt.reason"))],
    fmt: Format = "table",
) -> int:
    """Reject articles with a reason; an article waiting in the publish pool leaves it (all or none)."""
    from contenthub_async.services.review import reject_contents

    if not content_ids:
        raise usage("error.content_ids_missing")
    clean = reason.strip()
    if not clean:
        raise usage("error.reason_empty")
    if len(clean) > MAX_REASON_LENGTH:
        raise usage("error.reason_too_long", limit=MAX_REASON_LENGTH, length=len(clean))
    async def change() -> list[Any]:
        async with runtime.open_database() as db:
            return await reject_contents(db, content_ids, reason=clean, clock=runtime.clock(), actor="cli")

    _print_outcomes(runtime.run(change), fmt)
    return EXIT_OK
