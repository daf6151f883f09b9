"""The tracking cycle against a misbehaving content-creator (the fake as a real subprocess, both
backends): hung ``cancel`` calls run side by side, so one holds up none of the others; a task
whose ``result`` call hangs or answers garbage says so, not only "timed out"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio
import pytest
import structlog
from sqlalchemy import update

from contenthub_async.clock import SystemClock
from contenthub_async.creator.cli import CliCreator
from contenthub_async.creator.port import CreateRequest, CreatorStatus
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import Knobs, ServiceContext
from contenthub_async.services.task_commands import cancel_task
from contenthub_async.services.tracker import Tracker
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.conformance.support import add_account, claim, submit
from tests.support.daemons import FAKE_CREATOR, fake_knobs
from tests.support.processes import alive, kill_group

S = TaskStatus
KNOBS = Knobs(max_concurrent_tasks=10, task_timeout=600, poll_interval=1.0, retry_backoff=1, retry_backoff_max=2,
              lease_seconds=300, list_limit=50, heartbeat_interval=0.5, janitor_interval=0.5, shutdown_grace=1,
              wakeup_interval=0.1)


def context(db: Database, state: Path, *, call_timeout: float, **fake: object) -> ServiceContext:
    creator = CliCreator.from_command_line(str(FAKE_CREATOR), extra_env=fake_knobs(state, **fake),
                                           call_timeout=call_timeout, max_processes=8)
    return ServiceContext(db=db, creator=creator, clock=SystemClock(), knobs=KNOBS, daemon_id="daemon-a",
                          log=structlog.get_logger("test"))


async def tasks_at_creator(db: Database, count: int, *, creator_ids: list[str] | None = None) -> list[Task]:
    """``count`` tasks ``submitted`` to content-creator (under ``creator_ids``, or made-up ids)."""
    clock = SystemClock()
    account = await add_account(db, clock)  # type: ignore[arg-type]
    await submit(db, clock, account, *([5] * count))  # type: ignore[arg-type]
    claimed = await claim(db, clock, count)  # type: ignore[arg-type]
    ids = creator_ids or [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]
    now = clock.now()
    moved = []
    for task, creator_task_id in zip(claimed, ids, strict=True):
        async with db.write() as conn:
            done = await task_store.transition(
                conn, task, S.SUBMITTED, now=now, actor="test",
                values={"creator_task_id": creator_task_id, "submitted_at": now,
                        "timeout_at": now + timedelta(seconds=600)},
            )
        assert done is not None
        moved.append(done)
    return moved


def cancel_pids(state: Path) -> list[int]:
    log = state / "invocations.log"
    lines = log.read_text().split("\n") if log.exists() else []
    return [int(fields[1]) for fields in (line.split() for line in lines) if len(fields) >= 3 and fields[2] == "cancel"]


async def test_hung_cancels_run_side_by_side(db: Database, tmp_path: Path) -> None:
    tasks = await tasks_at_creator(db, 3)
    for task in tasks:
        await cancel_task(db, task.task_id, clock=SystemClock(), actor="test")
    # every `cancel` hangs (a call timeout far longer than starting three processes on a busy machine)
    tracker = Tracker(context(db, tmp_path / "creator", call_timeout=60, hang="cancel"))
    state = tmp_path / "creator"

    all_hung_at_once = False
    async with anyio.create_task_group() as group:
        group.start_soon(tracker.cycle)
        with anyio.fail_after(120):
            while len(pids := cancel_pids(state)) < len(tasks):
                await anyio.sleep(0.05)
        # One after another, the last would not start before the first ended.
        all_hung_at_once = all(alive(pid) for pid in pids)
        # Ended as the call timeout would end them (each call runs in a group of its own), so the
        # cycle need not wait the timeout out: the creator's timeout kill has tests of its own.
        for pid in pids:
            kill_group(pid)
    assert all_hung_at_once, "the cancels ran one after another"
    async with db.read() as conn:
        after = [await task_store.get_task(conn, task.task_id) for task in tasks]
    assert [t.status if t else None for t in after] == [S.CANCELLED] * len(tasks)


async def finished_at_creator(state: Path) -> str:
    """The id of a task content-creator (the fake, well-behaved) has completed."""
    creator = CliCreator.from_command_line(str(FAKE_CREATOR), extra_env=fake_knobs(state), call_timeout=30)
    creator_task_id = await creator.create(CreateRequest(topic="a finished article"))
    with anyio.fail_after(60):
        while (await creator.status(creator_task_id)).status != CreatorStatus.COMPLETED:
            await anyio.sleep(0.1)
    return creator_task_id


@pytest.mark.parametrize(("fault", "code", "detail"), [
    # slow: it waits out the 3 s call timeout, on each of two cycles
    pytest.param("hang", "error.result_hung", "no answer within 3 s", marks=pytest.mark.slow),
    ("garbage", "error.result_unparsable", ""),
])
async def test_a_result_call_that_hangs_or_answers_garbage_is_the_recorded_cause(
    db: Database, tmp_path: Path, fault: str, code: str, detail: str
) -> None:
    state = tmp_path / "creator"
    [task] = await tasks_at_creator(db, 1, creator_ids=[await finished_at_creator(state)])
    tracker = Tracker(context(db, state, call_timeout=3, **{fault: "result"}))

    await tracker.cycle()  # the creator says completed; its `result` call fails
    async with db.read() as conn:
        waiting = await task_store.get_task(conn, task.task_id)
    assert waiting is not None and waiting.status in (S.SUBMITTED, S.PROCESSING), "tried again next cycle"
    assert waiting.error_code == code and waiting.error_message and detail in waiting.error_message

    async with db.write() as conn:  # its time is up
        await conn.execute(update(content_generation_tasks).where(content_generation_tasks.c.id == task.id)
                           .values(timeout_at=SystemClock().now() - timedelta(seconds=1)))
    await tracker.cycle()
    async with db.read() as conn:
        after = await task_store.get_task(conn, task.task_id)
        events = await task_store.task_events_of(conn, task.id)
    assert after is not None and after.status in (S.PENDING, S.TIMEOUT)  # a retry, or the last attempt
    assert after.error_code == code, f"the real cause, not only 'timed out': {after.error_message}"
    assert events[-1].note is not None and events[-1].note.params["error"] == waiting.error_note
