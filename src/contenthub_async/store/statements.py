"""The SQLAlchemy definitions of the prepared statements (``store/prepared.py``).

Each builder returns one statement whose values are all bound by name (``bindparam``), so it
can be compiled once and run with any values; its arguments choose the statement's shape
(which filters, which columns) and must be hashable. :data:`PRECOMPILED` lists the shapes the
everyday commands run, which ``store/sqlite_statements.py`` holds compiled for SQLite.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import Insert, Integer, Select, Update, and_, bindparam, insert, null, or_, select, update

from contenthub_async.domain.entities import Task
from contenthub_async.domain.vocabulary import DaemonStatus
from contenthub_async.store.prepared import Prepared
from contenthub_async.store.tables import (
    accounts,
    contents,
    daemons,
    idempotency_keys,
    leases,
    publish_pool,
    task_events,
    webhook_events,
)
from contenthub_async.store.tables import content_generation_tasks as tasks_table

T = tasks_table.c
TASK_COLUMNS = [T[f.name] for f in fields(Task)]

#: The columns a new task is inserted with (the others take their defaults).
NEW_TASK_COLUMNS = (
    "task_id", "account_id", "topic", "keywords", "category", "requirements", "tone", "status", "priority",
    "retry_count", "max_retries", "run_after", "auto_approve", "source", "scheduled_job_run_id", "callback_url",
    "progress", "created_at", "updated_at",
)
EVENT_COLUMNS = ("generation_task_id", "at", "from_status", "to_status", "actor", "message", "code", "params")


def _set(table: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    """``SET column = :set_column`` for each of ``columns``."""
    return {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns}


# ---------------------------------------------------------------- tasks


def get_task() -> Select[Any]:
    return select(*TASK_COLUMNS).where(T.task_id == bindparam("task_id"))


def list_tasks(account: bool, statuses: bool, before: bool, newest_first: bool) -> Select[Any]:
    """Tasks by id order (``:limit``), filtered by ``:account_id``, ``:statuses`` and tasks
    created before the task ``:before`` (its task id)."""
    query = select(*TASK_COLUMNS)
    if before:
        query = query.where(T.id < select(T.id).where(T.task_id == bindparam("before")).scalar_subquery())
    if account:
        query = query.where(T.account_id == bindparam("account_id"))
    if statuses:
        query = query.where(T.status.in_(bindparam("statuses", expanding=True)))
    return query.order_by(T.id.desc() if newest_first else T.id).limit(bindparam("limit", type_=Integer()))


def task_events_of() -> Select[Any]:
    e = task_events.c
    return (
        select(e.id, e.at, e.from_status, e.to_status, e.actor, e.message, e.code, e.params)
        .where(e.generation_task_id == bindparam("pk"), e.id > bindparam("after"))
        .order_by(e.id)
    )


def insert_tasks() -> Insert:
    return insert(tasks_table).values(_set(tasks_table, NEW_TASK_COLUMNS))


def insert_creation_events() -> Insert:
    """The creation event of each task of ``:task_ids``, written from the new rows."""
    e = task_events.c
    created = select(
        T.id,
        bindparam("at", type_=e.at.type),
        null(),
        bindparam("to_status", type_=e.to_status.type),
        bindparam("actor", type_=e.actor.type),
        bindparam("message", type_=e.message.type),
        bindparam("code", type_=e.code.type),
    ).where(T.task_id.in_(bindparam("task_ids", expanding=True)))
    return insert(task_events).from_select(
        ["generation_task_id", "at", "from_status", "to_status", "actor", "message", "code"], created
    )


def insert_task_events() -> Insert:
    return insert(task_events).values(_set(task_events, EVENT_COLUMNS))


def change_task(columns: tuple[str, ...], lease_owner: bool, unless_cancel_requested: bool) -> Update:
    """Set ``columns`` of the task ``:pk`` while it is in the status ``:was`` (and, with
    ``lease_owner``, held by ``:held_by``; with ``unless_cancel_requested``, not asked to
    cancel); the changed row comes back."""
    conditions = [T.id == bindparam("pk"), T.status == bindparam("was")]
    if lease_owner:
        conditions.append(T.lease_owner == bindparam("held_by"))
    if unless_cancel_requested:
        conditions.append(T.cancel_requested_at.is_(None))
    return update(tasks_table).where(and_(*conditions)).values(_set(tasks_table, columns)).returning(*TASK_COLUMNS)


def tasks_of_idempotency_keys() -> Select[Any]:
    """The tasks that the keys ``:keys`` created, each with its key (``idempotency_key``)."""
    k = idempotency_keys.c
    return (select(k.key.label("idempotency_key"), *TASK_COLUMNS)
            .join(idempotency_keys, k.generation_task_id == T.id)
            .where(k.key.in_(bindparam("keys", expanding=True))))


def insert_idempotency_keys() -> Insert:
    """Remember ``:set_key`` as the key of the task ``:task_id``."""
    created_by = select(T.id).where(T.task_id == bindparam("task_id")).scalar_subquery()
    return insert(idempotency_keys).values(generation_task_id=created_by,
                                           **_set(idempotency_keys, ("key", "created_at")))


# ---------------------------------------------------------------- accounts, contents, daemons, webhooks


def get_account() -> Select[Any]:
    return select(*accounts.c).where(accounts.c.id == bindparam("account_id"))


def get_accounts() -> Select[Any]:
    return select(*accounts.c).where(accounts.c.id.in_(bindparam("account_ids", expanding=True)))


def content_state() -> Select[Any]:
    c = contents.c
    return (
        select(c.id, c.title, c.word_count, c.review_status, c.publish_status, publish_pool.c.status)
        .select_from(contents.outerjoin(publish_pool, publish_pool.c.content_id == c.id))
        .where(c.id == bindparam("content_id"))
    )


def latest_heartbeat() -> Select[Any]:
    d = daemons.c
    return (
        select(d.id, d.heartbeat_at, d.settings)
        .where(d.status.in_((DaemonStatus.RUNNING, DaemonStatus.STOPPING)))
        .order_by(d.heartbeat_at.desc())
        .limit(1)
    )


def heartbeat() -> Update:
    """The daemon ``:daemon_id`` beats at ``:set_heartbeat_at`` with ``:set_status``, unless its
    row says it is dead (taken over) or stopped."""
    d = daemons.c
    return (
        update(daemons)
        .where(d.id == bindparam("daemon_id"), d.status.not_in((DaemonStatus.DEAD, DaemonStatus.STOPPED)))
        .values(_set(daemons, ("heartbeat_at", "status")))
    )


def take_lease() -> Update:
    """Lease ``:lease_name`` for ``:set_owner`` from ``:set_acquired_at`` to ``:set_expires_at`` when that
    owner holds it or its term ended before ``:now``."""
    lease = leases.c
    return (
        update(leases)
        .where(lease.name == bindparam("lease_name"),
               or_(lease.owner == bindparam("set_owner"), lease.expires_at < bindparam("now", type_=lease.expires_at.type)))
        .values(_set(leases, ("owner", "acquired_at", "expires_at")))
    )


def insert_webhook_event() -> Insert:
    return insert(webhook_events).values(_set(webhook_events, (
        "event_id", "event_type", "generation_task_id", "job_run_id", "callback_url", "data", "created_at")))


#: The builders, by name.
BUILDERS: dict[str, Any] = {
    builder.__name__: builder
    for builder in (get_task, list_tasks, task_events_of, insert_tasks, insert_creation_events, insert_task_events,
                    change_task, tasks_of_idempotency_keys, insert_idempotency_keys, get_account, get_accounts,
                    content_state, latest_heartbeat, heartbeat, take_lease, insert_webhook_event)
}

#: What the everyday commands (submit, status, list, cancel) run: compiled for SQLite ahead of
#: time (store/sqlite_statements.py). Other shapes are compiled when first run.
PRECOMPILED: tuple[Prepared, ...] = (
    Prepared("get_task"),
    *(Prepared("list_tasks", (account, statuses, before, True))
      for account in (False, True) for statuses in (False, True) for before in (False, True)),
    Prepared("task_events_of"),
    Prepared("insert_tasks"),
    Prepared("insert_creation_events"),
    Prepared("insert_task_events"),
    Prepared("tasks_of_idempotency_keys"),  # the daemon's group commit of HTTP submissions
    Prepared("insert_idempotency_keys"),
    # cancel: a pending task is cancelled; one at the creator is asked to cancel
    Prepared("change_task", (("cancel_requested_at", "completed_at", "lease_expires_at", "lease_owner", "status",
                              "updated_at"), False, False)),
    Prepared("change_task", (("cancel_requested_at", "updated_at"), False, False)),
    Prepared("get_account"),
    Prepared("get_accounts"),
    Prepared("content_state"),
    Prepared("latest_heartbeat"),
    # a daemon's heartbeat and lease renewals, on the connection its wake-ups are polled on (services/wakeup.py)
    Prepared("heartbeat"),
    Prepared("take_lease"),
    Prepared("insert_webhook_event"),
)
