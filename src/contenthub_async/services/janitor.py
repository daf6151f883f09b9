"""Janitor: heartbeat of this daemon, and rescue of tasks whose claimer died mid-create.

Rescue guarantee (after Oban's Lifeline): a task stays ``submitting`` at most
``lease_seconds`` + one janitor interval after its daemon died; then it is ``pending`` again.
"""

from __future__ import annotations

import anyio

from contenthub_async.services.context import ServiceContext
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store


class Janitor:
    def __init__(self, ctx: ServiceContext, on_rescued: object = None) -> None:
        self.ctx = ctx
        self.log = ctx.log.bind(component="janitor")
        self._on_rescued = on_rescued

    async def rescue_expired_leases(self) -> list[str]:
        ctx = self.ctx
        async with ctx.db.write() as conn:
            rescued = await task_store.expire_leases(conn, now=ctx.clock.now(), actor=ctx.daemon_id)
        for task_id in rescued:
            self.log.warning("task transition", task_id=task_id, from_status="submitting", to_status="pending",
                             message="lease expired")
        if rescued and callable(self._on_rescued):
            self._on_rescued()
        return rescued

    async def heartbeat(self, status: str = "running") -> None:
        async with self.ctx.db.write() as conn:
            await daemon_store.heartbeat(conn, self.ctx.daemon_id, now=self.ctx.clock.now(), status=status)

    async def run(self, stopping: anyio.Event) -> None:
        knobs = self.ctx.knobs
        interval = min(knobs.janitor_interval, knobs.heartbeat_interval)
        while not stopping.is_set():
            try:
                await self.heartbeat()
                await self.rescue_expired_leases()
            except Exception:  # the next round retries; a stale heartbeat shows in health checks
                self.log.exception("janitor round failed")
            with anyio.move_on_after(interval):
                await stopping.wait()
