"""The store functions of ``contenthub-ctl``'s everyday commands (submit, status, list, cancel),
written with prepared statements only (``store/prepared.py``): they run on SQLAlchemy's
engine like the rest of the store, and on the standard library's ``sqlite3``
(``store/sqlite_driver.py``), so those commands start without SQLAlchemy.

The aggregate modules re-export them (``store.tasks.transition`` is :func:`transition`): there is
one of each. Their SQL is in ``store/statements.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contenthub_async.domain.entities import Account, Event, Task
from contenthub_async.domain.ids import new_event_id, new_task_id
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import LEASED, TERMINAL, TaskStatus, can_transition
from contenthub_async.domain.submission import NewTask
from contenthub_async.domain.vocabulary import WebhookEventType
from contenthub_async.json_objects import task_status_json
from contenthub_async.store.batches import chunks
from contenthub_async.store.dialect import notify_changes
from contenthub_async.store.prepared import Prepared
from contenthub_async.store.prepared import PreparedConnection as Connection

S = TaskStatus
SUBMITTED_NOTE = Note("task.submitted")

#: The event a task's arrival in a terminal status announces.
TASK_EVENT_TYPES: dict[TaskStatus, WebhookEventType] = {
    TaskStatus.COMPLETED: WebhookEventType.TASK_COMPLETED,
    TaskStatus.FAILED: WebhookEventType.TASK_FAILED,
    TaskStatus.TIMEOUT: WebhookEventType.TASK_TIMEOUT,
    TaskStatus.CANCELLED: WebhookEventType.TASK_CANCELLED,
}

_GET_TASK = Prepared("get_task")
_TASK_EVENTS_OF = Prepared("task_events_of")
_INSERT_TASKS = Prepared("insert_tasks")
_INSERT_CREATION_EVENTS = Prepared("insert_creation_events")
_INSERT_TASK_EVENTS = Prepared("insert_task_events")
_TASKS_OF_IDEMPOTENCY_KEYS = Prepared("tasks_of_idempotency_keys")
_INSERT_IDEMPOTENCY_KEYS = Prepared("insert_idempotency_keys")
_GET_ACCOUNT = Prepared("get_account")
_GET_ACCOUNTS = Prepared("get_accounts")
_CONTENT_STATE = Prepared("content_state")
_LATEST_HEARTBEAT = Prepared("latest_heartbeat")
_INSERT_WEBHOOK_EVENT = Prepared("insert_webhook_event")


# ---------------------------------------------------------------- tasks


def task_from_row(row: Any) -> Task:
    return task_from_mapping(dict(row._mapping))


def task_from_mapping(data: dict[str, Any]) -> Task:
    data["status"] = TaskStatus(data["status"])
    data["auto_approve"] = bool(data["auto_approve"])
    return Task(**data)


async def insert_tasks(
    conn: Connection, new_tasks: Sequence[NewTask], *, now: datetime, actor: str
) -> list[str]:
    """Insert tasks and their creation events; return the task ids in input order.

    Task ids are generated here, so the rows go in as one executemany without RETURNING and
    the events are written server-side from the new rows (``INSERT ... SELECT``), in chunks
    that stay under both backends' parameter limits: 100 000 tasks in one transaction is fine.
    """
    if not new_tasks:
        return []
    task_ids = [new_task_id() for _ in new_tasks]
    rows = [
        {
            "set_task_id": task_id,
            "set_account_id": t.account_id,
            "set_topic": t.topic,
            "set_keywords": t.keywords,
            "set_category": t.category,
            "set_requirements": t.requirements,
            "set_tone": t.tone,
            "set_status": S.PENDING.value,
            "set_priority": t.priority,
            "set_retry_count": 0,
            "set_max_retries": t.max_retries,
            "set_run_after": now,
            "set_auto_approve": t.auto_approve,
            "set_source": t.source,
            "set_scheduled_job_run_id": t.scheduled_job_run_id,
            "set_callback_url": t.callback_url,
            "set_progress": 0,
            "set_created_at": now,
            "set_updated_at": now,
        }
        for task_id, t in zip(task_ids, new_tasks, strict=True)
    ]
    await conn.execute(_INSERT_TASKS, rows)
    for chunk in chunks(task_ids):
        await conn.execute(_INSERT_CREATION_EVENTS, {
            "task_ids": list(chunk), "at": now, "to_status": S.PENDING.value, "actor": actor,
            "message": SUBMITTED_NOTE.english(), "code": SUBMITTED_NOTE.code,
        })
    await notify_changes(conn)
    return task_ids


async def record_idempotency_keys(conn: Connection, keys: Sequence[tuple[str, str]], *, now: datetime) -> None:
    """Remember many (key, task_id) pairs in one executemany (a key used before violates its
    primary key, and the statement fails whole)."""
    if not keys:
        return
    await conn.execute(_INSERT_IDEMPOTENCY_KEYS,
                       [{"set_key": key, "task_id": task_id, "set_created_at": now} for key, task_id in keys])


async def tasks_of_idempotency_keys(conn: Connection, keys: Sequence[str]) -> dict[str, Task]:
    """The tasks that any of ``keys`` created, by key."""
    found: dict[str, Task] = {}
    for chunk in chunks(sorted(set(keys))):
        for row in (await conn.execute(_TASKS_OF_IDEMPOTENCY_KEYS, {"keys": list(chunk)})).all():
            data = dict(row._mapping)
            key = data.pop("idempotency_key")
            found[key] = task_from_mapping(data)
    return found


async def get_task(conn: Connection, task_id: str) -> Task | None:
    row = (await conn.execute(_GET_TASK, {"task_id": task_id})).first()
    return task_from_row(row) if row else None


async def list_tasks(
    conn: Connection,
    *,
    account_id: int | None = None,
    statuses: Iterable[TaskStatus] | None = None,
    limit: int = 50,
    newest_first: bool = True,
    before: str | None = None,
) -> list[Task]:
    """Tasks by id order; ``before``: only tasks created before the task with this task id
    (the next page of a newest-first listing; none when that task does not exist)."""
    shape = (account_id is not None, statuses is not None, before is not None, newest_first)
    values: dict[str, Any] = {"limit": limit}
    if account_id is not None:
        values["account_id"] = account_id
    if statuses is not None:
        values["statuses"] = [s.value for s in statuses]
    if before is not None:
        values["before"] = before
    rows = (await conn.execute(Prepared("list_tasks", shape), values)).all()
    return [task_from_row(r) for r in rows]


async def task_events_of(conn: Connection, pk: int, *, after: int = 0) -> list[Event]:
    """The task's events, oldest first; ``after``: only those with a greater event id."""
    return [
        Event(row.id, row.at, row.from_status, row.to_status, row.actor, row.message,
              Note.from_columns(row.code, row.params))
        for row in (await conn.execute(_TASK_EVENTS_OF, {"pk": pk, "after": after})).all()
    ]


async def _change_task(
    conn: Connection, task: Task, changes: dict[str, Any], *, lease_owner: str | None = None,
    unless_cancel_requested: bool = False,
) -> Task | None:
    """Set ``changes`` on ``task`` while it is in the status it was read in; the changed task,
    or None if it moved meanwhile."""
    columns = tuple(sorted(changes))
    statement = Prepared("change_task", (columns, lease_owner is not None, unless_cancel_requested))
    values = {f"set_{name}": value for name, value in changes.items()}
    values.update(pk=task.id, was=task.status.value)
    if lease_owner is not None:
        values["held_by"] = lease_owner
    row = (await conn.execute(statement, values)).first()
    return task_from_row(row) if row else None


async def transition(
    conn: Connection,
    task: Task,
    to: TaskStatus,
    *,
    now: datetime,
    actor: str,
    note: Note | None = None,
    values: dict[str, Any] | None = None,
    lease_owner: str | None = None,
    unless_cancel_requested: bool = False,
) -> Task | None:
    """Move ``task`` from the status it was read in to ``to``; None if it moved meanwhile.

    Moving to a status without a lease (all but submitting and processing) clears it; into
    ``processing`` the lease is kept (sync mode) unless ``values`` say otherwise. ``lease_owner``
    additionally requires that this daemon still holds the lease. ``unless_cancel_requested`` refuses the move when an
    operator asked to cancel the task (used for retries: a cancelled task is not re-run).
    """
    if not can_transition(task.status, to):
        raise ValueError(f"illegal transition {task.status} -> {to} for {task.task_id}")
    changes: dict[str, Any] = {"status": to.value, "updated_at": now}
    if to not in LEASED:
        changes.update(lease_owner=None, lease_expires_at=None)
    changes.update(values or {})
    moved = await _change_task(conn, task, changes, lease_owner=lease_owner,
                               unless_cancel_requested=unless_cancel_requested)
    if moved is None:
        return None
    await insert_events(conn, [(task.id, task.status, to)], now, actor, note)
    if to in TERMINAL:
        await announce_finished(conn, moved, now=now)
    return moved


async def record_note(
    conn: Connection, task: Task, *, now: datetime, actor: str, values: dict[str, Any], note: Note | None = None
) -> Task | None:
    """Change non-status columns (e.g. cancel request, progress) under the status guard, with an event."""
    noted = await _change_task(conn, task, {"updated_at": now, **values})
    if noted is None:
        return None
    await insert_events(conn, [(task.id, task.status, task.status)], now, actor, note)
    return noted


async def announce_finished(conn: Connection, task: Task, *, now: datetime) -> None:
    """The webhook event of a task that just reached a terminal status, in the same transaction."""
    await record_task_event(conn, task, await task_events_of(conn, task.id), now=now)


async def insert_events(
    conn: Connection,
    moves: Sequence[tuple[int, TaskStatus, TaskStatus]],
    now: datetime,
    actor: str,
    note: Note | None,
) -> None:
    """One ``task_events`` row per (task id, from, to), all with ``note``."""
    await conn.execute(
        _INSERT_TASK_EVENTS,
        [
            {
                "set_generation_task_id": pk,
                "set_at": now,
                "set_from_status": source.value,
                "set_to_status": target.value,
                "set_actor": actor,
                **{f"set_{name}": value for name, value in note_columns(note).items()},
            }
            for pk, source, target in moves
        ],
    )


def note_columns(note: Note | None) -> dict[str, str | None]:
    """The ``message``/``code``/``params`` columns of an event row."""
    if note is None:
        return {"message": None, "code": None, "params": None}
    return {"message": note.english(), "code": note.code, "params": note.to_json() if note.params else None}


# ---------------------------------------------------------------- accounts


def account_from_row(row: Any) -> Account:
    data = dict(row._mapping)
    data["is_active"] = bool(data["is_active"])
    return Account(**data)


async def get_account(conn: Connection, account_id: int) -> Account | None:
    row = (await conn.execute(_GET_ACCOUNT, {"account_id": account_id})).first()
    return account_from_row(row) if row else None


async def get_accounts(conn: Connection, account_ids: Iterable[int]) -> dict[int, Account]:
    """The accounts with these ids that exist (any number of ids: the IN list is chunked)."""
    ids = sorted(set(account_ids))
    found: dict[int, Account] = {}
    for chunk in chunks(ids):
        rows = (await conn.execute(_GET_ACCOUNTS, {"account_ids": list(chunk)})).all()
        found.update({row.id: account_from_row(row) for row in rows})
    return found


# ---------------------------------------------------------------- contents, daemons


@dataclass(frozen=True)
class ContentState:
    """An article (without its body) and where it stands in review and publishing."""

    content_id: int
    title: str
    word_count: int | None
    review_status: str
    publish_status: str
    pool_status: str | None  # None: not in the publish pool


async def content_state(conn: Connection, content_id: int) -> ContentState | None:
    """One ``contents`` row (without its body) and its publish-pool status."""
    row = (await conn.execute(_CONTENT_STATE, {"content_id": content_id})).first()
    return ContentState(*row) if row else None


@dataclass(frozen=True)
class Heartbeat:
    """The freshest daemon not marked stopped: its id, last beat and recorded settings."""

    daemon_id: str
    at: datetime
    settings: dict[str, Any] | None


async def latest_heartbeat(conn: Connection) -> Heartbeat | None:
    """The freshest daemon not marked stopped, or None."""
    row = (await conn.execute(_LATEST_HEARTBEAT)).first()
    return Heartbeat(row.id, row.heartbeat_at, row.settings) if row else None


# ---------------------------------------------------------------- the webhook outbox


async def record_task_event(conn: Connection, task: Task, events: list[Event], *, now: datetime) -> str:
    """Announce that ``task`` (as just written) reached its terminal status: the event's data
    is the task object of ``status --format json``, taken in this transaction."""
    account = await get_account(conn, task.account_id)
    content = await content_state(conn, task.content_id) if task.content_id is not None else None
    return await record_event(
        conn, TASK_EVENT_TYPES[task.status], task_status_json(task, account, events, content), now=now,
        task_pk=task.id, callback_url=task.callback_url,
    )


async def record_event(
    conn: Connection,
    event_type: WebhookEventType,
    data: Any,
    *,
    now: datetime,
    task_pk: int | None = None,
    job_run_id: int | None = None,
    callback_url: str | None = None,
) -> str:
    """Write one event in the caller's transaction; return its event id (``evt_…``)."""
    event_id = new_event_id()
    await conn.execute(_INSERT_WEBHOOK_EVENT, {
        "set_event_id": event_id, "set_event_type": event_type.value, "set_generation_task_id": task_pk,
        "set_job_run_id": job_run_id, "set_callback_url": callback_url, "set_data": data, "set_created_at": now,
    })
    await notify_changes(conn)
    return event_id
