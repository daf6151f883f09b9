"""The rows people talk about, as plain immutable values: tasks and their events, accounts,
scheduled jobs and their runs. The store maps rows to these; nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import DeliveryStatus, JobRunStatus, JobRunTrigger, PoolStatus


@dataclass(frozen=True)
class Task:
    """One row of ``content_generation_tasks``."""

    id: int
    task_id: str
    creator_task_id: str | None
    account_id: int
    content_id: int | None
    topic: str
    keywords: str | None
    category: str | None
    requirements: str | None
    tone: str | None
    status: TaskStatus
    priority: int
    retry_count: int
    max_retries: int
    run_after: datetime
    auto_approve: bool
    source: str
    scheduled_job_run_id: int | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    cancel_requested_at: datetime | None
    progress: int
    submitted_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    timeout_at: datetime | None
    result: Any
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    callback_url: str | None = None  # where this task's webhook events go besides WEBHOOK_URL
    error_code: str | None = None
    error_params: str | None = None

    @property
    def error_note(self) -> Note | None:
        """The last error as a note (None when there is none, or for rows from before codes)."""
        return Note.from_columns(self.error_code, self.error_params)


@dataclass(frozen=True)
class Event:
    """One row of ``task_events``: a step of a task's timeline."""

    id: int
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    message: str | None
    note: Note | None = None  # None for rows written before notes had codes


def claims_of(events: list[Event]) -> int:
    """Times a daemon claimed the task (pending → submitting), i.e. create calls started."""
    return sum(1 for e in events if e.from_status == "pending" and e.to_status == "submitting")


@dataclass(frozen=True)
class Account:
    """One row of ``accounts``: a self-media account content is generated for."""

    id: int
    name: str
    platform: str | None
    category: str | None
    tone: str | None
    description: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    publisher: str | None = None  # a publisher spec; None: CONTENTHUB_PUBLISHER
    credentials_ref: str | None = None  # env:NAME or file:PATH (never the secret)


@dataclass(frozen=True)
class Job:
    """One row of ``scheduled_jobs``: a cron job run inside contenthubd."""

    id: int
    name: str
    job_type: str
    cron: str
    timezone: str | None
    params: Any
    is_active: bool
    misfire_policy: str
    misfire_grace_seconds: int
    next_run_at: datetime | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class JobRun:
    """One row of ``job_runs``: one firing of a job (unique per job and ``scheduled_for``)."""

    id: int
    job_id: int
    scheduled_for: datetime
    trigger: JobRunTrigger
    status: JobRunStatus
    daemon_id: str | None
    started_at: datetime | None
    finished_at: datetime | None
    result: Any
    error: str | None
    created_at: datetime

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class PoolEntry:
    """One row of ``publish_pool`` with its article's title: an approved article on its way out."""

    id: int
    content_id: int
    account_id: int
    title: str
    status: PoolStatus
    priority: int
    scheduled_at: datetime | None
    due_at: datetime
    attempts: int
    last_error: str | None
    external_id: str | None
    url: str | None
    published_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PoolEvent:
    """One row of ``publish_events``: a step of a pool entry's timeline."""

    id: int
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    message: str | None
    note: Note | None = None  # None for rows written before pool events had codes


@dataclass(frozen=True)
class WebhookDelivery:
    """One row of ``webhook_deliveries`` with its event's public fields: one event to one URL."""

    id: int
    event_id: str  # the webhook-id header
    event_type: str
    task_id: str | None  # the task a task.* event is about
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WebhookAttempt:
    """One row of ``webhook_attempts``: one HTTP request of a delivery."""

    at: datetime
    daemon_id: str
    status_code: int | None  # None: no answer (error says why)
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class OutgoingWebhook:
    """A claimed delivery with what sending it needs."""

    delivery_id: int
    url: str
    attempt: int  # the number of the attempt about to be made (1 = first)
    delivery_created_at: datetime
    event_id: str
    event_type: str
    event_created_at: datetime
    data: Any
