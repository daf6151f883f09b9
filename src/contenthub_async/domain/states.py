"""The task state machine of ``content_generation_tasks.status`` (docs/architecture.md §2)."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    PENDING = "pending"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


S = TaskStatus

#: Every allowed move. A transition not listed here is a bug, and the store refuses it.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.PENDING: frozenset({S.SUBMITTING, S.CANCELLED}),
    # submitting -> processing: sync creator mode, the daemon's own process runs the generation
    S.SUBMITTING: frozenset({S.SUBMITTED, S.PROCESSING, S.PENDING, S.FAILED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.PROCESSING, S.COMPLETED, S.FAILED, S.TIMEOUT, S.CANCELLED, S.PENDING}),
    S.PROCESSING: frozenset({S.COMPLETED, S.FAILED, S.TIMEOUT, S.CANCELLED, S.PENDING}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset({S.PENDING}),
    S.TIMEOUT: frozenset({S.PENDING}),
    S.CANCELLED: frozenset({S.PENDING}),
}

TERMINAL: frozenset[TaskStatus] = frozenset({S.COMPLETED, S.FAILED, S.TIMEOUT, S.CANCELLED})
#: Tasks at content-creator. Without a lease (async mode) any daemon may track them; with one
#: (sync mode, ``processing``) the daemon running the generation owns them.
AT_CREATOR: frozenset[TaskStatus] = frozenset({S.SUBMITTED, S.PROCESSING})
#: Statuses in which a task may hold a lease (always while submitting; processing in sync mode).
LEASED: frozenset[TaskStatus] = frozenset({S.SUBMITTING, S.PROCESSING})
#: Counted against ASYNC_MAX_CONCURRENT_TASKS.
IN_FLIGHT: frozenset[TaskStatus] = frozenset({S.SUBMITTING, S.SUBMITTED, S.PROCESSING})
#: What an operator may send back to pending with `retry`.
RETRYABLE_BY_OPERATOR: frozenset[TaskStatus] = frozenset({S.FAILED, S.TIMEOUT, S.CANCELLED})


def sources_of(target: TaskStatus) -> frozenset[TaskStatus]:
    """All statuses from which ``target`` may be reached."""
    return frozenset(src for src, targets in TRANSITIONS.items() if target in targets)


def can_transition(source: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[source]
