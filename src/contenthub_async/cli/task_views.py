"""How tasks look to people (the JSON objects are in ``contenthub_async.json_objects``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contenthub_async.cli.output import (
    STATUS_STYLES,
    Column,
    local_time,
    local_zone,
    or_dash,
    print_fields,
    print_lines,
    print_table,
    yes_no,
)
from contenthub_async.domain.entities import Event
from contenthub_async.texts.messages import has_text, note_text, status_word, text

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Account, PoolEvent, Task
    from contenthub_async.services.task_queries import TaskDetail
    from contenthub_async.store.contents import ContentState


# ---------------------------------------------------------------- human


def status_text(status: str) -> str:
    """``processing`` in English; ``处理中（processing）`` in Chinese (the stored word stays visible)."""
    word = status_word(status)
    return word if word == status else f"{word}（{status}）"


def stored_word_text(kind: str, value: str) -> str:
    """A review, publish or pool status, shown like :func:`status_text` (catalog key ``kind.value``)."""
    key = f"{kind}.{value}"
    word = text(key) if has_text(key) else value
    return word if word == value else f"{word}（{value}）"


def content_rows(content: ContentState) -> list[tuple[str, str]]:
    """The article of a completed task and its review and publishing state."""
    pool = stored_word_text("pool", content.pool_status) if content.pool_status else text("pool.none")
    return [
        (text("label.title"), content.title),
        (text("label.word_count"), or_dash(content.word_count)),
        (text("label.review_status"), stored_word_text("review", content.review_status)),
        (text("label.publish_status"), stored_word_text("publish", content.publish_status)),
        (text("label.pool_status"), pool),
    ]


def account_text(account_id: int, account: Account | None) -> str:
    if account is None:
        return text("status.account_unknown", account_id=account_id)
    return text("status.account_value", account_id=account_id, name=account.name)


def print_detail(detail: TaskDetail) -> None:
    """The ``status`` view: every field that matters, then the timeline."""
    task = detail.task
    rows: list[tuple[str, str]] = [
        (text("label.task_id"), task.task_id),
        (text("label.status"), status_text(task.status.value)),
        (text("label.priority"), str(task.priority)),
        (text("label.progress"), f"{task.progress}%"),
        (text("label.retries"), text("status.retries_value", count=task.retry_count, max=task.max_retries)),
        (text("label.attempts"), str(detail.attempts)),
        (text("label.account"), account_text(task.account_id, detail.account)),
        (text("label.topic"), task.topic),
    ]
    optional = [
        ("label.keywords", task.keywords),
        ("label.category", task.category),
        ("label.tone", task.tone),
        ("label.requirements", task.requirements),
    ]
    rows += [(text(key), value) for key, value in optional if value]
    rows += [
        (text("label.auto_approve"), yes_no(task.auto_approve)),
        (text("label.source"), task.source),
        (text("label.creator_task_id"), or_dash(task.creator_task_id)),
        (text("label.content_id"), or_dash(task.content_id)),
    ]
    if detail.content is not None:
        rows += content_rows(detail.content)
    rows.append((text("label.created_at"), local_time(task.created_at)))
    if task.status.value == "pending":
        rows.append((text("label.run_after"), local_time(task.run_after)))
    if task.lease_owner:
        rows.append((text("label.lease"), f"{task.lease_owner} (→ {local_time(task.lease_expires_at)})"))
    rows += [
        (text("label.submitted_at"), local_time(task.submitted_at)),
        (text("label.started_at"), local_time(task.started_at)),
        (text("label.completed_at"), local_time(task.completed_at)),
    ]
    if task.timeout_at:
        rows.append((text("label.timeout_at"), local_time(task.timeout_at)))
    if task.cancel_requested_at:
        rows.append((text("label.cancel_requested_at"), local_time(task.cancel_requested_at)))
    rows.append((text("label.error_message"), or_dash(note_text(task.error_note, task.error_message))))
    print_fields(rows)
    print_lines(["", text("label.timeline") + ":"])
    if not detail.events:
        print_lines(["  " + text("status.no_events")])
    for event in detail.events:
        print_lines(["  " + event_line(event)])


def event_line(event: Event | PoolEvent) -> str:
    """``2026-11-22 16:00:00 CST  pending → submitting  daemon-1  claimed`` (a task's or a pool entry's)."""
    to = status_word(event.to_status)
    if event.from_status is None:
        move = f"→ {to}"
    elif event.from_status == event.to_status:
        move = f"({to})"
    else:
        move = f"{status_word(event.from_status)} → {to}"
    parts = [local_time(event.at), move, event.actor]
    message = note_text(event.note, event.message)
    if message:
        parts.append(message)
    return "  ".join(parts)


def print_task_table(
    tasks: list[Task], accounts: dict[int, Account], *, footer: str | None = None, show_error: bool = False
) -> None:
    """The ``list`` view; ``footer`` replaces "newest first", ``show_error`` adds the last error."""
    if not tasks:
        print_lines([text("list.empty")])
        return
    # Ids are never cut; the topic gives way first, then the least useful columns are hidden.
    columns = [
        Column(text("list.col.task_id")),
        Column(text("list.col.status")),
        Column(text("list.col.priority"), right=True, drop=4),
        Column(text("list.col.progress"), right=True, drop=6),
        Column(text("list.col.retries"), right=True, drop=5),
        Column(text("list.col.account"), drop=2),
        Column(text("list.col.topic"), shrink=10, max_width=60, drop=1),
        Column(f"{text('list.col.created_at')} ({local_zone()})", drop=3),
    ]
    if show_error:
        columns.append(Column(text("label.error_message"), shrink=16, max_width=80, fold=True))

    def account_cell(task: Task) -> str:
        account = accounts.get(task.account_id)
        return f"{task.account_id} {account.name}" if account else str(task.account_id)

    rows = [
        [
            (task.task_id, None),
            (status_word(task.status.value), STATUS_STYLES.get(task.status.value)),
            (str(task.priority), None),
            (f"{task.progress}%", None),
            (f"{task.retry_count}/{task.max_retries}", None),
            (account_cell(task), None),
            (task.topic, None),
            (local_time(task.created_at, seconds=False, zone=False), None),
            *([(or_dash(note_text(task.error_note, task.error_message)), None)] if show_error else []),
        ]
        for task in tasks
    ]
    print_table(columns, rows, footer=footer or text("list.footer", count=len(tasks)))
