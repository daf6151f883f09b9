"""Tracker: follows every task content-creator owns until it ends.

One cycle every ASYNC_POLL_INTERVAL, run by one daemon at a time: the holder of a term of the
``tracker`` lease (``services/leadership.py``), renewed in database time while the cycle runs
and confirmed between its phases; a cycle whose term cannot be kept is aborted, so a cycle
longer than the term never overlaps another daemon's. Phases:

1. cancel requests: best-effort creator cancel, then ``cancelled`` (no content, ever);
   the cancels run at once (up to ``APPLY_CONCURRENCY``), each bounded by the creator's call
   timeout, so a hung ``cancel`` holds up neither the others nor the cycle beyond that timeout;
2. ONE ``list --json`` call for all in-flight tasks; ``status`` only for ids it missed;
3. running → ``processing``; completed → result → finish (one transaction);
   failed / cancelled at the creator / lost → retry with backoff, or ``failed``;
   a ``result`` call that hangs or answers garbage is tried again next cycle, its cause kept
   as the task's last error;
4. past ``timeout_at``: best-effort cancel, then retry or ``timeout`` (at once, as the cancels),
   with the cause of this attempt's failed ``result`` calls, if any, as the error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import anyio

from contenthub_async import telemetry
from contenthub_async.creator.port import CreatorError, CreatorErrorKind, CreatorStatus, CreatorTaskState
from contenthub_async.domain.entities import Task
from contenthub_async.domain.notes import Note
from contenthub_async.domain.rescue import tracker_term_seconds
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import ServiceContext, log_transition
from contenthub_async.services.failures import record_failed_attempt
from contenthub_async.services.leadership import LeadershipLost, Term
from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.results import finish_task
from contenthub_async.store import tasks as task_store

S = TaskStatus
LEASE_NAME = "tracker"
MAX_TRACKED_PER_CYCLE = 5000
PROGRESS_RUNNING = 50
#: States applied at once in a cycle. Each application is one write transaction (and, for a
#: finished task, a ``result`` call that waits for a creator process slot anyway); unbounded,
#: 1 000 tasks in flight would open as many database connections at the same moment.
APPLY_CONCURRENCY = 16


#: The error of a task whose ``result`` call failed this way (any other way: ``error.result_failed``).
RESULT_PROBLEMS = {CreatorErrorKind.TIMEOUT: "error.result_hung", CreatorErrorKind.UNPARSABLE: "error.result_unparsable"}


def _result_problem_of(task: Task) -> Note | None:
    """The failed ``result`` call recorded for the task's current attempt (its creator task id), if any."""
    note = task.error_note
    if note is None or note.code not in (*RESULT_PROBLEMS.values(), "error.result_failed"):
        return None
    return note if note.params.get("creator_task_id") == task.creator_task_id else None


async def _no_check() -> None:
    return None


async def _each(tasks: Iterable[Task], work: Callable[[Task], Awaitable[None]]) -> None:
    """``work`` for every task, ``APPLY_CONCURRENCY`` at a time; returns when all have ended."""
    limiter = anyio.CapacityLimiter(APPLY_CONCURRENCY)

    async def one(task: Task) -> None:
        async with limiter:
            await work(task)

    async with anyio.create_task_group() as group:
        for task in tasks:
            group.start_soon(one, task)


class Tracker:
    name = "tracker"

    def __init__(self, ctx: ServiceContext, on_slot_freed: Callable[[], None] | None = None) -> None:
        """``on_slot_freed``: called when a task left the creator (the dispatcher may claim)."""
        self.ctx = ctx
        self.log = ctx.log.bind(component=self.name)
        self._on_slot_freed = on_slot_freed
        knobs = ctx.knobs
        self.term = Term(ctx.db, LEASE_NAME, owner=ctx.daemon_id, log=self.log, unheard_writes=ctx.write_unheard,
                         seconds=tracker_term_seconds(poll_interval=knobs.poll_interval,
                                                      heartbeat_interval=knobs.heartbeat_interval))

    async def run_once(self) -> float | None:
        try:
            await self.cycle_if_leader()
        except CreatorError as error:
            self.log.warning("tracking cycle aborted", error=str(error))
        return None

    async def run(self, stopping: anyio.Event) -> None:
        """A cycle every ASYNC_POLL_INTERVAL until ``stopping``; the lease is released however
        the loop ends (a forced shutdown included)."""
        try:
            await ServiceLoop(self, interval=self.ctx.knobs.poll_interval, log=self.log).run(stopping)
        finally:
            await self._release_lease()

    async def cycle_if_leader(self) -> bool:
        """A cycle if this daemon holds (or gets) a term of the tracker lease; False if another does.

        With no task at content-creator there is nothing to cycle over: the term is only kept
        (renewed when due, not every poll), so an idle daemon does not write every poll interval,
        and its holder goes on reporting the queue's gauges."""
        async with self.ctx.db.read() as conn:
            idle = not await task_store.any_task_at_creator(conn)
        if idle:
            return await self.term.keep()
        if not await self.term.acquire():
            return False
        try:
            with telemetry.TRACKING_CYCLE_SECONDS.time():
                await self.term.run(lambda: self.cycle(between_phases=self.term.confirm))
        except LeadershipLost as lost:
            self.log.warning("tracking cycle aborted: its term ended", reason=str(lost))
        return True

    async def _release_lease(self) -> None:
        await self.term.release()

    async def cycle(self, between_phases: Callable[[], Awaitable[None]] = _no_check) -> None:
        """One tracking pass over every task at the creator; ``between_phases`` raises to stop it."""
        ctx = self.ctx
        async with ctx.db.read() as conn:
            cancels = await task_store.cancel_requests(conn)
        await _each(cancels, self._cancel)

        await between_phases()

        async with ctx.db.read() as conn:
            tracked = await task_store.tasks_at_creator(conn, limit=MAX_TRACKED_PER_CYCLE)
        tracked = [t for t in tracked if t.creator_task_id]
        if tracked:
            try:
                states = await self._fetch_states(tracked)
            except CreatorError as error:
                # content-creator unreachable: nothing to apply, but timeouts below still run.
                self.log.warning("cannot list content-creator tasks", error=str(error))
                states = {}

            async def apply(task: Task) -> None:
                await self._apply(task, states.get(task.creator_task_id or ""))

            await between_phases()
            await _each(tracked, apply)

        await between_phases()
        async with ctx.db.read() as conn:
            overdue = await task_store.due_timeouts(conn, now=ctx.clock.now())
        await _each(overdue, self._time_out)

    async def _fetch_states(self, tracked: list[Task]) -> dict[str, CreatorTaskState | CreatorError]:
        creator = self.ctx.creator
        limit = max(self.ctx.knobs.list_limit, 2 * len(tracked) + 10)
        listed = {state.creator_task_id: state for state in await creator.list_recent(limit)}
        states: dict[str, CreatorTaskState | CreatorError] = {}
        missing = [t.creator_task_id for t in tracked if t.creator_task_id not in listed]
        for task in tracked:
            if task.creator_task_id in listed:
                states[task.creator_task_id] = listed[task.creator_task_id]

        async def one(creator_task_id: str) -> None:
            try:
                states[creator_task_id] = await creator.status(creator_task_id)
            except CreatorError as error:
                states[creator_task_id] = error

        async with anyio.create_task_group() as group:
            for creator_task_id in missing:
                assert creator_task_id is not None
                group.start_soon(one, creator_task_id)
        return states

    async def _apply(self, task: Task, state: CreatorTaskState | CreatorError | None) -> None:
        if state is None:
            return
        if isinstance(state, CreatorError):
            if state.kind == CreatorErrorKind.UNKNOWN_TASK:
                await self._failed(
                    task, Note("error.creator_lost_task", {"creator_task_id": task.creator_task_id or "", "detail": state.note})
                )
            else:
                self.log.warning("status unavailable", task_id=task.task_id, error=str(state))
            return
        if state.status in (CreatorStatus.RUNNING, CreatorStatus.WAITING):
            await self._processing(task, state)
        elif state.status == CreatorStatus.COMPLETED:
            await self._completed(task)
        elif state.status == CreatorStatus.FAILED:
            await self._failed(
                task,
                Note("error.creator_failed", {"detail": state.error_message})
                if state.error_message else Note("error.creator_failed_silently"),
            )
        elif state.status == CreatorStatus.CANCELLED:
            await self._failed(task, Note("error.creator_cancelled"))

    async def _processing(self, task: Task, state: CreatorTaskState) -> None:
        if task.status != S.SUBMITTED:
            return
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.write() as conn:
            moved = await task_store.transition(
                conn, task, S.PROCESSING, now=now, actor=ctx.daemon_id, note=Note("task.running"),
                values={"started_at": state.started_at or now, "progress": PROGRESS_RUNNING},
            )
        if moved:
            log_transition(self.log, task, moved)

    async def _completed(self, task: Task) -> None:
        assert task.creator_task_id
        try:
            result = await self.ctx.creator.result(task.creator_task_id)
        except CreatorError as error:
            if error.kind == CreatorErrorKind.UNKNOWN_TASK:
                await self._failed(task, Note("error.creator_lost_result", {"creator_task_id": task.creator_task_id}))
            else:
                self.log.warning("result unavailable; will retry next cycle", task_id=task.task_id, error=str(error))
                await self._keep_result_problem(task, error)
            return
        finished = await finish_task(self.ctx, task, result)
        if finished:
            self._slot_freed()

    async def _keep_result_problem(self, task: Task, error: CreatorError) -> None:
        """The cause of a failed ``result`` call as the task's last error (quoted if it times out)."""
        assert task.creator_task_id
        problem = Note(RESULT_PROBLEMS.get(error.kind, "error.result_failed"),
                       {"creator_task_id": task.creator_task_id, "detail": error.note})
        if task.error_note == problem:
            return
        async with self.ctx.db.write() as conn:
            await task_store.record_error(conn, task, problem, now=self.ctx.clock.now())

    async def _failed(self, task: Task, error: Note) -> None:
        moved = await record_failed_attempt(self.ctx, task, error, retryable=True)
        if moved:
            self._slot_freed()

    async def _cancel(self, task: Task) -> None:
        ctx = self.ctx
        cancelled_there = False
        if task.creator_task_id:
            try:
                cancelled_there = await ctx.creator.cancel(task.creator_task_id)
            except CreatorError as error:
                self.log.warning("creator cancel failed", task_id=task.task_id, error=str(error))
        now = ctx.clock.now()
        note = Note("task.cancelled_by_operator" if cancelled_there else "task.cancelled_creator_kept_running")
        async with ctx.db.write() as conn:
            moved = await task_store.transition(
                conn, task, S.CANCELLED, now=now, actor=ctx.daemon_id, note=note, values={"completed_at": now}
            )
        if moved:
            log_transition(self.log, task, moved, note.english())
            self._slot_freed()

    async def _time_out(self, task: Task) -> None:
        ctx = self.ctx
        if task.creator_task_id:
            try:
                await ctx.creator.cancel(task.creator_task_id)
            except CreatorError as error:
                self.log.warning("creator cancel failed", task_id=task.task_id, error=str(error))
        timed_out = _result_problem_of(task) or Note(
            "error.timed_out", {"seconds": ctx.knobs.task_timeout, "creator_task_id": task.creator_task_id or ""})
        moved = await record_failed_attempt(ctx, task, timed_out, retryable=True, outcome=S.TIMEOUT)
        if moved:
            self._slot_freed()

    def _slot_freed(self) -> None:
        if self._on_slot_freed is not None:
            self._on_slot_freed()
