"""Table definitions for the statements of ``store/``: what the SQL of the other modules is
written against. The migrations (``store/migrations``) create the tables; ``schema.sql`` is
the reviewed DDL; tests prove all three agree on both backends."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)

from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import (
    DaemonStatus,
    DeliveryStatus,
    JobRunStatus,
    JobRunTrigger,
    MisfirePolicy,
    PoolStatus,
    PublishStatus,
    ReviewStatus,
    TaskSource,
    WebhookEventType,
)
from contenthub_async.store.types import JsonText, UtcDateTime

metadata = MetaData()


def _in(column: str, values: type[StrEnum]) -> str:
    """A CHECK that ``column`` holds one of the enum's words (in declaration order)."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _timestamps() -> list[Column]:
    return [
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    ]


accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("platform", Text),
    Column("category", Text),
    Column("tone", Text),
    Column("description", Text),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    *_timestamps(),
    Column("publisher", Text),  # a publisher spec; NULL: CONTENTHUB_PUBLISHER
    Column("credentials_ref", Text),  # env:NAME or file:PATH, never the secret itself
    UniqueConstraint("name", name="uq_accounts_name"),
    CheckConstraint("length(name) BETWEEN 1 AND 200", name="ck_accounts_name_length"),
)

content_generation_tasks = Table(
    "content_generation_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Text, nullable=False),
    Column("creator_task_id", Text),
    Column("account_id", Integer, ForeignKey("accounts.id", name="fk_tasks_account"), nullable=False),
    Column("content_id", Integer),
    Column("topic", Text, nullable=False),
    Column("keywords", Text),
    Column("category", Text),
    Column("requirements", Text),
    Column("tone", Text),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("priority", Integer, nullable=False, server_default=text("5")),
    Column("retry_count", Integer, nullable=False, server_default=text("0")),
    Column("max_retries", Integer, nullable=False, server_default=text("3")),
    Column("run_after", UtcDateTime(), nullable=False),
    Column("auto_approve", Boolean, nullable=False, server_default=true()),
    Column("source", Text, nullable=False, server_default=text("'cli'")),
    Column(
        "scheduled_job_run_id",
        Integer,
        ForeignKey("job_runs.id", name="fk_tasks_job_run", ondelete="SET NULL"),
    ),
    Column("lease_owner", Text),
    Column("lease_expires_at", UtcDateTime()),
    Column("cancel_requested_at", UtcDateTime()),
    Column("progress", Integer, nullable=False, server_default=text("0")),
    Column("submitted_at", UtcDateTime()),
    Column("started_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    Column("timeout_at", UtcDateTime()),
    Column("result", JsonText()),
    Column("error_message", Text),
    *_timestamps(),
    Column("callback_url", Text),
    Column("error_code", Text),
    Column("error_params", Text),
    UniqueConstraint("task_id", name="uq_tasks_task_id"),
    CheckConstraint(_in("status", TaskStatus), name="ck_tasks_status"),
    CheckConstraint("priority BETWEEN 0 AND 10", name="ck_tasks_priority"),
    CheckConstraint("length(topic) BETWEEN 1 AND 500", name="ck_tasks_topic_length"),
    CheckConstraint("retry_count >= 0 AND max_retries >= 0", name="ck_tasks_retries"),
    CheckConstraint("progress BETWEEN 0 AND 100", name="ck_tasks_progress"),
    CheckConstraint(_in("source", TaskSource), name="ck_tasks_source"),
    # A lease while 'submitting' (always) and while 'processing' (sync creator mode), never else.
    CheckConstraint(
        "CASE status"
        " WHEN 'submitting' THEN lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL"
        " WHEN 'processing' THEN (lease_owner IS NULL) = (lease_expires_at IS NULL)"
        " ELSE lease_owner IS NULL AND lease_expires_at IS NULL END",
        name="ck_tasks_lease",
    ),
)
_tasks = content_generation_tasks
Index("ix_tasks_claim", _tasks.c.status, _tasks.c.priority.desc(), _tasks.c.id)
Index("ix_tasks_account", _tasks.c.account_id, _tasks.c.created_at)
Index("ix_tasks_created_at", _tasks.c.created_at)
Index("ix_tasks_status_completed", _tasks.c.status, _tasks.c.completed_at)
Index("ix_tasks_status_created", _tasks.c.status, _tasks.c.created_at)
Index("ix_tasks_due", _tasks.c.status, _tasks.c.run_after)
Index("ix_tasks_creator_task_id", _tasks.c.creator_task_id)
Index("ix_tasks_job_run", _tasks.c.scheduled_job_run_id)

task_events = Table(
    "task_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "generation_task_id",
        Integer,
        ForeignKey("content_generation_tasks.id", name="fk_events_task", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UtcDateTime(), nullable=False),
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("message", Text),
    Column("code", Text),
    Column("params", Text),
)
Index("ix_events_task", task_events.c.generation_task_id, task_events.c.id)
Index("ix_events_at", task_events.c.at)

contents = Table(
    "contents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", name="fk_contents_account"), nullable=False),
    Column(
        "generation_task_id",
        Integer,
        ForeignKey("content_generation_tasks.id", name="fk_contents_task", ondelete="SET NULL"),
    ),
    Column("title", Text, nullable=False),
    Column("body_markdown", Text, nullable=False),
    Column("body_html", Text),
    Column("summary", Text),
    Column("images", JsonText(), nullable=False),
    Column("word_count", Integer),
    Column("quality_score", Float),
    Column("category", Text),
    Column("tags", Text),
    Column("review_status", Text, nullable=False, server_default=text("'pending'")),
    Column("publish_status", Text, nullable=False, server_default=text("'draft'")),
    Column("reviewed_at", UtcDateTime()),
    *_timestamps(),
    Column("review_note", Text),
    UniqueConstraint("generation_task_id", name="uq_contents_generation_task"),
    CheckConstraint(_in("review_status", ReviewStatus), name="ck_contents_review_status"),
    CheckConstraint(_in("publish_status", PublishStatus), name="ck_contents_publish_status"),
)
Index("ix_contents_account", contents.c.account_id, contents.c.created_at)

publish_pool = Table(
    "publish_pool",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "content_id",
        Integer,
        ForeignKey("contents.id", name="fk_pool_content", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("account_id", Integer, ForeignKey("accounts.id", name="fk_pool_account"), nullable=False),
    Column("priority", Integer, nullable=False, server_default=text("5")),  # lower first
    Column("scheduled_at", UtcDateTime()),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("published_at", UtcDateTime()),
    Column("external_id", Text),
    *_timestamps(),
    Column("url", Text),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("lease_owner", Text),
    Column("lease_expires_at", UtcDateTime()),
    UniqueConstraint("content_id", name="uq_pool_content"),
    CheckConstraint("priority BETWEEN 0 AND 10", name="ck_pool_priority"),
    CheckConstraint(_in("status", PoolStatus), name="ck_pool_status"),
    CheckConstraint("attempts >= 0", name="ck_pool_attempts"),
    CheckConstraint(
        "(status = 'publishing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)",
        name="ck_pool_lease_only_when_publishing",
    ),
    CheckConstraint(
        "(status = 'published') = (published_at IS NOT NULL AND external_id IS NOT NULL)",
        name="ck_pool_published_once",
    ),
)
Index("ix_pool_next", publish_pool.c.status, publish_pool.c.priority, publish_pool.c.id)
Index("ix_pool_due", publish_pool.c.status, publish_pool.c.due_at)

publish_events = Table(
    "publish_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "pool_entry_id",
        Integer,
        ForeignKey("publish_pool.id", name="fk_publish_events_entry", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UtcDateTime(), nullable=False),
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("message", Text),
    Column("code", Text),
    Column("params", Text),
)
Index("ix_publish_events_entry", publish_events.c.pool_entry_id, publish_events.c.id)

scheduled_jobs = Table(
    "scheduled_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("job_type", Text, nullable=False),
    Column("cron", Text, nullable=False),
    Column("timezone", Text),
    Column("params", JsonText(), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    Column("misfire_policy", Text, nullable=False, server_default=text("'run_once'")),
    Column("misfire_grace_seconds", Integer, nullable=False, server_default=text("3600")),
    Column("next_run_at", UtcDateTime()),
    Column("last_run_at", UtcDateTime()),
    *_timestamps(),
    UniqueConstraint("name", name="uq_jobs_name"),
    CheckConstraint(_in("misfire_policy", MisfirePolicy), name="ck_jobs_misfire_policy"),
    CheckConstraint("misfire_grace_seconds >= 0", name="ck_jobs_misfire_grace"),
)
Index("ix_jobs_next_run", scheduled_jobs.c.is_active, scheduled_jobs.c.next_run_at)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "job_id",
        Integer,
        ForeignKey("scheduled_jobs.id", name="fk_runs_job", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("scheduled_for", UtcDateTime(), nullable=False),
    Column("trigger", Text, nullable=False, server_default=text("'cron'")),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("daemon_id", Text),
    Column("started_at", UtcDateTime()),
    Column("finished_at", UtcDateTime()),
    Column("result", JsonText()),
    Column("error", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("job_id", "scheduled_for", name="uq_runs_job_firing"),
    CheckConstraint(_in("status", JobRunStatus), name="ck_runs_status"),
    CheckConstraint(_in("trigger", JobRunTrigger), name="ck_runs_trigger"),
)
Index("ix_runs_status", job_runs.c.status, job_runs.c.scheduled_for)

daemons = Table(
    "daemons",
    metadata,
    Column("id", Text, primary_key=True),
    Column("hostname", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("version", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'running'")),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("heartbeat_at", UtcDateTime(), nullable=False),
    Column("stopped_at", UtcDateTime()),
    Column("host_id", Text),
    Column("process_key", Text),
    Column("heartbeat_seconds", Float),
    Column("settings", JsonText()),
    CheckConstraint(_in("status", DaemonStatus), name="ck_daemons_status"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column(
        "generation_task_id",
        Integer,
        ForeignKey("content_generation_tasks.id", name="fk_idempotency_task", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", UtcDateTime(), nullable=False),
)
Index("ix_idempotency_task", idempotency_keys.c.generation_task_id)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column(
        "generation_task_id",
        Integer,
        ForeignKey("content_generation_tasks.id", name="fk_webhook_events_task", ondelete="CASCADE"),
    ),
    Column("job_run_id", Integer, ForeignKey("job_runs.id", name="fk_webhook_events_run", ondelete="CASCADE")),
    Column("callback_url", Text),
    Column("data", JsonText(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("fanned_out_at", UtcDateTime()),
    UniqueConstraint("event_id", name="uq_webhook_events_event_id"),
    CheckConstraint(_in("event_type", WebhookEventType), name="ck_webhook_events_type"),
)
Index("ix_webhook_events_fan_out", webhook_events.c.fanned_out_at, webhook_events.c.id)
Index("ix_webhook_events_task", webhook_events.c.generation_task_id)
Index("ix_webhook_events_run", webhook_events.c.job_run_id)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "webhook_event_id",
        Integer,
        ForeignKey("webhook_events.id", name="fk_deliveries_event", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("url", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("lease_owner", Text),
    Column("lease_expires_at", UtcDateTime()),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", UtcDateTime()),
    *_timestamps(),
    UniqueConstraint("webhook_event_id", "url", name="uq_deliveries_event_url"),
    CheckConstraint(_in("status", DeliveryStatus), name="ck_deliveries_status"),
)
Index("ix_deliveries_due", webhook_deliveries.c.status, webhook_deliveries.c.next_attempt_at)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "delivery_id",
        Integer,
        ForeignKey("webhook_deliveries.id", name="fk_attempts_delivery", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UtcDateTime(), nullable=False),
    Column("daemon_id", Text, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)
Index("ix_attempts_delivery", webhook_attempts.c.delivery_id, webhook_attempts.c.id)

__all__ = [
    "accounts",
    "content_generation_tasks",
    "contents",
    "daemons",
    "idempotency_keys",
    "job_runs",
    "leases",
    "metadata",
    "publish_events",
    "publish_pool",
    "scheduled_jobs",
    "task_events",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_events",
]
