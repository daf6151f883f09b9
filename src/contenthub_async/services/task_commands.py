"""What people do to tasks: submit, cancel, retry (one or many). Each is one write transaction.

Submitting and cancelling use the store's prepared statements only (``store/everyday.py``), so
``contenthub-ctl submit`` and ``cancel`` run them on either driver (``store/prepared.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from contenthub_async.clock import Clock
from contenthub_async.domain.entities import Account, Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import RETRYABLE_BY_OPERATOR, TERMINAL, TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.errors import (
    InactiveAccount,
    InvalidTaskState,
    ServiceError,
    TaskNotFound,
    UnknownAccount,
)
from contenthub_async.store import everyday
from contenthub_async.store.dialect import notify_changes
from contenthub_async.store.prepared import PreparedDatabase

if TYPE_CHECKING:
    from contenthub_async.store.database import Database

S = TaskStatus
_GUARD_RETRIES = 5


def account_refusal(account_id: int, account: Account | None) -> ServiceError | None:
    """Why tasks cannot be submitted for this account (None: they can)."""
    if account is None:
        return UnknownAccount(account_id=account_id)
    if not account.is_active:
        return InactiveAccount(account_id=account_id, name=account.name)
    return None


async def submit_tasks(
    db: PreparedDatabase, new_tasks: Sequence[NewTask], *, clock: Clock, actor: str
) -> list[str]:
    """Insert validated tasks in one transaction, refusing all if any account is unknown or inactive."""
    async with db.write() as conn:
        found = await everyday.get_accounts(conn, (t.account_id for t in new_tasks))
        for t in new_tasks:
            refusal = account_refusal(t.account_id, found.get(t.account_id))
            if refusal is not None:
                raise refusal
        return await everyday.insert_tasks(conn, new_tasks, now=clock.now(), actor=actor)


@dataclass(frozen=True)
class Accepted:
    """A submission the queue holds: the new task, or the one an earlier use of its key created."""

    task_id: str
    status: TaskStatus
    account_id: int
    priority: int
    auto_approve: bool
    max_retries: int
    #: the idempotency key had been used: this is the first task, nothing was inserted
    replayed: bool = False

    @classmethod
    def of_task(cls, task: Task, *, replayed: bool) -> Accepted:
        return cls(task.task_id, task.status, task.account_id, task.priority, task.auto_approve, task.max_retries,
                   replayed)


async def submit_once(
    db: Database, new_task: NewTask, *, idempotency_key: str, clock: Clock, actor: str
) -> Accepted:
    """Insert ``new_task`` unless ``idempotency_key`` was used before; then return that first task.

    The key and the task are inserted in one transaction; when two submissions with one key race,
    the key's primary key lets one commit and the other then reads the winner's task.
    """
    from sqlalchemy.exc import IntegrityError

    from contenthub_async.store import accounts as account_store
    from contenthub_async.store import tasks as task_store

    for attempt in range(2):
        try:
            async with db.write() as conn:
                earlier = await task_store.task_of_idempotency_key(conn, idempotency_key)
                if earlier is not None:
                    return Accepted.of_task(earlier, replayed=True)
                refusal = account_refusal(new_task.account_id, await account_store.get_account(conn, new_task.account_id))
                if refusal is not None:
                    raise refusal
                now = clock.now()
                [task_id] = await task_store.insert_tasks(conn, [new_task], now=now, actor=actor)
                await task_store.record_idempotency_keys(conn, [(idempotency_key, task_id)], now=now)
            return Accepted(task_id, S.PENDING, new_task.account_id, new_task.priority, new_task.auto_approve,
                            new_task.max_retries)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class CancelOutcome:
    task: Task
    #: cancelled: done now; requested: the daemon cancels it at the creator and finishes the job
    outcome: Literal["cancelled", "requested", "already_requested"]


async def cancel_task(db: PreparedDatabase, task_id: str, *, clock: Clock, actor: str) -> CancelOutcome:
    for _ in range(_GUARD_RETRIES):
        async with db.write() as conn:
            task = await everyday.get_task(conn, task_id)
            if task is None:
                raise TaskNotFound(task_id=task_id)
            now = clock.now()
            if task.status == S.PENDING:
                moved = await everyday.transition(
                    conn, task, S.CANCELLED, now=now, actor=actor, note=Note("task.cancelled_before_submission"),
                    values={"completed_at": now, "cancel_requested_at": now},
                )
                if moved:
                    return CancelOutcome(moved, "cancelled")
                continue
            if task.status in TERMINAL:
                raise InvalidTaskState(task_id=task_id, status=task.status.value, action="cancel")
            if task.cancel_requested_at is not None:
                return CancelOutcome(task, "already_requested")
            noted = await everyday.record_note(
                conn, task, now=now, actor=actor, note=Note("task.cancel_requested"),
                values={"cancel_requested_at": now},
            )
            if noted:
                await notify_changes(conn)  # a daemon running it in sync mode stops its process at once
                return CancelOutcome(noted, "requested")
    raise InvalidTaskState(task_id=task_id, status="changing", action="cancel")


async def retry_task(db: Database, task_id: str, *, clock: Clock, actor: str) -> Task:
    """failed / timeout / cancelled → pending, due now, with a fresh set of automatic retries."""
    for _ in range(_GUARD_RETRIES):
        async with db.write() as conn:
            task = await everyday.get_task(conn, task_id)
            if task is None:
                raise TaskNotFound(task_id=task_id)
            if task.status not in RETRYABLE_BY_OPERATOR:
                raise InvalidTaskState(task_id=task_id, status=task.status.value, action="retry")
            now = clock.now()
            moved = await everyday.transition(
                conn, task, S.PENDING, now=now, actor=actor, note=_retry_note(task.retry_count),
                values=_requeue_values(now),
            )
            if moved:
                await notify_changes(conn)
                return moved
    raise InvalidTaskState(task_id=task_id, status="changing", action="retry")


async def retry_finished_tasks(
    db: Database, statuses: Iterable[TaskStatus], *, since: timedelta, clock: Clock, actor: str
) -> list[str]:
    """Every task in ``statuses`` (failed, timeout, cancelled) that finished within ``since``
    → pending, as :func:`retry_task` does for one, all in one transaction; their task ids."""
    from contenthub_async.store import tasks as task_store

    wanted = set(statuses)
    if not wanted <= RETRYABLE_BY_OPERATOR:
        raise ValueError(f"not retryable by an operator: {sorted(wanted - RETRYABLE_BY_OPERATOR)}")
    async with db.write() as conn:
        now = clock.now()
        task_ids = await task_store.requeue_finished(
            conn, statuses=wanted, finished_since=now - since, now=now, actor=actor,
            values=_requeue_values(now), note=_retry_note,
        )
        if task_ids:
            await notify_changes(conn)
    return task_ids


def _retry_note(retry_count: int) -> Note:
    return Note("task.manual_retry", {"retries": retry_count})


def _requeue_values(now: datetime) -> dict[str, Any]:
    """A manual retry: due now, a fresh set of automatic retries, no trace of the last attempt
    but its error message."""
    return {
        "retry_count": 0, "run_after": now, "creator_task_id": None, "cancel_requested_at": None,
        "submitted_at": None, "started_at": None, "completed_at": None, "timeout_at": None, "progress": 0,
    }
