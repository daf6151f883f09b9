"""Retention: delete finished tasks older than a number of days, with their events.

Articles (``contents``) are the product and are kept; tasks that are pending or in flight
are never deleted. The cutoff is measured from when a task finished (``completed_at``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from contenthub_async.clock import Clock
from contenthub_async.store import retention as retention_store
from contenthub_async.store.database import Database
from contenthub_async.store.retention import FinishedTasks


def cutoff_for(days: int, clock: Clock) -> datetime:
    """Tasks that finished before this time are older than ``days`` days."""
    return clock.now() - timedelta(days=days)


async def preview_cleanup(db: Database, cutoff: datetime) -> FinishedTasks:
    """What :func:`clean_up` would delete now (read only)."""
    async with db.read() as conn:
        return await retention_store.count_finished_before(conn, cutoff)


async def clean_up(db: Database, cutoff: datetime) -> FinishedTasks:
    """Delete the finished tasks older than ``cutoff`` and their events, in one transaction."""
    async with db.write() as conn:
        return await retention_store.delete_finished_before(conn, cutoff)
