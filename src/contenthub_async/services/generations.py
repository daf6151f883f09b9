"""Sync creator mode (``CREATOR_MODE=sync``): each generation runs in a content-creator process
of this daemon, from start to article, with no content-creator queue and no polling.

The dispatcher claims as in async mode (``pending → submitting`` under this daemon's lease)
and hands each task to :meth:`Generations.run`: the task becomes ``processing``, *keeping the
lease*, and one :meth:`Creator.generate` call runs the whole generation under the creator
guard (the process group dies with this daemon, even of SIGKILL). Meanwhile the service round
(:meth:`Generations.run_once`) keeps watch over every running generation of this daemon: it
renews their leases in one statement every third of ``CONTENTHUB_LEASE_SECONDS`` and, woken by
the daemon's :class:`Wakeup`, reads whether an operator asked to cancel one or whether one was
lost (its lease expired and the task went back to the queue).

How a generation ends:

- an article: finished in the one transaction of :func:`finish_task`, only while this daemon
  still holds the task;
- the creator reports a failed generation, prints garbage, or cannot start: a failed attempt
  (retry with backoff, or ``failed``);
- ``ASYNC_TASK_TIMEOUT`` passes: the process group is stopped (TERM, grace, KILL), then
  ``timeout`` or a retry;
- cancel requested: the process group is stopped and the task ``cancelled``;
- the daemon stops past its grace period: the process group is stopped and the task goes
  back to ``pending`` (at-least-once: the generation runs again from the start);
- the lease was lost: the process group is stopped and nothing is written (the task is the
  queue's again);
- the daemon dies: the guard kills the process group; the lease expires and the janitor of
  any daemon puts the task back to ``pending``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

import anyio

from contenthub_async.creator.port import CreateRequest, CreatorError, CreatorErrorKind, CreatorResult
from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import ServiceContext, log_transition
from contenthub_async.services.failures import record_failed_attempt
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.results import finish_task
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.store import tasks as task_store

S = TaskStatus
PROGRESS_RUNNING = 50
#: Without a wake-up, look for cancel requests this often (seconds).
WATCH_INTERVAL = 1.0
#: Bound on the database work that records how a stopped generation ended.
SETTLE_TIMEOUT_SECONDS = 10.0


class StopReason(StrEnum):
    CANCEL_REQUESTED = "cancel_requested"
    LEASE_LOST = "lease_lost"


@dataclass
class _Run:
    """One running generation: the scope that stops it, and why it was stopped."""

    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    stopped: StopReason | None = None

    def stop(self, reason: StopReason) -> None:
        if self.stopped is None:
            self.stopped = reason
            self.scope.cancel()


def create_request_for(task: Task) -> CreateRequest:
    """What content-creator is asked to generate for ``task`` (both modes)."""
    return CreateRequest(
        topic=task.topic,
        requirements=task.requirements,
        keywords=task.keywords,
        category=task.category,
        tone=task.tone,
        priority=task.priority,
    )


class Generations:
    """The sync-mode generations of this daemon: :meth:`run` drives one to its end,
    :meth:`run_once` renews their leases and stops the cancelled or lost ones."""

    name = "generations"

    def __init__(self, ctx: ServiceContext, wakeup: Wakeup) -> None:
        self.ctx = ctx
        self.wakeup = wakeup
        self.log = ctx.log.bind(component=self.name)
        self._running: dict[int, _Run] = {}  # task pk → its run
        self._renew_at = 0.0  # anyio clock

    @property
    def running(self) -> int:
        """Generations of this daemon running now."""
        return len(self._running)

    @property
    def renew_interval(self) -> float:
        return self.ctx.knobs.lease_seconds / 3

    # -- the watch ----------------------------------------------------------------

    async def run_once(self) -> float | None:
        """Renew the leases when due (else only read them); stop what was cancelled or lost."""
        if not self._running:
            return None
        ctx = self.ctx
        pks = list(self._running)
        now = anyio.current_time()
        if now >= self._renew_at:
            async with ctx.db.write() as conn:
                held, cancel_requested = await task_store.renew_leases(
                    conn, pks, owner=ctx.daemon_id, now=ctx.clock.now(), lease_seconds=ctx.knobs.lease_seconds
                )
            self._renew_at = now + self.renew_interval
        else:
            async with ctx.db.read() as conn:
                held, cancel_requested = await task_store.leases_held(conn, pks, owner=ctx.daemon_id)
        for pk in pks:
            run = self._running.get(pk)
            if run is None:
                continue  # ended meanwhile
            if pk not in held:
                run.stop(StopReason.LEASE_LOST)
            elif pk in cancel_requested:
                run.stop(StopReason.CANCEL_REQUESTED)
        return min(WATCH_INTERVAL, max(0.0, self._renew_at - anyio.current_time()))

    async def watch(self, stopping: anyio.Event) -> None:
        await ServiceLoop(self, interval=WATCH_INTERVAL, log=self.log, wakeup=self.wakeup).run(stopping)

    # -- one generation -----------------------------------------------------------------

    async def run(self, task: Task) -> None:
        """Run the generation of ``task`` (claimed by this daemon: ``submitting``, leased) to its end.

        When the caller is cancelled (the daemon stops), the process group is stopped and the
        task released to ``pending`` before the cancellation goes on.
        """
        ctx = self.ctx
        started = await self._start(task)
        if started is None:
            return
        run = _Run()
        self._running[task.id] = run
        self.wakeup.notify()  # the watch learns of it at once
        outcome: CreatorResult | CreatorError | None = None
        try:
            with run.scope:
                deadline = anyio.current_time() + ctx.knobs.task_timeout
                try:
                    outcome = await ctx.creator.generate(create_request_for(task), deadline=deadline)
                except CreatorError as error:
                    outcome = error
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True), anyio.move_on_after(SETTLE_TIMEOUT_SECONDS):
                await self._release(started)
            raise
        finally:
            del self._running[task.id]
        with anyio.CancelScope(shield=True), anyio.move_on_after(SETTLE_TIMEOUT_SECONDS):
            await self._settle(started, run.stopped, outcome)

    async def _start(self, task: Task) -> Task | None:
        """``submitting → processing``, keeping the lease; None when it cannot start."""
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.write() as conn:
            moved = await task_store.transition(
                conn, task, S.PROCESSING, now=now, actor=ctx.daemon_id, lease_owner=ctx.daemon_id,
                unless_cancel_requested=True,
                note=Note("task.running_here"),
                values={
                    "submitted_at": now,
                    "started_at": now,
                    "timeout_at": now + timedelta(seconds=ctx.knobs.task_timeout),
                    "progress": PROGRESS_RUNNING,
                    "lease_expires_at": now + timedelta(seconds=ctx.knobs.lease_seconds),
                },
            )
        if moved is not None:
            log_transition(self.log, task, moved)
            return moved
        await self._release(task)  # cancel requested meanwhile (or the lease is gone: nothing to do)
        return None

    async def _settle(self, task: Task, stopped: StopReason | None, outcome: CreatorResult | CreatorError | None) -> None:
        """Record how the generation of ``task`` (``processing``, ours) ended."""
        ctx = self.ctx
        if stopped is StopReason.LEASE_LOST:
            self.log.warning("lease lost; generation stopped, the task is the queue's again", task_id=task.task_id)
            return
        if stopped is StopReason.CANCEL_REQUESTED:
            await self._release(task, cancel_note=Note("task.cancelled_process_stopped"))
            return
        if isinstance(outcome, CreatorResult):
            if await finish_task(ctx, task, outcome, lease_owner=ctx.daemon_id) is None:
                await self._release(task, cancel_note=Note("task.cancelled_result_discarded"))
            return
        assert isinstance(outcome, CreatorError)
        self.log.warning("generation failed", task_id=task.task_id, kind=outcome.kind.value, error=str(outcome))
        if outcome.kind is CreatorErrorKind.TIMEOUT:
            error = Note("error.generation_timed_out", {"seconds": f"{ctx.knobs.task_timeout:g}"})
            await record_failed_attempt(ctx, task, error, retryable=True, outcome=S.TIMEOUT, lease_owner=ctx.daemon_id)
        else:
            error = Note("error.generation_failed", {"kind": outcome.kind.value, "detail": outcome.note})
            await record_failed_attempt(ctx, task, error, retryable=outcome.retryable, lease_owner=ctx.daemon_id)

    async def _release(self, task: Task, *, cancel_note: Note | None = None) -> None:
        """Let go of a task this daemon holds: ``cancelled`` when an operator asked for it, else
        back to ``pending`` (the daemon is stopping). Nothing when it is no longer ours."""
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.write() as conn:
            current = await task_store.get_task_by_pk(conn, task.id)
            if current is None or current.status != task.status or current.lease_owner != ctx.daemon_id:
                return
            if current.cancel_requested_at is not None:
                target, note = S.CANCELLED, cancel_note or Note("task.cancelled_at_shutdown")
                values = {"completed_at": now}
            else:
                target, note = S.PENDING, Note("task.generation_released_at_shutdown")
                values = {**task_store.ATTEMPT_CLEARED, "run_after": now}
            moved = await task_store.transition(
                conn, current, target, now=now, actor=ctx.daemon_id, lease_owner=ctx.daemon_id,
                note=note, values=values,
            )
        if moved is not None:
            log_transition(self.log, task, moved)
