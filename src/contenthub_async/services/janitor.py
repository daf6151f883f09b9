"""Janitor: heartbeat of this daemon, and rescue of work whose owner died.

Rescue guarantee (after Oban's Lifeline): a task stays ``submitting`` (or, in sync creator
mode, ``processing``) at most ``lease_seconds`` + one janitor interval after the daemon holding
it died; then it is ``pending`` again.
A scheduled-job run left ``running`` by a daemon whose heartbeat stopped goes back to
``pending`` and runs again (executors are idempotent per run).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import anyio

from contenthub_async.domain.vocabulary import DaemonStatus
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store import tasks as task_store

#: A daemon whose heartbeat is older than this many heartbeat intervals is taken for dead.
STALE_HEARTBEATS = 3


class Janitor:
    name = "janitor"

    def __init__(self, ctx: ServiceContext, on_rescued: Callable[[], None] | None = None) -> None:
        """``on_rescued``: called when work went back to the queue (the dispatcher may claim)."""
        self.ctx = ctx
        self.log = ctx.log.bind(component=self.name)
        self._on_rescued = on_rescued

    @property
    def interval(self) -> float:
        knobs = self.ctx.knobs
        return min(knobs.janitor_interval, knobs.heartbeat_interval)

    async def run_once(self) -> float | None:
        await self.heartbeat()
        await self.rescue_expired_leases()
        await self.rescue_orphaned_runs()
        return None

    async def run(self, stopping: anyio.Event) -> None:
        await ServiceLoop(self, interval=self.interval, log=self.log).run(stopping)

    async def heartbeat(self, status: DaemonStatus = DaemonStatus.RUNNING) -> None:
        async with self.ctx.db.write() as conn:
            await daemon_store.heartbeat(conn, self.ctx.daemon_id, now=self.ctx.clock.now(), status=status)

    async def rescue_expired_leases(self) -> list[str]:
        ctx = self.ctx
        async with ctx.db.write() as conn:
            rescued = await task_store.expire_leases(conn, now=ctx.clock.now(), actor=ctx.daemon_id)
        for task_id in rescued:
            self.log.warning("task transition", task_id=task_id, to_status="pending", message="lease expired")
        if rescued and self._on_rescued is not None:
            self._on_rescued()
        return rescued

    async def rescue_orphaned_runs(self) -> list[int]:
        """``running`` job runs of daemons that stopped or whose heartbeat is stale → ``pending``."""
        ctx = self.ctx
        now = ctx.clock.now()
        stale_before = now - timedelta(seconds=STALE_HEARTBEATS * ctx.knobs.heartbeat_interval)
        async with ctx.db.write() as conn:
            rescued = await job_store.requeue_runs_of_dead_daemons(conn, stale_before=stale_before)
        for run_id in rescued:
            self.log.warning("job run requeued: its daemon is gone", run_id=run_id)
        if rescued and self._on_rescued is not None:
            self._on_rescued()
        return rescued
