"""CREATOR_MODE=sync: the daemon runs each generation in a content-creator process of its own.

The daemon runs in-process with the fake creator as real subprocesses, on SQLite and
PostgreSQL. Every task's topic carries the test's temporary directory, so the creator
processes of a test (the guard and the fake, whose command lines hold the topic) are found
through /proc: the tests check that none is left, and kill whatever is left on every exit path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from contenthub_async.clock import SystemClock
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.task_commands import cancel_task
from contenthub_async.store import contents as content_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.support.daemons import (
    creator_invocations,
    events_of,
    prepare,
    read_task,
    run_until_terminal,
    running_daemon,
    settings_for,
    submit,
)
from tests.support.processes import kill_survivors, no_survivors, survivors

S = TaskStatus
SYNC = {"CREATOR_MODE": "sync"}


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[str]:
    """Put into every topic; the creator processes of this test are killed at its end."""
    yield str(tmp_path)
    kill_survivors(str(tmp_path))


async def wait_for(db_url: str, task_id: str, predicate: object, timeout: float = 60) -> Task:
    """The task once ``predicate(task)`` holds."""
    assert callable(predicate)
    with anyio.fail_after(timeout):
        while not predicate(task := await read_task(db_url, task_id)):
            await anyio.sleep(0.1)
    return task


async def wait_for_processes(marker: str, timeout: float = 60) -> list[int]:
    with anyio.fail_after(timeout):
        while not (found := survivors(marker)):
            await anyio.sleep(0.05)
    return found


async def moves(db_url: str, task: Task) -> list[tuple[str | None, str]]:
    return [(e.from_status, e.to_status) for e in await events_of(db_url, task)]


async def test_each_task_is_one_create_process_and_no_polling(db_url: str, tmp_path: Path, marker: str) -> None:
    await prepare(db_url)
    ids = await submit(db_url, [NewTask(account_id=49, topic=f"同步 {i} {marker}") for i in range(3)])
    settings = settings_for(db_url, tmp_path / "fake", **SYNC)
    tasks = await run_until_terminal(db_url, settings, ids)

    assert [t.status for t in tasks] == [S.COMPLETED] * 3
    assert creator_invocations(tmp_path / "fake") == ["create"] * 3, "no list, status or result calls"
    db = Database.open(db_url)
    try:
        async with db.read() as conn:
            for task in tasks:
                assert task.lease_owner is None and task.lease_expires_at is None and task.content_id is not None
                assert task.started_at is not None and task.result and task.result["word_count"]
                content = await content_store.get_content(conn, task.content_id)
                assert content is not None and task.topic.split(" ")[0] in content["body_markdown"]
    finally:
        await db.close()
    assert await moves(db_url, tasks[0]) == [
        (None, "pending"), ("pending", "submitting"), ("submitting", "processing"), ("processing", "completed"),
    ]
    assert await no_survivors(marker) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_failed_generation_is_retried_then_fails_with_the_creators_cause(
    db_url: str, tmp_path: Path, marker: str
) -> None:
    """content-creator exits 0 and prints `✅ 执行成功` above `状态: 失败`: that is a failure."""
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic=f"doomed {marker}", max_retries=1)])
    settings = settings_for(db_url, tmp_path / "fake", {"fail_topic": "doomed"}, **SYNC)
    [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status == S.FAILED and task.retry_count == 1 and task.content_id is None
    assert task.error_message and "generation_failed" in task.error_message and "模拟失败: doomed" in task.error_message
    assert creator_invocations(tmp_path / "fake") == ["create"] * 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_garbage_output_is_a_retried_failure(db_url: str, tmp_path: Path, marker: str) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic=f"junk {marker}", max_retries=1)])
    settings = settings_for(db_url, tmp_path / "fake", {"garbage": "create"}, **SYNC)
    [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status == S.FAILED and task.retry_count == 1 and task.content_id is None
    assert task.error_message and "unparsable" in task.error_message


@pytest.mark.slow  # waits out the task timeout
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_hung_generation_is_killed_at_the_task_timeout(db_url: str, tmp_path: Path, marker: str) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic=f"hangs {marker}", max_retries=0)])
    settings = settings_for(db_url, tmp_path / "fake", {"hang": "create"}, ASYNC_TASK_TIMEOUT=2, **SYNC)
    [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status == S.TIMEOUT and task.error_message and "timed out after 2s" in task.error_message
    assert await no_survivors(marker) == [], "the process group was killed"


async def test_cancel_kills_the_running_generation(db_url: str, tmp_path: Path, marker: str) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic=f"cancel me {marker}")])
    settings = settings_for(db_url, tmp_path / "fake", {"latency": 600}, **SYNC)
    async with running_daemon(settings):
        await wait_for(db_url, task_id, lambda t: t.status == S.PROCESSING)
        await wait_for_processes(marker)
        db = Database.open(db_url)
        try:
            assert (await cancel_task(db, task_id, clock=SystemClock(), actor="cli")).outcome == "requested"
        finally:
            await db.close()
        task = await wait_for(db_url, task_id, lambda t: t.status == S.CANCELLED)
        assert await no_survivors(marker) == [], "the generation's processes are gone"
    assert task.content_id is None and task.lease_owner is None
    events = await events_of(db_url, task)
    assert (events[-1].from_status, events[-1].to_status) == ("processing", "cancelled")
    assert "process was stopped" in (events[-1].message or "")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_generation_whose_lease_was_lost_stops_and_writes_nothing(
    db_url: str, tmp_path: Path, marker: str
) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic=f"taken over {marker}")])
    settings = settings_for(db_url, tmp_path / "fake", {"latency": 600}, **SYNC)
    async with running_daemon(settings):
        running = await wait_for(db_url, task_id, lambda t: t.status == S.PROCESSING)
        await wait_for_processes(marker)
        db = Database.open(db_url)
        try:
            async with db.write() as conn:  # as if its lease had expired and another daemon ran it now
                await conn.execute(
                    content_generation_tasks.update()
                    .where(content_generation_tasks.c.id == running.id)
                    .values(lease_owner="another-daemon")
                )
        finally:
            await db.close()
        assert await no_survivors(marker) == []
        await anyio.sleep(0.5)
        task = await read_task(db_url, task_id)
    assert task.status == S.PROCESSING and task.lease_owner == "another-daemon"
    assert len(await events_of(db_url, task)) == len(await events_of(db_url, running))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_stopping_the_daemon_stops_generations_and_requeues_them(
    db_url: str, tmp_path: Path, marker: str
) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic=f"interrupted {marker}")])
    settings = settings_for(db_url, tmp_path / "fake", {"latency": 600}, CONTENTHUB_SHUTDOWN_GRACE=0.5, **SYNC)
    async with running_daemon(settings):
        await wait_for(db_url, task_id, lambda t: t.status == S.PROCESSING)
        await wait_for_processes(marker)
    assert survivors(marker) == []
    task = await read_task(db_url, task_id)
    assert task.status == S.PENDING and task.lease_owner is None and task.retry_count == 0
    assert task.started_at is None and task.timeout_at is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_daemon_runs_no_more_generations_than_creator_processes(
    db_url: str, tmp_path: Path, marker: str
) -> None:
    await prepare(db_url)
    ids = await submit(db_url, [NewTask(account_id=49, topic=f"bounded {i} {marker}") for i in range(5)])
    settings = settings_for(db_url, tmp_path / "fake", {"latency": 600}, ASYNC_MAX_CONCURRENT_TASKS=5,
                            CONTENTHUB_CREATOR_MAX_PROCESSES=2, CONTENTHUB_SHUTDOWN_GRACE=0.5, **SYNC)
    async with running_daemon(settings):
        await wait_for(db_url, ids[1], lambda t: t.status == S.PROCESSING)
        await anyio.sleep(1.5)  # more rounds of the dispatcher: nothing more may be claimed
        statuses = [(await read_task(db_url, t)).status for t in ids]
    assert statuses.count(S.PROCESSING) == 2 and statuses.count(S.PENDING) == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_switching_to_sync_mode_still_tracks_the_tasks_at_content_creator(
    db_url: str, tmp_path: Path, marker: str
) -> None:
    await prepare(db_url)
    state = tmp_path / "fake"
    early = await submit(db_url, [NewTask(account_id=49, topic=f"async {i} {marker}") for i in range(3)])
    async with running_daemon(settings_for(db_url, state, {"latency": 4})):  # async mode
        for task_id in early:
            await wait_for(db_url, task_id, lambda t: t.status in (S.SUBMITTED, S.PROCESSING))
    late = await submit(db_url, [NewTask(account_id=49, topic=f"sync {i} {marker}") for i in range(2)])
    tasks = await run_until_terminal(db_url, settings_for(db_url, state, {"latency": 0.3}, **SYNC), early + late)

    assert [t.status for t in tasks] == [S.COMPLETED] * 5
    assert all(t.lease_owner is None for t in tasks)
    invocations = creator_invocations(state)
    assert invocations.count("create") == 5 and invocations.count("result") == 3, "async ones fetched, sync ones not"
    for task in tasks[:3]:
        assert ("submitted", "processing") in await moves(db_url, task) or ("submitted", "completed") in await moves(
            db_url, task
        )
    for task in tasks[3:]:
        assert ("submitting", "processing") in await moves(db_url, task)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_switching_back_to_async_mode_runs_the_released_generations_again(
    db_url: str, tmp_path: Path, marker: str
) -> None:
    await prepare(db_url)
    state = tmp_path / "fake"
    ids = await submit(db_url, [NewTask(account_id=49, topic=f"back {i} {marker}") for i in range(2)])
    sync = settings_for(db_url, state, {"latency": 600}, CONTENTHUB_SHUTDOWN_GRACE=0.5, **SYNC)
    async with running_daemon(sync):
        for task_id in ids:
            await wait_for(db_url, task_id, lambda t: t.status == S.PROCESSING)
    assert survivors(marker) == []
    tasks = await run_until_terminal(db_url, settings_for(db_url, state, {"latency": 0.3}), ids)
    assert [t.status for t in tasks] == [S.COMPLETED] * 2
    assert creator_invocations(state).count("result") == 2
