"""Dispatcher: claims pending tasks up to the free slots and hands each to content-creator.

Async mode: one ``create`` call per task. Only ``submitting`` holds a lease. A ``create`` that
fails puts the task back (retry with backoff) or fails it; a ``create`` still running when the
daemon stops past its grace period is killed and the task released to ``pending`` (the creator
may keep an orphan: the at-least-once window).

Sync mode (``CREATOR_MODE=sync``): each claimed task is handed to :class:`Generations`, which
runs the whole generation in a process of this daemon; this daemon never claims more than
``CONTENTHUB_CREATOR_MAX_PROCESSES`` such tasks at once.
"""

from __future__ import annotations

from datetime import timedelta

import anyio
import anyio.abc

from contenthub_async import telemetry
from contenthub_async.creator.port import CreatorError
from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import CreatorMode
from contenthub_async.services.context import ServiceContext, log_transition
from contenthub_async.services.failures import record_failed_attempt
from contenthub_async.services.generations import Generations, create_request_for
from contenthub_async.services.loop import ServiceLoop, release_on_stop
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.store import tasks as task_store

S = TaskStatus
IDLE_RECHECK_SECONDS = 1.0  # re-check even without a wake-up (backoff deadlines, other daemons)
RELEASE_TIMEOUT_SECONDS = 5.0


class Dispatcher:
    """Claims due tasks into free slots (``run_once``) and runs each ``create`` call as a child
    task that outlives the round; woken by the daemon's :class:`Wakeup` when work arrives."""

    name = "dispatcher"

    def __init__(self, ctx: ServiceContext, wakeup: Wakeup) -> None:
        """``wakeup``: what wakes the claims, notified here too when a slot frees (the daemon
        gives its ``claims`` wake-up, narrower than the one of every change)."""
        self.ctx = ctx
        self.wakeup = wakeup
        self.log = ctx.log.bind(component=self.name)
        self.sync_mode = ctx.knobs.creator_mode is CreatorMode.SYNC
        self.generations = Generations(ctx, wakeup.narrower())  # where claimed tasks go in sync mode
        self._in_progress = 0
        self._submissions: anyio.abc.TaskGroup | None = None

    async def claim_once(self) -> list[Task]:
        """One claim transaction: as many due tasks as there are free slots (in sync mode, also
        no more than this daemon's free creator processes)."""
        ctx = self.ctx
        local_free = ctx.knobs.max_creator_processes - self._in_progress if self.sync_mode else None
        if local_free is not None and local_free <= 0:
            return []
        async with ctx.db.write() as conn:
            await task_store.lock_claims(conn)
            free = ctx.knobs.max_concurrent_tasks - await task_store.count_in_flight(conn)
            if local_free is not None:
                free = min(free, local_free)
            if free <= 0:
                return []
            return await task_store.claim_tasks(
                conn, owner=ctx.daemon_id, limit=free, now=ctx.clock.now(), lease_seconds=ctx.knobs.lease_seconds
            )

    async def run_once(self) -> float | None:
        """Claim what fits and start its submissions; at once again when something was claimed
        (there may be more free slots and due tasks), else after a short idle re-check."""
        assert self._submissions is not None, "run_once runs inside run()"
        claimed = await self.claim_once()
        telemetry.CLAIMS.inc(len(claimed))
        for task in claimed:
            self.log.info("task transition", task_id=task.task_id, from_status="pending",
                          to_status="submitting", priority=task.priority)
            self._in_progress += 1  # counted from the claim: the next claim sees the slot taken
            self._submissions.start_soon(self._submit, task)
        return 0 if claimed else IDLE_RECHECK_SECONDS

    async def run(self, stopping: anyio.Event) -> None:
        """Claim and submit until ``stopping``; then let in-flight creates finish within the
        grace period and release the rest. In sync mode the generations are watched (leases
        renewed, cancel requests noticed) until the last one has ended."""
        watched = anyio.Event()
        async with anyio.create_task_group() as watch:
            if self.sync_mode:
                watch.start_soon(self.generations.watch, watched)
            try:
                async with anyio.create_task_group() as submissions:
                    self._submissions = submissions
                    await ServiceLoop(self, interval=IDLE_RECHECK_SECONDS, log=self.log, wakeup=self.wakeup).run(stopping)
                    self.log.info("dispatcher stopping", in_progress=self._in_progress)
                    submissions.cancel_scope.deadline = anyio.current_time() + self.ctx.knobs.shutdown_grace
            finally:
                watched.set()
                self._submissions = None

    async def _submit(self, task: Task) -> None:
        ctx = self.ctx
        try:
            if self.sync_mode:
                await self.generations.run(task)
                return
            try:
                creator_task_id = await ctx.creator.create(create_request_for(task))
            except CreatorError as error:
                self.log.warning("create failed", task_id=task.task_id, kind=error.kind.value, error=str(error))
                await record_failed_attempt(
                    ctx, task, Note("error.create_failed", {"kind": error.kind.value, "detail": error.note}), retryable=error.retryable,
                    lease_owner=ctx.daemon_id,
                )
                return
            await self._record_submitted(task, creator_task_id)
        except anyio.get_cancelled_exc_class():
            await release_on_stop(lambda: self._release(task), timeout=RELEASE_TIMEOUT_SECONDS, log=self.log,
                                  what="the task's lease", task_id=task.task_id)
            raise
        except Exception:
            # E.g. the database failed while recording the outcome: the lease expires and the
            # janitor puts the task back in the queue (the documented at-least-once window).
            self.log.exception("submission failed; the lease will expire", task_id=task.task_id)
        finally:
            self._in_progress -= 1
            self.wakeup.notify()

    async def _record_submitted(self, task: Task, creator_task_id: str) -> None:
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.write() as conn:
            moved = await task_store.transition(
                conn, task, S.SUBMITTED, now=now, actor=ctx.daemon_id, lease_owner=ctx.daemon_id,
                note=Note("task.accepted", {"creator_task_id": creator_task_id}),
                values={
                    "creator_task_id": creator_task_id,
                    "submitted_at": now,
                    "timeout_at": now + timedelta(seconds=ctx.knobs.task_timeout),
                    "progress": 10,
                },
            )
        if moved is None:
            # Our lease expired and the task went back to the queue: this creator task is an orphan.
            self.log.warning("lease lost during create; cancelling orphan", task_id=task.task_id,
                             creator_task_id=creator_task_id)
            try:
                await ctx.creator.cancel(creator_task_id)
            except CreatorError:
                pass
            return
        log_transition(self.log, task, moved, creator_task_id=creator_task_id)

    async def _release(self, task: Task) -> None:
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.write() as conn:
            current = await task_store.get_task_by_pk(conn, task.id)
            if current is None or current.status != S.SUBMITTING:
                return
            if current.cancel_requested_at is not None:
                target, note, values = S.CANCELLED, Note("task.cancelled_at_shutdown"), {"completed_at": now}
            else:
                target, note, values = S.PENDING, Note("task.released_at_shutdown"), {"run_after": now}
            moved = await task_store.transition(
                conn, current, target, now=now, actor=ctx.daemon_id, lease_owner=ctx.daemon_id,
                note=note, values=values,
            )
        if moved is not None:
            log_transition(self.log, task, moved)
