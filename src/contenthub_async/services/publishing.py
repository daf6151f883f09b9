"""Publishing pool entries: claim, call the account's publisher, record the outcome.

Used by the daemon's publisher loop (``services/publisher_loop.py``), the ``publishing`` job of
the scheduler and ``contenthub-ctl publish-pool publish``. An entry is claimed (``pending →
publishing`` under a lease, one more attempt counted), published outside any transaction, and
its outcome recorded by :func:`record_outcome` in one transaction guarded by the lease: an
entry is published at most once by us. The one window where the platform may see an article
twice is a crash after the platform answered and before the outcome was committed: the lease
expires and the entry is published again (``dir:`` then rewrites the same file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio

from contenthub_async.clock import Clock
from contenthub_async.domain.entities import PoolEntry
from contenthub_async.domain.notes import Note
from contenthub_async.domain.pool_states import decide_after_failed_attempt
from contenthub_async.domain.vocabulary import PoolStatus
from contenthub_async.publishers.credentials import load_credentials
from contenthub_async.publishers.port import Article, Publication, PublishError
from contenthub_async.publishers.registry import Publishers
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database

P = PoolStatus
RELEASE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class PublishPolicy:
    max_attempts: int  # CONTENTHUB_PUBLISH_MAX_ATTEMPTS: publish calls per entry before it fails
    backoff: float  # CONTENTHUB_PUBLISH_BACKOFF: base of the exponential backoff, seconds
    backoff_max: float  # CONTENTHUB_RETRY_BACKOFF_MAX
    lease_seconds: float  # CONTENTHUB_LEASE_SECONDS: longer than any publish call


@dataclass(frozen=True)
class Publishing:
    """What publishing needs: the database, the clock, who acts (a daemon id, ``cli:…``), the
    publishers and the retry policy."""

    db: Database
    clock: Clock
    actor: str
    publishers: Publishers
    policy: PublishPolicy
    log: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class PublishResult:
    """One entry's outcome; ``status`` is the entry's status afterwards (``pending``: it failed
    and will be retried), or ``skipped`` when nothing was done."""

    pool_id: int
    content_id: int | None
    status: str
    external_id: str | None = None
    url: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"pool_id": self.pool_id, "content_id": self.content_id, "status": self.status,
                "external_id": self.external_id, "url": self.url, "error": self.error}


def summary(results: list[PublishResult]) -> dict[str, Any]:
    """The original publishing executor's summary."""
    return {
        "total_count": len(results),
        "success_count": sum(1 for r in results if r.status == P.PUBLISHED),
        "failed_count": sum(1 for r in results if r.status in (P.FAILED, P.PENDING)),
        "skipped_count": sum(1 for r in results if r.status == "skipped"),
        "results": [r.as_json() for r in results],
    }


# ---------------------------------------------------------------- claim


async def claim(p: Publishing, *, limit: int, entry_ids: list[int] | None = None) -> list[PoolEntry]:
    """Claim up to ``limit`` due entries (or exactly ``entry_ids``, due or not)."""
    async with p.db.write() as conn:
        return await pool_store.claim_entries(
            conn, owner=p.actor, limit=limit, now=p.clock.now(), lease_seconds=p.policy.lease_seconds,
            entry_ids=entry_ids,
        )


# ---------------------------------------------------------------- one entry


async def publish_entry(p: Publishing, entry: PoolEntry) -> PublishResult:
    """Publish one claimed entry with its account's publisher and record the outcome."""
    async with p.db.read() as conn:
        row = await pool_store.article_of(conn, entry.id)
    if row is None:  # removed with its article meanwhile
        return PublishResult(entry.id, entry.content_id, "skipped", error="the entry no longer exists")
    outcome: Publication | PublishError
    try:
        publisher = p.publishers.for_account(row["publisher"])
        outcome = await publisher.publish(_article(row))
    except PublishError as error:
        outcome = error
    except Exception as error:  # a bug or an unexpected failure: retry, and say what it was
        outcome = PublishError(f"{type(error).__name__}: {error}", retryable=True)
    return await record_outcome(p, entry, outcome)


async def record_outcome(p: Publishing, entry: PoolEntry, outcome: Publication | PublishError) -> PublishResult:
    """THE one place where a publish outcome is recorded, in one transaction guarded by our lease:
    ``publishing → published`` (external id, URL, time), or back to ``pending`` after a backoff
    while attempts are left and the error is retryable, or ``failed`` with the message; the
    article's ``publish_status`` and the ``publish_events`` row go in the same transaction.

    Everything that must happen exactly when an outcome is recorded (e.g. outbox events such as
    ``content.published`` / ``content.publish_failed``) belongs in this transaction, here.
    A lease lost meanwhile (the entry was rescued and taken by another) records nothing: skipped.
    """
    now = p.clock.now()
    async with p.db.write() as conn:
        if isinstance(outcome, Publication):
            target, note = P.PUBLISHED, Note("pool.published", {"external_id": outcome.external_id})
            values: dict[str, Any] = {"external_id": outcome.external_id, "url": outcome.url, "published_at": now,
                                      "last_error": None}
            delay = 0.0
        else:
            decision = decide_after_failed_attempt(
                attempts=entry.attempts, max_attempts=p.policy.max_attempts, retryable=outcome.retryable,
                base=p.policy.backoff, cap=p.policy.backoff_max,
            )
            target, delay = decision.status, decision.delay
            kind = "retryable" if outcome.retryable else "permanent"
            note = Note(f"pool.attempt_failed_{kind}", {"attempt": entry.attempts, "error": outcome.message})
            values = {"last_error": outcome.message[:4000]}
            if target == P.PENDING:
                values["due_at"] = now + timedelta(seconds=delay)
        moved = await pool_store.transition(conn, entry, target, now=now, actor=p.actor, note=note,
                                            values=values, lease_owner=p.actor)
    if not moved:
        _log(p, "warning", "publish outcome not recorded: the lease was lost", entry, outcome=target.value)
        return PublishResult(entry.id, entry.content_id, "skipped", error="lease lost before the outcome was recorded")
    if isinstance(outcome, Publication):
        _log(p, "info", "publish transition", entry, to_status=target.value, external_id=outcome.external_id)
        return PublishResult(entry.id, entry.content_id, target.value, outcome.external_id, outcome.url)
    _log(p, "warning", "publish transition", entry, to_status=target.value, error=outcome.message,
         retry_in=round(delay, 1) if target == P.PENDING else None)
    return PublishResult(entry.id, entry.content_id, target.value, error=outcome.message)


async def release(p: Publishing, entry: PoolEntry) -> bool:
    """Give a claimed entry back to the pool, due now (shutdown before the publisher answered)."""
    now = p.clock.now()
    async with p.db.write() as conn:
        return await pool_store.transition(conn, entry, P.PENDING, now=now, actor=p.actor, lease_owner=p.actor,
                                           note=Note("pool.released_at_shutdown"),
                                           values={"due_at": now})


# ---------------------------------------------------------------- batches


async def publish_batch(
    p: Publishing, *, limit: int, concurrency: int, entry_ids: list[int] | None = None
) -> dict[str, Any]:
    """Claim what is due (or exactly ``entry_ids``), publish with at most ``concurrency`` calls at
    once, and return the summary. Named entries that are not pending are reported skipped."""
    claimed = await claim(p, limit=limit, entry_ids=entry_ids)
    results: dict[int, PublishResult] = {}
    slots = anyio.Semaphore(max(1, concurrency))

    async def one(entry: PoolEntry) -> None:
        async with slots:
            results[entry.id] = await publish_entry(p, entry)

    async with anyio.create_task_group() as group:
        for entry in claimed:
            group.start_soon(one, entry)
    ordered = [results[e.id] for e in claimed]
    if entry_ids is not None:
        taken = {e.id for e in claimed}
        async with p.db.read() as conn:
            for pool_id in dict.fromkeys(entry_ids):
                if pool_id in taken:
                    continue
                found = await pool_store.get_entry(conn, pool_id)
                reason = f"not pending ({found.status.value})" if found else "no such entry"
                ordered.append(PublishResult(pool_id, found.content_id if found else None, "skipped", error=reason))
    return summary(ordered)


# ---------------------------------------------------------------- helpers


def _article(row: dict[str, Any]) -> Article:
    credentials = load_credentials(row["credentials_ref"]) if row["credentials_ref"] else None
    tags = [t.strip() for t in (row["tags"] or "").replace("，", ",").split(",") if t.strip()]
    return Article(
        pool_id=row["pool_id"], content_id=row["content_id"], account_id=row["account_id"],
        account_name=row["account_name"], title=row["title"], markdown=row["body_markdown"], summary=row["summary"],
        images=list(row["images"] or []), tags=tags, category=row["category"], task_id=row["task_id"],
        created_at=row["created_at"], credentials=credentials,
    )


def _log(p: Publishing, level: str, event: str, entry: PoolEntry, **fields: Any) -> None:
    if p.log is not None:
        getattr(p.log, level)(event, pool_id=entry.id, content_id=entry.content_id, attempt=entry.attempts,
                              **{k: v for k, v in fields.items() if v is not None})
