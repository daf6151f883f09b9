"""The words stored in status-like columns, one enum per column (``TaskStatus`` lives in
:mod:`contenthub_async.domain.states` with its transitions).

The table definitions build their CHECK constraints from these enums, so a word exists in
one place only. :class:`CreatorMode` is the one vocabulary of a setting (``CREATOR_MODE``). Values are lower-case English: they read well in ``sqlite3`` and ``psql``.
"""

from __future__ import annotations

from enum import StrEnum


class TaskSource(StrEnum):
    """Where a task came from (``content_generation_tasks.source``)."""

    CLI = "cli"
    IMPORT = "import"
    SCHEDULER = "scheduler"
    API = "api"


class ReviewStatus(StrEnum):
    """``contents.review_status``."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PublishStatus(StrEnum):
    """``contents.publish_status``: where the article stands on its way out."""

    DRAFT = "draft"
    QUEUED = "queued"
    PUBLISHED = "published"
    FAILED = "failed"


class PoolStatus(StrEnum):
    """``publish_pool.status``."""

    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"


class MisfirePolicy(StrEnum):
    """``scheduled_jobs.misfire_policy``: what a late firing does (see ``domain.cron``)."""

    RUN_ONCE = "run_once"
    SKIP = "skip"


class JobRunStatus(StrEnum):
    """``job_runs.status``: ``pending → running → succeeded | failed``; ``missed`` is recorded, never run."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    MISSED = "missed"


class JobRunTrigger(StrEnum):
    """``job_runs.trigger``: why the run exists."""

    CRON = "cron"
    MANUAL = "manual"
    CATCH_UP = "catch_up"


class DaemonStatus(StrEnum):
    """``daemons.status``."""

    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DEAD = "dead"  # taken for dead by another daemon, which took over its work


class WebhookEventType(StrEnum):
    """``webhook_events.event_type``: what happened (docs/webhooks.md has an example of each)."""

    TASK_COMPLETED = "task.completed"
    TASK_FAILED = "task.failed"
    TASK_TIMEOUT = "task.timeout"
    TASK_CANCELLED = "task.cancelled"
    CONTENT_PUBLISHED = "content.published"
    CONTENT_PUBLISH_FAILED = "content.publish_failed"
    JOB_RUN_FAILED = "job_run.failed"
    PING = "ping"  # sent by `webhook test` only, never stored


class DeliveryStatus(StrEnum):
    """``webhook_deliveries.status``: ``pending → delivered | dead`` (``redeliver``: back to pending)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class CreatorMode(StrEnum):
    """How content-creator runs a generation (the setting ``CREATOR_MODE``).

    ``async``: ``create`` queues the task in content-creator's own queue (Redis and a
    worker) and returns its id at once; the result is fetched later. ``sync``: one
    ``create`` process runs the whole generation and prints the result when it ends.
    """

    ASYNC = "async"
    SYNC = "sync"
