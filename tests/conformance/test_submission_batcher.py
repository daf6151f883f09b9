"""Conformance, group commit of single submissions (services/submission_batcher.py): concurrent
submissions share a transaction, and each keeps its own outcome, on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from contenthub_async.clock import ManualClock
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.errors import InactiveAccount, UnknownAccount
from contenthub_async.services.submission_batcher import SubmissionBatcher
from contenthub_async.services.task_commands import Accepted, submit_once
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.connection import Connection
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks, idempotency_keys, task_events
from tests.conformance.support import add_account


async def _rows(db: Database) -> tuple[int, int, int]:
    """(tasks, their events, idempotency keys)."""
    async with db.read() as conn:
        counts = [(await conn.execute(select(func.count()).select_from(table))).scalar_one()
                  for table in (content_generation_tasks, task_events, idempotency_keys)]
    return counts[0], counts[1], counts[2]


async def _answers(batcher: SubmissionBatcher, *submissions: tuple[NewTask, str | None]) -> list[Accepted | BaseException]:
    """Every submission at once, as concurrent requests make them; each one's answer or error."""
    return await asyncio.gather(*(batcher.submit(task, idempotency_key=key) for task, key in submissions),
                                return_exceptions=True)


async def test_concurrent_submissions_commit_together_as_distinct_rows(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    batcher = SubmissionBatcher(db, clock=clock, actor="http")
    answers = await _answers(batcher, *((NewTask(account_id=account, topic=f"t{i}", priority=i % 11), None)
                                        for i in range(40)))
    assert all(isinstance(a, Accepted) and not a.replayed for a in answers)
    ids = [a.task_id for a in answers if isinstance(a, Accepted)]
    assert len(set(ids)) == 40
    assert sum(batcher.batch_sizes) == 40 and max(batcher.batch_sizes) > 1  # fewer transactions than submissions
    assert await _rows(db) == (40, 40, 0)
    async with db.read() as conn:
        for i, task_id in enumerate(ids):  # each answer names its own row
            task = await task_store.get_task(conn, task_id)
            assert task is not None and (task.topic, task.priority) == (f"t{i}", i % 11)


async def test_a_refused_account_refuses_only_its_own_submission(db: Database, clock: ManualClock) -> None:
    good = await add_account(db, clock, "good")
    off = await add_account(db, clock, "off")
    async with db.write() as conn:
        assert await account_store.set_account_active(conn, off, False, now=clock.now())
    batcher = SubmissionBatcher(db, clock=clock, actor="http")
    answers = await _answers(batcher, (NewTask(account_id=good, topic="a"), None),
                             (NewTask(account_id=999, topic="b"), None), (NewTask(account_id=off, topic="c"), "k-off"),
                             (NewTask(account_id=good, topic="d"), "k-good"))
    assert isinstance(answers[1], UnknownAccount) and isinstance(answers[2], InactiveAccount)
    assert isinstance(answers[0], Accepted) and isinstance(answers[3], Accepted)
    assert list(batcher.batch_sizes) == [4]
    assert await _rows(db) == (2, 2, 1)  # the refused key was not stored


async def test_a_row_the_database_refuses_fails_alone(db: Database, clock: ManualClock) -> None:
    """A row that breaks a constraint fails the shared transaction; each submission is then
    committed on its own, so only that one is refused."""
    account = await add_account(db, clock)
    batcher = SubmissionBatcher(db, clock=clock, actor="http")
    answers = await _answers(batcher, (NewTask(account_id=account, topic="a"), "k1"),
                             (NewTask(account_id=account, topic="b", priority=99), None),  # past the CHECK
                             (NewTask(account_id=account, topic="c"), None))
    assert isinstance(answers[1], IntegrityError)
    assert isinstance(answers[0], Accepted) and isinstance(answers[2], Accepted)
    assert await _rows(db) == (2, 2, 1)


async def test_repeated_idempotency_keys_in_one_batch_insert_one_row(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    earlier = await submit_once(db, NewTask(account_id=account, topic="earlier"), idempotency_key="old",
                                clock=clock, actor="http")
    batcher = SubmissionBatcher(db, clock=clock, actor="http")
    answers = await _answers(batcher, *((NewTask(account_id=account, topic=f"same {i}"), "same") for i in range(3)),
                             (NewTask(account_id=account, topic="again"), "old"),
                             (NewTask(account_id=account, topic="other"), "other"))
    accepted = [a for a in answers if isinstance(a, Accepted)]
    assert len(accepted) == 5 and list(batcher.batch_sizes) == [5]
    same = accepted[:3]
    assert len({a.task_id for a in same}) == 1 and [a.replayed for a in same] == [False, True, True]
    assert (accepted[3].task_id, accepted[3].replayed) == (earlier.task_id, True)
    assert not accepted[4].replayed
    assert await _rows(db) == (3, 3, 3)  # earlier, same, other
    async with db.read() as conn:
        task = await task_store.task_of_idempotency_key(conn, "same")
        assert task is not None and (task.task_id, task.topic) == (same[0].task_id, "same 0")


class _FirstCommitFails:
    """The real database, whose first write transaction runs its statements and then fails
    instead of committing (rolled back), as a commit that fails on a lost connection or a full disk."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.failed = False

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        async with self.db.write() as conn:
            yield conn
            if not self.failed:
                self.failed = True
                raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


async def test_a_failed_commit_fails_its_batch_and_writes_nothing_twice(db: Database, clock: ManualClock) -> None:
    """A commit that fails may have taken effect: the batch is not written again on its own."""
    account = await add_account(db, clock)
    failing = _FirstCommitFails(db)
    batcher = SubmissionBatcher(cast(Database, failing), clock=clock, actor="http")
    answers = await _answers(batcher, *((NewTask(account_id=account, topic=f"t{i}"), None) for i in range(3)))
    assert failing.failed and all(isinstance(a, OperationalError) for a in answers)
    assert await _rows(db) == (0, 0, 0)
    [after] = await _answers(batcher, (NewTask(account_id=account, topic="after"), None))
    assert isinstance(after, Accepted) and await _rows(db) == (1, 1, 0)


@pytest.mark.parametrize("size", [1, 3])
async def test_batches_are_capped(db: Database, clock: ManualClock, size: int) -> None:
    account = await add_account(db, clock)
    batcher = SubmissionBatcher(db, clock=clock, actor="http", max_batch=size)
    answers = await _answers(batcher, *((NewTask(account_id=account, topic=f"t{i}"), None) for i in range(7)))
    assert all(isinstance(a, Accepted) for a in answers)
    assert max(batcher.batch_sizes) <= size and sum(batcher.batch_sizes) == 7
    assert await _rows(db) == (7, 7, 0)
