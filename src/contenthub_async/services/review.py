"""Review of generated articles: approve (into the publish pool) and reject, for many at once.

A batch is one transaction: an unknown id or an article that cannot take the decision refuses
the whole batch and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contenthub_async.clock import Clock
from contenthub_async.domain.notes import Note
from contenthub_async.domain.pool_states import DEFAULT_PRIORITY, REMOVABLE
from contenthub_async.domain.vocabulary import ReviewStatus
from contenthub_async.services.errors import ContentNotFound, InvalidReviewState
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database

R = ReviewStatus


@dataclass(frozen=True)
class ReviewOutcome:
    content_id: int
    review_status: str
    changed: bool  # False: it already had this decision
    pool_id: int | None  # the publish-pool entry (approve), None otherwise


async def approve_contents(
    db: Database, content_ids: Sequence[int], *, clock: Clock, actor: str, add_to_pool: bool = True
) -> list[ReviewOutcome]:
    """Approve each article (pending or rejected) and add it to the publish pool (default
    priority, due now) unless it is there already."""
    outcomes: list[ReviewOutcome] = []
    async with db.write() as conn:
        now = clock.now()
        for content_id in dict.fromkeys(content_ids):
            content = await content_store.get_content(conn, content_id)
            if content is None:
                raise ContentNotFound(content_id=content_id)
            changed = content["review_status"] != R.APPROVED
            if changed and not await content_store.set_review(
                conn, content_id, seen=content["review_status"], to=R.APPROVED, now=now
            ):
                raise InvalidReviewState(content_id=content_id, status="changing")
            entry = await pool_store.entry_of_content(conn, content_id)
            pool_id = entry.id if entry else None
            if entry is None and add_to_pool:
                pool_id = await pool_store.insert_entry(
                    conn, content_id=content_id, account_id=content["account_id"], priority=DEFAULT_PRIORITY,
                    now=now, actor=actor, note=Note("pool.approved"),
                )
            outcomes.append(ReviewOutcome(content_id, R.APPROVED.value, changed, pool_id))
    return outcomes


async def reject_contents(
    db: Database, content_ids: Sequence[int], *, reason: str, clock: Clock, actor: str
) -> list[ReviewOutcome]:
    """Reject each article with ``reason``; an approved one leaves the publish pool, unless it is
    being published or was published (refused)."""
    outcomes: list[ReviewOutcome] = []
    async with db.write() as conn:
        now = clock.now()
        for content_id in dict.fromkeys(content_ids):
            content = await content_store.get_content(conn, content_id)
            if content is None:
                raise ContentNotFound(content_id=content_id)
            entry = await pool_store.entry_of_content(conn, content_id)
            if entry is not None:
                if entry.status not in REMOVABLE or not await pool_store.delete_entry(conn, entry, now=now):
                    raise InvalidReviewState(content_id=content_id, status=entry.status.value)
            changed = content["review_status"] != R.REJECTED
            if not await content_store.set_review(
                conn, content_id, seen=content["review_status"], to=R.REJECTED, now=now, note=reason
            ):
                raise InvalidReviewState(content_id=content_id, status="changing")
            outcomes.append(ReviewOutcome(content_id, R.REJECTED.value, changed, None))
    return outcomes
