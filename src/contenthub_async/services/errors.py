"""Errors the services raise for people (the CLI maps them to messages and exit codes)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: ``code`` is a stable message key, ``details`` fill the message."""

    code = "error"
    exit_code = 1

    def __init__(self, **details: object) -> None:
        self.details = details
        super().__init__(f"{self.code}: {details}")


class UnknownAccount(ServiceError):
    code = "unknown_account"
    exit_code = 2


class InactiveAccount(ServiceError):
    code = "inactive_account"
    exit_code = 2


class TaskNotFound(ServiceError):
    code = "task_not_found"
    exit_code = 1


class InvalidTaskState(ServiceError):
    code = "invalid_task_state"
    exit_code = 1


class JobNotFound(ServiceError):
    code = "job_not_found"
    exit_code = 1


class DuplicateJobName(ServiceError):
    code = "duplicate_job_name"
    exit_code = 2


class ContentNotFound(ServiceError):
    code = "content_not_found"
    exit_code = 1


class InvalidReviewState(ServiceError):
    """The article cannot take this review decision (e.g. rejecting a published article)."""

    code = "invalid_review_state"
    exit_code = 1


class NotApproved(ServiceError):
    """Only approved articles enter the publish pool."""

    code = "content_not_approved"
    exit_code = 1


class AlreadyInPool(ServiceError):
    code = "already_in_pool"
    exit_code = 1


class PoolEntryNotFound(ServiceError):
    code = "pool_entry_not_found"
    exit_code = 1


class InvalidPoolState(ServiceError):
    code = "invalid_pool_state"
    exit_code = 1
