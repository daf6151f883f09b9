"""Statements on ``content_generation_tasks`` and its audit log ``task_events``.

Every status change goes through :func:`transition`: one guarded UPDATE (``WHERE id = ?
AND status = <the status the caller saw>``) plus its ``task_events`` row, in the caller's
transaction. A guard that no longer holds changes nothing and returns None. A move to a
terminal status also writes its webhook event (``store.webhooks``, the outbox) in that
transaction, and so does a lease expiry that cancels a task. :func:`transition` and the other
statements of ``contenthub-ctl``'s everyday commands are written with prepared statements in
``store/everyday.py`` (so those commands run without SQLAlchemy) and re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, func, insert, literal, select, tuple_, update

from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.rescue import rescued_status
from contenthub_async.domain.states import IN_FLIGHT, LEASED, TERMINAL, TaskStatus, can_transition
from contenthub_async.store.batches import chunks
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of, notify_changes

# The statements of the everyday commands (store/everyday.py), one of each:
from contenthub_async.store.everyday import SUBMITTED_NOTE as SUBMITTED_NOTE
from contenthub_async.store.everyday import announce_finished, insert_events, note_columns, task_from_row
from contenthub_async.store.everyday import get_task as get_task
from contenthub_async.store.everyday import insert_tasks as insert_tasks
from contenthub_async.store.everyday import list_tasks as list_tasks
from contenthub_async.store.everyday import record_idempotency_keys as record_idempotency_keys
from contenthub_async.store.everyday import record_note as record_note
from contenthub_async.store.everyday import task_events_of as task_events_of
from contenthub_async.store.everyday import tasks_of_idempotency_keys as tasks_of_idempotency_keys
from contenthub_async.store.everyday import transition as transition
from contenthub_async.store.statements import TASK_COLUMNS
from contenthub_async.store.tables import content_generation_tasks as tasks_table
from contenthub_async.store.tables import task_events
from contenthub_async.store.types import UtcDateTime

S = TaskStatus
T = tasks_table.c


# ---------------------------------------------------------------- inserts


async def task_of_idempotency_key(conn: Connection, key: str) -> Task | None:
    """The task that ``key`` created, if any."""
    return (await tasks_of_idempotency_keys(conn, [key])).get(key)


# ---------------------------------------------------------------- reads


async def get_task_by_pk(conn: Connection, pk: int) -> Task | None:
    row = (await conn.execute(select(*TASK_COLUMNS).where(T.id == pk))).first()
    return task_from_row(row) if row else None


async def browse_tasks(
    conn: Connection,
    *,
    statuses: Iterable[TaskStatus] | None = None,
    account_id: int | None = None,
    text: str | None = None,
    oldest_first: bool = False,
    after: int | None = None,
    limit: int = 50,
) -> list[Task]:
    """One page of tasks in submission order (``created_at``, then id), newest first unless
    ``oldest_first``; ``after``: the id of the last task of the previous page (keyset paging,
    so a page deep in the table costs what the first one does).

    ``text`` matches a task id by prefix when it starts with ``task-``, else a topic by
    substring, case-insensitively. Indexes: ``ix_tasks_created_at``, ``ix_tasks_status_created``
    (with statuses), ``ix_tasks_account`` (with an account); a topic substring walks one of them
    in order and stops when the page is full.
    """
    query = select(*TASK_COLUMNS)
    if statuses is not None:
        query = query.where(T.status.in_([s.value for s in statuses]))
    if account_id is not None:
        query = query.where(T.account_id == account_id)
    if text:
        prefix = text.strip().lower()
        if prefix.startswith("task-"):
            query = query.where(*_task_id_prefix(prefix))
        else:
            query = query.where(T.topic.icontains(text, autoescape=True))
    if after is not None:
        cursor_at = (await conn.execute(select(T.created_at).where(T.id == after))).scalar_one_or_none()
        key = tuple_(T.created_at, T.id)
        if cursor_at is None:  # the cursor's task was deleted meanwhile: continue by id
            query = query.where(T.id > after if oldest_first else T.id < after)
        else:
            bound = tuple_(literal(cursor_at, UtcDateTime()), literal(after))
            query = query.where(key > bound if oldest_first else key < bound)
    order = (T.created_at, T.id) if oldest_first else (T.created_at.desc(), T.id.desc())
    query = query.order_by(*order).limit(limit)
    return [task_from_row(r) for r in (await conn.execute(query)).all()]


_HEX = "0123456789abcdef"


def _task_id_prefix(prefix: str) -> list[Any]:
    """Conditions for task ids starting with ``prefix`` (``task-`` + hex digits), as a range on
    the unique index: LIKE could not use it on SQLite (case-insensitive) nor on PostgreSQL under a
    non-C collation. The upper bound increments the last digit (9 → a, f → g), which sorts the
    same way in every collation."""
    digits = prefix[len("task-"):]
    if not digits:
        return []
    if any(c not in _HEX for c in digits):
        return [false()]
    following = "a" if digits[-1] == "9" else chr(ord(digits[-1]) + 1)
    return [T.task_id >= prefix, T.task_id < prefix[:-1] + following]


async def tasks_of_run(conn: Connection, run_id: int) -> list[tuple[int, str]]:
    """(account id, task id) of the tasks a scheduled-job run submitted, in insertion order."""
    rows = await conn.execute(select(T.account_id, T.task_id).where(T.scheduled_job_run_id == run_id).order_by(T.id))
    return [(row.account_id, row.task_id) for row in rows]


async def recent_topics(conn: Connection, account_ids: Iterable[int], *, since: datetime) -> dict[int, set[str]]:
    """Account id → the topics of its tasks created from ``since`` on (any status)."""
    ids = sorted(set(account_ids))
    topics: dict[int, set[str]] = {}
    for chunk in chunks(ids):
        rows = await conn.execute(
            select(T.account_id, T.topic).where(T.account_id.in_(chunk), T.created_at >= since)
        )
        for account_id, topic in rows:
            topics.setdefault(account_id, set()).add(topic)
    return topics


async def count_by_status(conn: Connection) -> dict[str, int]:
    rows = (await conn.execute(select(T.status, func.count()).group_by(T.status))).all()
    return {status: count for status, count in rows}


async def last_event_id(conn: Connection) -> int:
    """The greatest ``task_events`` id (0 when there is none): the end of the primary key."""
    return int((await conn.execute(select(func.max(task_events.c.id)))).scalar_one() or 0)


async def status_changes_since(conn: Connection, event_id: int) -> list[tuple[str | None, str, int]]:
    """(from status, to status, how many) of the task events after ``event_id`` — a range of the
    primary key. Every status change of a task writes one event (its creation one from None),
    so these are the changes to the counts by status since that event."""
    query = (
        select(task_events.c.from_status, task_events.c.to_status, func.count())
        .where(task_events.c.id > event_id)
        .group_by(task_events.c.from_status, task_events.c.to_status)
    )
    return [(r[0], r[1], int(r[2])) for r in (await conn.execute(query)).all()]


async def count_in_flight(conn: Connection) -> int:
    query = select(func.count()).where(T.status.in_([s.value for s in IN_FLIGHT]))
    return int((await conn.execute(query)).scalar_one())


#: At content-creator and held by no daemon: async-mode tasks, which any daemon may track.
_TRACKABLE = (T.status.in_([S.SUBMITTED.value, S.PROCESSING.value]), T.lease_owner.is_(None))


async def any_task_at_creator(conn: Connection) -> bool:
    """Whether any task is at content-creator with no daemon holding it (what the tracker follows)."""
    return (await conn.execute(select(literal(1)).where(*_TRACKABLE).limit(1))).first() is not None


async def tasks_at_creator(conn: Connection, *, limit: int) -> list[Task]:
    """Tasks content-creator owns and no daemon holds (async mode), oldest first."""
    query = (
        select(*TASK_COLUMNS)
        .where(*_TRACKABLE)
        .order_by(T.id)
        .limit(limit)
    )
    return [task_from_row(r) for r in (await conn.execute(query)).all()]


# ---------------------------------------------------------------- claim


async def lock_claims(conn: Connection) -> None:
    """Serialize claiming across daemons for the rest of this transaction, so the in-flight
    count read next stays true until commit. (SQLite: BEGIN IMMEDIATE already did.)"""
    await dialect_of(conn).lock_claims(conn)


async def claim_tasks(
    conn: Connection, *, owner: str, limit: int, now: datetime, lease_seconds: float
) -> list[Task]:
    """Move up to ``limit`` due pending tasks to ``submitting`` under a lease, in one UPDATE.

    Order: priority descending, then FIFO (id). PostgreSQL skips rows other claimers hold.
    """
    if limit <= 0:
        return []
    candidates = (
        select(T.id)
        .where(T.status == S.PENDING.value, T.run_after <= now)
        .order_by(T.priority.desc(), T.id)
        .limit(limit)
    )
    candidates = dialect_of(conn).skip_locked(candidates)
    statement = (
        update(tasks_table)
        .where(T.id.in_(candidates.scalar_subquery()))
        .values(
            status=S.SUBMITTING.value,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(*TASK_COLUMNS)
    )
    claimed = sorted(
        (task_from_row(r) for r in (await conn.execute(statement)).all()),
        key=lambda t: (-t.priority, t.id),
    )
    if claimed:
        await insert_events(conn, [(t.id, S.PENDING, S.SUBMITTING) for t in claimed], now, owner, Note("task.claimed"))
    return claimed


#: What a requeued task forgets of its last attempt (its error message stays).
ATTEMPT_CLEARED: dict[str, Any] = {
    "creator_task_id": None, "submitted_at": None, "started_at": None, "timeout_at": None, "progress": 0,
}


async def expire_leases(conn: Connection, *, now: datetime, actor: str) -> list[str]:
    """Return leased tasks whose lease expired (their daemon died mid-create or while running a
    sync-mode generation, and no one noticed sooner) to ``pending`` (or ``cancelled``: see
    ``domain/rescue.py``); their task ids."""
    return await _rescue_leased(conn, T.lease_expires_at < now, now=now, actor=actor, why="lease_expired")


async def any_lease_expired(conn: Connection, *, now: datetime) -> bool:
    """Whether :func:`expire_leases` would rescue a task ``now`` (one read)."""
    expired = select(T.id).where(T.status.in_([s.value for s in LEASED]), T.lease_expires_at < now)
    return bool((await conn.execute(select(expired.exists()))).scalar_one())


async def release_tasks_of(conn: Connection, owners: Sequence[str], *, now: datetime, actor: str) -> list[str]:
    """Return the leased tasks of ``owners`` (daemons taken for dead) to ``pending`` (or
    ``cancelled``: see ``domain/rescue.py``) at once, whatever their lease says; their task ids."""
    if not owners:
        return []
    return await _rescue_leased(
        conn, T.lease_owner.in_(list(owners)), now=now, actor=actor, why="owner_dead"
    )


async def _rescue_leased(
    conn: Connection, which: ColumnElement[bool], *, now: datetime, actor: str, why: str
) -> list[str]:
    """The at-least-once windows: the creator may hold a duplicate of a rescued ``submitting``
    task, and a rescued sync-mode generation (``processing``) runs again from the start.

    ``why`` names the notes of the events: ``task.<why>_requeued`` / ``task.<why>_cancelled``."""
    rescued: list[str] = []
    for status in sorted(LEASED):
        for cancel_requested in (True, False):
            target = rescued_status(cancel_requested=cancel_requested)
            asked = T.cancel_requested_at.is_not(None) if cancel_requested else T.cancel_requested_at.is_(None)
            values: dict[str, Any] = {"status": target.value, "lease_owner": None, "lease_expires_at": None,
                                      "updated_at": now}
            values.update({"completed_at": now} if target == S.CANCELLED else {"run_after": now, **ATTEMPT_CLEARED})
            rows = (
                await conn.execute(
                    update(tasks_table)
                    .where(T.status == status.value, which, asked)
                    .values(**values)
                    .returning(T.id, T.task_id)
                )
            ).all()
            if rows:
                note = Note(f"task.{why}_cancelled" if target == S.CANCELLED else f"task.{why}_requeued")
                await insert_events(conn, [(r.id, status, target) for r in rows], now, actor, note)
            if target in TERMINAL:
                for r in rows:
                    finished = await get_task_by_pk(conn, r.id)
                    assert finished is not None
                    await announce_finished(conn, finished, now=now)
            if target == S.PENDING:
                rescued.extend(r.task_id for r in rows)
    if rescued:
        await notify_changes(conn)
    return rescued


async def leases_held(conn: Connection, pks: Sequence[int], *, owner: str) -> tuple[set[int], set[int]]:
    """As :func:`renew_leases`, reading only: (still held by ``owner``, of those cancel requested)."""
    held: set[int] = set()
    cancel_requested: set[int] = set()
    for chunk in chunks(sorted(pks)):
        rows = (
            await conn.execute(
                select(T.id, T.cancel_requested_at)
                .where(T.id.in_(chunk), T.lease_owner == owner, T.status.in_([s.value for s in LEASED]))
            )
        ).all()
        held.update(r.id for r in rows)
        cancel_requested.update(r.id for r in rows if r.cancel_requested_at is not None)
    return held, cancel_requested


async def renew_leases(
    conn: Connection, pks: Sequence[int], *, owner: str, now: datetime, lease_seconds: float
) -> tuple[set[int], set[int]]:
    """Extend ``owner``'s leases on the tasks ``pks`` (sync-mode generations this daemon runs).

    Returns (renewed, cancel requested): the tasks still held by ``owner``, and those of them an
    operator asked to cancel. A task missing from the first set was lost (its lease expired and
    it went back to the queue, or it was finished meanwhile): its generation must stop.
    """
    renewed: set[int] = set()
    cancel_requested: set[int] = set()
    for chunk in chunks(sorted(pks)):
        rows = (
            await conn.execute(
                update(tasks_table)
                .where(T.id.in_(chunk), T.lease_owner == owner, T.status.in_([s.value for s in LEASED]))
                .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
                .returning(T.id, T.cancel_requested_at)
            )
        ).all()
        renewed.update(r.id for r in rows)
        cancel_requested.update(r.id for r in rows if r.cancel_requested_at is not None)
    return renewed, cancel_requested


# ---------------------------------------------------------------- transitions


async def requeue_finished(
    conn: Connection,
    *,
    statuses: Iterable[TaskStatus],
    finished_since: datetime,
    now: datetime,
    actor: str,
    values: dict[str, Any],
    note: Callable[[int], Note],
) -> list[str]:
    """Send every task in ``statuses`` that finished at or after ``finished_since`` back to
    ``pending`` with ``values``, in the caller's transaction; return their task ids (oldest first).

    Each move is guarded by the status the task was read in (a task that moved meanwhile is
    left alone) and gets its ``task_events`` row, as :func:`transition` does for one task;
    ``note(retry_count)`` is the event's note.
    """
    wanted = sorted(set(statuses))
    for status in wanted:
        if not can_transition(status, S.PENDING):
            raise ValueError(f"illegal transition {status} -> pending")
    found = (
        await conn.execute(
            select(T.id, T.status, T.retry_count)
            .where(T.status.in_([s.value for s in wanted]), T.completed_at >= finished_since)
            .order_by(T.id)
        )
    ).all()
    moved: list[tuple[int, str]] = []
    for status in wanted:
        ids = [row.id for row in found if row.status == status.value]
        for chunk in chunks(ids):
            statement = (
                update(tasks_table)
                .where(T.id.in_(chunk), T.status == status.value)
                .values(status=S.PENDING.value, updated_at=now, **values)
                .returning(T.id, T.task_id)
            )
            moved.extend((row.id, row.task_id) for row in (await conn.execute(statement)).all())
    if not moved:
        return []
    before = {row.id: row for row in found}
    await conn.execute(
        insert(task_events),
        [
            {
                "generation_task_id": pk,
                "at": now,
                "from_status": before[pk].status,
                "to_status": S.PENDING.value,
                "actor": actor,
                **note_columns(note(before[pk].retry_count)),
            }
            for pk, _ in moved
        ],
    )
    return [task_id for _, task_id in sorted(moved)]


async def record_error(conn: Connection, task: Task, error: Note, *, now: datetime) -> bool:
    """Make ``error`` the task's last error while it stays in its status (no event: a trouble
    seen again every cycle would flood the timeline); False if the task moved meanwhile."""
    statement = (
        update(tasks_table)
        .where(T.id == task.id, T.status == task.status.value)
        .values(updated_at=now, **error_columns(error))
    )
    return bool((await conn.execute(statement)).rowcount)


async def update_progress(conn: Connection, task: Task, *, progress: int, now: datetime) -> None:
    """Progress is not a transition: no event, guarded by status only."""
    await conn.execute(
        update(tasks_table)
        .where(T.id == task.id, T.status == task.status.value, T.progress < progress)
        .values(progress=progress, updated_at=now)
    )


async def due_timeouts(conn: Connection, *, now: datetime, limit: int = 500) -> list[Task]:
    """Tracked (async-mode) tasks past their ``timeout_at``."""
    query = (
        select(*TASK_COLUMNS)
        .where(*_TRACKABLE, T.timeout_at < now)
        .order_by(T.timeout_at)
        .limit(limit)
    )
    return [task_from_row(r) for r in (await conn.execute(query)).all()]


async def cancel_requests(conn: Connection, *, limit: int = 500) -> list[Task]:
    """Tracked (async-mode) tasks an operator asked to cancel."""
    query = (
        select(*TASK_COLUMNS)
        .where(
            T.cancel_requested_at.is_not(None),
            *_TRACKABLE,
        )
        .order_by(T.cancel_requested_at)
        .limit(limit)
    )
    return [task_from_row(r) for r in (await conn.execute(query)).all()]


def error_columns(error: Note) -> dict[str, str | None]:
    """The ``error_*`` columns of a task row that record ``error`` as its last error."""
    return {"error_message": error.english(), "error_code": error.code,
            "error_params": error.to_json() if error.params else None}
