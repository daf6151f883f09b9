"""What every request handler needs, set once on the application (``app.state.api``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cached_property

from fastapi import Request

from contenthub_async.clock import Clock
from contenthub_async.config import Settings
from contenthub_async.services.submission_batcher import SubmissionBatcher
from contenthub_async.store.database import Database
from contenthub_async.store.prepared import PreparedConnection

#: ``actor`` of the task events the HTTP API writes.
ACTOR = "http"


@dataclass(frozen=True)
class Api:
    db: Database
    clock: Clock
    settings: Settings
    daemon_id: str
    #: the write transactions of submissions (the daemon's: they wake only its dispatcher)
    submission_writes: Callable[[], AbstractAsyncContextManager[PreparedConnection]] | None = None

    @cached_property
    def submissions(self) -> SubmissionBatcher:
        """Commits concurrent submissions together (services/submission_batcher.py)."""
        return SubmissionBatcher(self.db, clock=self.clock, actor=ACTOR, write_new_tasks=self.submission_writes)


async def api_of(request: Request) -> Api:
    """The FastAPI dependency that hands a handler the :class:`Api` (``async``: FastAPI runs a
    plain ``def`` dependency in its thread pool, a thread round trip on every request)."""
    api: Api = request.app.state.api
    return api
