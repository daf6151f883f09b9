"""The JSON objects of ``contenthub-ctl --format json``, of the HTTP API and of webhook events
(docs/webhooks.md): one serializer for all.

Keys are English and stable, times are UTC ISO-8601 with milliseconds (the storage format),
stored words (statuses) are the stored English words. The shapes are documented in
docs/cli-json.md (the HTTP API returns the same objects, docs/api.md). ``message`` fields are
human text: callers pass them already written in their reader's language.

Only the standard library is imported here, so ``contenthub-ctl`` stays quick to start.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Account, Event, JobRun, Task
    from contenthub_async.services.task_queries import TaskDetail
    from contenthub_async.store.contents import ContentState


def utc_iso(value: datetime | None) -> str | None:
    """``2026-11-22T08:00:00.123Z`` (the storage format), or None."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- tasks


def task_json(task: Task, account: Account | None) -> dict[str, Any]:
    """The task object of ``status`` and ``list``."""
    return {
        "task_id": task.task_id,
        "status": task.status.value,
        "priority": task.priority,
        "progress": task.progress,
        "retry_count": task.retry_count,
        "max_retries": task.max_retries,
        "account_id": task.account_id,
        "account_name": account.name if account else None,
        "topic": task.topic,
        "keywords": task.keywords,
        "category": task.category,
        "requirements": task.requirements,
        "tone": task.tone,
        "auto_approve": task.auto_approve,
        "source": task.source,
        "creator_task_id": task.creator_task_id,
        "content_id": task.content_id,
        "error_message": task.error_message,
        "cancel_requested_at": utc_iso(task.cancel_requested_at),
        "lease_owner": task.lease_owner,
        "lease_expires_at": utc_iso(task.lease_expires_at),
        "scheduled_job_run_id": task.scheduled_job_run_id,
        "callback_url": task.callback_url,
        "run_after": utc_iso(task.run_after),
        "created_at": utc_iso(task.created_at),
        "updated_at": utc_iso(task.updated_at),
        "submitted_at": utc_iso(task.submitted_at),
        "started_at": utc_iso(task.started_at),
        "completed_at": utc_iso(task.completed_at),
        "timeout_at": utc_iso(task.timeout_at),
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "at": utc_iso(event.at),
        "from": event.from_status,
        "to": event.to_status,
        "actor": event.actor,
        "message": event.message,
        "code": event.note.code if event.note else None,
    }


def content_json(content: ContentState | None) -> dict[str, Any] | None:
    if content is None:
        return None
    return {
        "content_id": content.content_id,
        "title": content.title,
        "word_count": content.word_count,
        "review_status": content.review_status,
        "publish_status": content.publish_status,
        "pool_status": content.pool_status,
    }


def detail_json(detail: TaskDetail) -> dict[str, Any]:
    """The ``status`` object: the task object, attempts, content and timeline."""
    return task_status_json(detail.task, detail.account, detail.events, detail.content)


def task_status_json(
    task: Task, account: Account | None, events: list[Event], content: ContentState | None
) -> dict[str, Any]:
    """The ``status`` object from its parts (the webhook outbox builds it inside a transaction)."""
    from contenthub_async.domain.entities import claims_of

    return {
        **task_json(task, account),
        "attempts": claims_of(events),
        "content": content_json(content),
        "events": [event_json(e) for e in events],
    }


def failed_run_json(run: JobRun, job_name: str | None) -> dict[str, Any]:
    """The data of a ``job_run.failed`` webhook event."""
    return {
        "run_id": run.id,
        "job_id": run.job_id,
        "job_name": job_name,
        "status": run.status.value,
        "trigger": run.trigger.value,
        "scheduled_for": utc_iso(run.scheduled_for),
        "started_at": utc_iso(run.started_at),
        "finished_at": utc_iso(run.finished_at),
        "daemon_id": run.daemon_id,
        "error": run.error,
    }


def webhook_body(event_id: str, event_type: str, created_at: datetime, data: Any) -> bytes:
    """The body of a webhook request (docs/webhooks.md): compact UTF-8 JSON."""
    body = {"id": event_id, "type": event_type, "timestamp": utc_iso(created_at), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def submitted_json(
    task_id: str, status: str, message: str, *, account_id: int, priority: int, auto_approve: bool, max_retries: int
) -> dict[str, Any]:
    """The ``submit`` object."""
    return {
        "task_id": task_id,
        "status": status,
        "message": message,
        "account_id": account_id,
        "priority": priority,
        "auto_approve": auto_approve,
        "max_retries": max_retries,
    }


def cancelled_json(task_id: str, outcome: str, status: str, message: str) -> dict[str, Any]:
    """The ``cancel`` object (``outcome``: cancelled, requested or already_requested)."""
    return {"task_id": task_id, "outcome": outcome, "status": status, "message": message}


def retried_json(task_id: str, status: str, message: str) -> dict[str, Any]:
    """The ``retry TASK_ID`` object."""
    return {"task_id": task_id, "status": status, "message": message}
