"""What every daemon service needs: the database, the creator, the clock, the knobs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contenthub_async import telemetry
from contenthub_async.clock import Clock
from contenthub_async.creator.port import Creator
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import CreatorMode
from contenthub_async.store.database import Database
from contenthub_async.store.prepared import PreparedConnection

if TYPE_CHECKING:
    from contenthub_async.publishers.registry import Publishers
    from contenthub_async.services.publishing import Publishing


@dataclass(frozen=True)
class Knobs:
    max_concurrent_tasks: int
    task_timeout: float
    poll_interval: float
    retry_backoff: float
    retry_backoff_max: float
    lease_seconds: float
    list_limit: int
    heartbeat_interval: float
    janitor_interval: float
    shutdown_grace: float
    wakeup_interval: float
    auto_add_to_pool: bool = True  # ASYNC_AUTO_ADD_TO_POOL: approved articles join the publish pool
    publish_concurrency: int = 2
    publish_max_attempts: int = 3
    publish_backoff: float = 30.0
    creator_mode: CreatorMode = CreatorMode.ASYNC  # CREATOR_MODE
    max_creator_processes: int = 4  # CONTENTHUB_CREATOR_MAX_PROCESSES: sync generations of this daemon too


@dataclass(frozen=True)
class ServiceContext:
    db: Database
    creator: Creator
    clock: Clock
    knobs: Knobs
    daemon_id: str
    log: Any  # a structlog BoundLogger
    publishers: Publishers | None = None  # None: this process does not publish
    #: Where the daemon commits what concerns none of its own loops (its heartbeat, its lease
    #: renewals), so that it wakes none of them: the change source's ``unheard_writes``
    #: (``services/wakeup.py``). None: an ordinary write transaction.
    unheard_writes: Callable[[], AbstractAsyncContextManager[PreparedConnection]] | None = None

    def write_unheard(self) -> AbstractAsyncContextManager[PreparedConnection]:
        """A write transaction (prepared statements only) whose commit wakes no loop of this daemon."""
        return (self.unheard_writes or self.db.write)()


def publishing_of(ctx: ServiceContext) -> Publishing:
    """The publishing context of a daemon (its id is the lease owner)."""
    from contenthub_async.services.publishing import Publishing, PublishPolicy

    assert ctx.publishers is not None, "this daemon has no publishers"
    knobs = ctx.knobs
    policy = PublishPolicy(max_attempts=knobs.publish_max_attempts, backoff=knobs.publish_backoff,
                           backoff_max=knobs.retry_backoff_max, lease_seconds=knobs.lease_seconds)
    return Publishing(db=ctx.db, clock=ctx.clock, actor=ctx.daemon_id, publishers=ctx.publishers, policy=policy,
                      log=ctx.log.bind(component="publisher"))


def log_transition(log: Any, before: Task, after: Task, message: str | None = None, **fields: Any) -> None:
    """One log event per transition, always with the task id; counted for ``/metrics``."""
    telemetry.count_transition(before.status.value, after.status.value)
    level = "warning" if after.status in (TaskStatus.FAILED, TaskStatus.TIMEOUT) else "info"
    getattr(log, level)(
        "task transition",
        task_id=after.task_id,
        from_status=before.status.value,
        to_status=after.status.value,
        **({"message": message} if message else {}),
        **fields,
    )
