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
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contenthub_async.domain.entities import Account, Event, Job, JobRun, PoolEntry, Task
    from contenthub_async.domain.task_csv import CsvProblem
    from contenthub_async.services.health import Health
    from contenthub_async.services.monitor_reports import DayStats, Metrics, Stats
    from contenthub_async.services.task_import import ImportOutcome
    from contenthub_async.services.task_queries import TaskDetail
    from contenthub_async.store.contents import ContentState

#: Firings listed in ``next_runs`` of a job object.
NEXT_RUNS_SHOWN = 3


def utc_iso(value: datetime | None) -> str | None:
    """``2026-11-22T08:00:00.123Z`` (the storage format), or None."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


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


# ---------------------------------------------------------------- publishing


def pool_entry_json(entry: PoolEntry) -> dict[str, Any]:
    """A publish-pool entry (``publish-pool list/show``, docs/cli-json.md)."""
    return {
        "pool_id": entry.id,
        "content_id": entry.content_id,
        "account_id": entry.account_id,
        "title": entry.title,
        "status": entry.status.value,
        "priority": entry.priority,
        "scheduled_at": utc_iso(entry.scheduled_at),
        "due_at": utc_iso(entry.due_at),
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "external_id": entry.external_id,
        "url": entry.url,
        "published_at": utc_iso(entry.published_at),
        "created_at": utc_iso(entry.created_at),
    }


def publish_outcome_json(entry: PoolEntry, content: ContentState | None, task_id: str | None) -> dict[str, Any]:
    """The data of a ``content.published`` / ``content.publish_failed`` webhook event: the pool
    entry as the outcome left it, the task that generated the article, the article's summary."""
    return {**pool_entry_json(entry), "task_id": task_id, "content": content_json(content)}


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


def import_report_json(
    outcome: ImportOutcome, message: str, encoding: str, problem_message: Callable[[CsvProblem], str]
) -> dict[str, Any]:
    """The ``import`` report; ``problem_message`` words each problem for the reader."""
    return {
        "imported": len(outcome.task_ids),
        "encoding": encoding,
        "task_ids": outcome.task_ids,
        "skipped_rows": 0 if outcome.refused else outcome.skipped_rows,
        "errors": [
            {"line": p.line, "field": p.field, "reason": p.reason, "message": problem_message(p)}
            for p in outcome.problems
        ],
        "message": message,
    }


# ---------------------------------------------------------------- monitor


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    """The ``monitor metrics`` object."""
    counts = metrics.by_status
    completion = metrics.completion
    oldest = metrics.oldest_pending
    return {
        "generated_at": utc_iso(metrics.generated_at),
        "total_count": metrics.total,
        **{f"{status}_count": count for status, count in counts.items()},
        "by_status": dict(counts),
        "success_rate": _round(metrics.success_rate, 4),
        "avg_completion_seconds": _round(completion.average),
        "p50_completion_seconds": _round(completion.p50),
        "p95_completion_seconds": _round(completion.p95),
        "completion_sample_size": completion.sample_size,
        "in_flight": metrics.in_flight,
        "max_concurrent": metrics.max_concurrent,
        "queue_depth_by_priority": {str(priority): count for priority, count in metrics.queue_depth.items()},
        "oldest_pending_task_id": oldest.task_id if oldest else None,
        "oldest_pending_created_at": utc_iso(oldest.created_at) if oldest else None,
        "oldest_pending_age_seconds": _round(metrics.oldest_pending_age),
        "webhook_deliveries": dict(metrics.webhook_deliveries),
        "webhook_dead_count": metrics.webhook_deliveries.get("dead", 0),
    }


def _day_json(day: DayStats) -> dict[str, Any]:
    return {
        "submitted": day.submitted,
        "completed": day.completed,
        "failed": day.failed,
        "timeout": day.timeout,
        "success_rate": _round(day.success_rate, 4),
    }


def stats_json(stats: Stats) -> dict[str, Any]:
    """The ``monitor stats`` object."""
    return {
        "since": utc_iso(stats.since),
        "until": utc_iso(stats.until),
        "days": len(stats.days),
        "timezone": stats.zone,
        "per_day": [{"date": day.day, **_day_json(day)} for day in stats.days],
        "totals": _day_json(stats.totals),
        "failure_reasons": [{"reason": r.message, "count": r.count} for r in stats.failure_reasons],
    }


def health_json(health: Health) -> dict[str, Any]:
    """The ``monitor health`` object."""
    return {
        "status": health.overall,
        "exit_code": health.exit_code,
        "checked_at": utc_iso(health.checked_at),
        "checks": {name: {"status": check.level, **check.facts} for name, check in health.checks.items()},
    }


# ---------------------------------------------------------------- scheduler


def next_runs(job: Job, count: int = NEXT_RUNS_SHOWN) -> list[datetime]:
    """The job's next ``count`` firings (none when paused)."""
    from contenthub_async.domain import cron

    if not job.is_active or job.next_run_at is None:
        return []
    first = job.next_run_at
    rest = cron.next_firings(job.cron, cron.zone(job.timezone), first, count - 1) if count > 1 else []
    return [first, *rest]


def job_json(job: Job, *, with_next_runs: bool = False) -> dict[str, Any]:
    """The job object of ``scheduler list|show|...``; ``with_next_runs`` adds ``next_runs``."""
    data: dict[str, Any] = {
        "id": job.id,
        "name": job.name,
        "job_type": job.job_type,
        "cron": job.cron,
        "timezone": job.timezone,
        "params": job.params,
        "is_active": job.is_active,
        "misfire_policy": job.misfire_policy,
        "misfire_grace_seconds": job.misfire_grace_seconds,
        "next_run_at": utc_iso(job.next_run_at) if job.is_active else None,
        "last_run_at": utc_iso(job.last_run_at),
        "created_at": utc_iso(job.created_at),
        "updated_at": utc_iso(job.updated_at),
    }
    if with_next_runs:
        data["next_runs"] = [utc_iso(when) for when in next_runs(job)]
    return data


def run_counts(run: JobRun) -> tuple[int | None, int | None]:
    """(tasks submitted, tasks refused) of a batch-generation run; None when it reported none."""
    result = run.result if isinstance(run.result, dict) else {}
    submitted = result.get("total_submitted")
    refused = result.get("total_refused")
    return (submitted if isinstance(submitted, int) else None, refused if isinstance(refused, int) else None)


def run_json(run: JobRun) -> dict[str, Any]:
    """The run object of ``scheduler history|trigger``."""
    submitted, refused = run_counts(run)
    return {
        "id": run.id,
        "job_id": run.job_id,
        "scheduled_for": utc_iso(run.scheduled_for),
        "trigger": run.trigger,
        "status": run.status,
        "daemon_id": run.daemon_id,
        "started_at": utc_iso(run.started_at),
        "finished_at": utc_iso(run.finished_at),
        "duration_seconds": run.duration_seconds,
        "submitted": submitted,
        "refused": refused,
        "result": run.result,
        "error": run.error,
    }


def execution_json(run: JobRun, jobs: dict[int, Job]) -> dict[str, Any]:
    """The run object of ``scheduler executions``: a run object and its job's name."""
    return {**run_json(run), "job_name": jobs[run.job_id].name if run.job_id in jobs else None}
