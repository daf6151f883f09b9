"""Group commit of single submissions: concurrent ``POST /api/v1/content/generate/async``
requests share one write transaction.

One transaction per request costs a dozen round trips to the database thread (SQLite) or the
server, and on SQLite every write transaction queues for the one write lock: that, not the
HTTP layer, bounds how many single submissions a second a daemon takes. The batcher queues
each submission and answers it when the transaction holding it has committed. A batch is
what arrived while the previous one was being committed (at most :data:`MAX_BATCH`), plus
whatever arrives within ``window`` seconds of its first submission: under a light load a
submission is committed at once, under a heavy one the batches grow by themselves.

Each submission keeps its own outcome:

* a refused account refuses only its own submissions;
* an idempotency key already stored returns its first task (``replayed``), and a key that
  appears several times in one batch is inserted once: the later uses return the first's task;
* when a statement of the shared transaction fails (a key another daemon stored meanwhile
  violates its primary key, a bad row), every submission of the batch is committed again on
  its own, so a failure fails only its submission; when the commit itself fails, whether it
  took effect is unknown, and every submission of the batch gets that error (nothing is
  written twice).

A submission is answered only after the commit that holds it: nothing answered is lost.

The shared transactions are opened by ``write_new_tasks`` (default: ``db.write``); the daemon
gives the change source's ``new_task_writes``, whose commits wake only the dispatcher
(services/wakeup.py). A batch runs prepared statements only (``store/prepared.py``), so on
SQLite it runs on that source's standard-library connection.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import structlog

from contenthub_async import telemetry
from contenthub_async.clock import Clock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.task_commands import Accepted, account_refusal, submit_once, submit_tasks
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.prepared import PreparedConnection

log = structlog.get_logger("contenthubd.submissions")

#: Most submissions one transaction commits.
MAX_BATCH = 256


@dataclass
class _Waiting:
    task: NewTask
    idempotency_key: str | None
    answer: asyncio.Future[Accepted] = field(repr=False)


@dataclass
class _Written:
    """Whether every statement of a batch ran (a failure after that is the commit's own)."""

    all: bool = False


class SubmissionBatcher:
    """Commits the submissions given to :meth:`submit` together (module docstring)."""

    def __init__(self, db: Database, *, clock: Clock, actor: str, window: float = 0.0,
                 max_batch: int = MAX_BATCH,
                 write_new_tasks: Callable[[], AbstractAsyncContextManager[PreparedConnection]] | None = None,
                 ) -> None:
        self._db = db
        self._write_new_tasks = write_new_tasks or db.write
        self._clock = clock
        self._actor = actor
        self._window = window
        self._max_batch = max_batch
        self._queue: list[_Waiting] = []
        self._committer: asyncio.Task[None] | None = None
        #: sizes of the latest batches (also ``contenthub_submission_batch_size`` in /metrics)
        self.batch_sizes: deque[int] = deque(maxlen=1024)

    async def submit(self, task: NewTask, *, idempotency_key: str | None = None) -> Accepted:
        """The task queued (or the first task of its idempotency key), once committed."""
        waiting = _Waiting(task, idempotency_key, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_queued(), name="submission-batcher")
        # A request that stops waiting (its client went away) does not stop the commit of the
        # others: the committer is a task of its own, and the answer is then simply unread.
        return await asyncio.shield(waiting.answer)

    async def _commit_queued(self) -> None:
        await asyncio.sleep(self._window)  # 0: the submissions already on their way join this batch
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            self.batch_sizes.append(len(batch))
            telemetry.SUBMISSION_BATCH_SIZE.observe(len(batch))
            try:
                await self._commit(batch)
            except BaseException:  # cancelled as the daemon stops: no one waits for an answer forever
                for waiting in [*batch, *self._queue]:
                    if not waiting.answer.done():
                        waiting.answer.cancel()
                self._queue = []
                raise

    async def _commit(self, batch: Sequence[_Waiting]) -> None:
        written = _Written()
        try:
            outcomes = await self._commit_together(batch, written)
        except Exception as exc:  # noqa: BLE001 - answered below, one way or the other
            if written.all:
                # The statements ran and the commit itself failed: whether it took effect is
                # unknown, so nothing is written again (a client may retry, with its key).
                outcomes = [exc] * len(batch)
            else:
                if len(batch) > 1:
                    log.info("a batch of submissions failed: committing each on its own", size=len(batch),
                             error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                outcomes = [await self._commit_alone(waiting) for waiting in batch]
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(outcome, Exception):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)

    async def _commit_together(self, batch: Sequence[_Waiting], written: _Written) -> list[Accepted | Exception]:
        outcomes: list[Accepted | Exception | None] = [None] * len(batch)
        keys = [w.idempotency_key for w in batch if w.idempotency_key is not None]
        async with self._write_new_tasks() as conn:
            earlier = await task_store.tasks_of_idempotency_keys(conn, keys) if keys else {}
            accounts = await account_store.get_accounts(conn, {w.task.account_id for w in batch})
            inserting: list[int] = []
            first_of_key: dict[str, int] = {}
            repeats: list[tuple[int, int]] = []  # (position, position of the first use of its key)
            for position, waiting in enumerate(batch):
                key = waiting.idempotency_key
                if key is not None and key in earlier:
                    outcomes[position] = Accepted.of_task(earlier[key], replayed=True)
                elif key is not None and key in first_of_key:
                    repeats.append((position, first_of_key[key]))
                elif (refusal := account_refusal(waiting.task.account_id,
                                                 accounts.get(waiting.task.account_id))) is not None:
                    outcomes[position] = refusal
                else:
                    inserting.append(position)
                    if key is not None:
                        first_of_key[key] = position
            now = self._clock.now()
            task_ids = await task_store.insert_tasks(conn, [batch[p].task for p in inserting], now=now,
                                                     actor=self._actor)
            id_at = dict(zip(inserting, task_ids, strict=True))
            if first_of_key:
                await task_store.record_idempotency_keys(
                    conn, [(key, id_at[position]) for key, position in first_of_key.items()], now=now)
            written.all = True  # what follows is the commit
        for position, task_id in id_at.items():
            outcomes[position] = _accepted(task_id, batch[position].task)
        for position, first in repeats:
            outcomes[position] = _accepted(id_at[first], batch[first].task, replayed=True)
        assert all(outcome is not None for outcome in outcomes)
        return [outcome for outcome in outcomes if outcome is not None]

    async def _commit_alone(self, waiting: _Waiting) -> Accepted | Exception:
        try:
            if waiting.idempotency_key is not None:
                return await submit_once(self._db, waiting.task, idempotency_key=waiting.idempotency_key,
                                         clock=self._clock, actor=self._actor)
            [task_id] = await submit_tasks(self._db, [waiting.task], clock=self._clock, actor=self._actor)
            return _accepted(task_id, waiting.task)
        except Exception as exc:  # noqa: BLE001 - this submission's own answer
            return exc


def _accepted(task_id: str, task: NewTask, *, replayed: bool = False) -> Accepted:
    return Accepted(task_id, TaskStatus.PENDING, task.account_id, task.priority, task.auto_approve, task.max_retries,
                    replayed)
