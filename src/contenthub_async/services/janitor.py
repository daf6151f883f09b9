"""Janitor: heartbeat of this daemon, and rescue of work whose owner died.

Each round (guarantees in ``domain/liveness.py`` and ``domain/rescue.py``):

1. heartbeat, in database time, in a transaction that wakes none of this daemon's loops
   (``ServiceContext.write_unheard``); a daemon that finds itself marked ``dead`` (another daemon
   took it for dead and took over its work) stops (``on_declared_dead``);
2. take over the work of dead daemons at once (``services/takeover.py``): on the same host a
   crashed daemon is dead as soon as its process is gone; elsewhere after
   ``DEAD_AFTER_HEARTBEATS`` silent heartbeat intervals — the round after that moment comes
   early to catch it;
3. fallbacks for what no live daemon row accounts for: leased tasks (``submitting``, and
   ``processing`` in sync creator mode) and ``publishing`` pool entries whose own lease expired,
   and ``running`` job runs of unknown, stopped or silent daemons. One read first says whether
   there is any: a round with nothing to rescue writes only its heartbeat.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import anyio

from contenthub_async import telemetry
from contenthub_async.domain.liveness import DEAD_AFTER_HEARTBEATS, Here
from contenthub_async.domain.vocabulary import DaemonStatus
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.takeover import Takeover, take_over_dead
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store

#: The earliest a round comes after the previous one (when waiting for a silent daemon).
MIN_ROUND_SECONDS = 0.05


class Janitor:
    name = "janitor"

    def __init__(
        self,
        ctx: ServiceContext,
        here: Here,
        on_rescued: Callable[[], None] | None = None,
        on_declared_dead: Callable[[], None] | None = None,
    ) -> None:
        """``on_rescued``: called when work went back to the queue (the dispatcher may claim);
        ``on_declared_dead``: called when the heartbeat finds this daemon's row gone or marked
        dead (it must stop; the daemon says why)."""
        self.ctx = ctx
        self.here = here
        self.log = ctx.log.bind(component=self.name)
        self._on_rescued = on_rescued
        self._on_declared_dead = on_declared_dead

    @property
    def interval(self) -> float:
        knobs = self.ctx.knobs
        return min(knobs.janitor_interval, knobs.heartbeat_interval)

    async def run_once(self) -> float | None:
        if await self.heartbeat():
            telemetry.HEARTBEAT.set_to_current_time()
        else:  # the daemon says why (taken for dead, or its database file replaced) and stops
            if self._on_declared_dead is not None:
                self._on_declared_dead()
            return None
        takeover = await self.take_over_dead()
        leases_expired, runs_orphaned = await self.rescues_waiting()
        if leases_expired:
            await self.rescue_expired_leases()
        if runs_orphaned:
            await self.rescue_orphaned_runs()
        if takeover.next_due is not None and takeover.next_due < self.interval:
            return max(takeover.next_due, MIN_ROUND_SECONDS)
        return None

    async def run(self, stopping: anyio.Event) -> None:
        await ServiceLoop(self, interval=self.interval, log=self.log).run(stopping)

    async def heartbeat(self, status: DaemonStatus = DaemonStatus.RUNNING) -> bool:
        """Beat in database time; False when this daemon's row says it is dead."""
        async with self.ctx.write_unheard() as conn:
            now = await daemon_store.database_now(conn)
            return await daemon_store.heartbeat(conn, self.ctx.daemon_id, now=now, status=status)

    async def take_over_dead(self) -> Takeover:
        takeover = await take_over_dead(self.ctx.db, self.here, actor=self.ctx.daemon_id)
        for daemon_id, cause in takeover.dead.items():
            self.log.warning("daemon taken for dead; its work taken over", dead_daemon_id=daemon_id,
                             cause=cause.value, **{k: v for k, v in takeover.handed_back.items() if v})
        if takeover.anything and self._on_rescued is not None:
            self._on_rescued()
        return takeover

    async def rescues_waiting(self) -> tuple[bool, bool]:
        """Whether a task's or pool entry's lease expired, and whether a job run's daemon is
        gone (one read transaction)."""
        ctx = self.ctx
        async with ctx.db.read() as conn:
            now = ctx.clock.now()
            leases_expired = await task_store.any_lease_expired(conn, now=now) or await pool_store.any_lease_expired(
                conn, now=now)
            runs_orphaned = await job_store.any_run_of_dead_daemons(
                conn, stale_before=self._stale_before(await daemon_store.database_now(conn)))
        return leases_expired, runs_orphaned

    async def rescue_expired_leases(self) -> list[str]:
        ctx = self.ctx
        async with ctx.db.write() as conn:
            rescued = await task_store.expire_leases(conn, now=ctx.clock.now(), actor=ctx.daemon_id)
            entries = await pool_store.expire_leases(conn, now=ctx.clock.now(), actor=ctx.daemon_id)
        for task_id in rescued:
            self.log.warning("task transition", task_id=task_id, to_status="pending", message="lease expired")
        for pool_id in entries:
            self.log.warning("publish transition", pool_id=pool_id, from_status="publishing", to_status="pending",
                             message="lease expired")
        if entries and self._on_rescued is not None:
            self._on_rescued()
        if rescued and self._on_rescued is not None:
            self._on_rescued()
        return rescued

    async def rescue_orphaned_runs(self) -> list[int]:
        """``running`` job runs of daemons that stopped, are unknown or whose heartbeat is stale
        → ``pending``."""
        ctx = self.ctx
        async with ctx.db.write() as conn:
            stale_before = self._stale_before(await daemon_store.database_now(conn))
            rescued = await job_store.requeue_runs_of_dead_daemons(conn, stale_before=stale_before)
        for run_id in rescued:
            self.log.warning("job run requeued: its daemon is gone", run_id=run_id)
        if rescued and self._on_rescued is not None:
            self._on_rescued()
        return rescued

    def _stale_before(self, database_now: datetime) -> datetime:
        """A daemon that last beat before this is silent (in database time)."""
        return database_now - timedelta(seconds=DEAD_AFTER_HEARTBEATS * self.ctx.knobs.heartbeat_interval)
