"""Daemon behaviour with the fake creator as a real subprocess; daemon in-process, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import structlog

from contenthub_async.clock import SystemClock
from contenthub_async.creator.cli import CliCreator
from contenthub_async.daemon.runner import knobs_from
from contenthub_async.domain.notes import Note
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.dispatcher import Dispatcher
from contenthub_async.services.task_commands import cancel_task
from contenthub_async.services.tracker import Tracker
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.store import contents as content_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.support.daemons import (
    FAKE_CREATOR,
    creator_invocations,
    events_of,
    fake_knobs,
    prepare,
    read_task,
    run_until_terminal,
    running_daemon,
    settings_for,
    submit,
)

S = TaskStatus


@pytest.mark.slow  # waits out two retry backoffs
async def test_fails_twice_then_succeeds_with_backoff(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="flaky topic", max_retries=3)])
    settings = settings_for(db_url, tmp_path / "fake", {"fail_first": 2}, ASYNC_RETRY_BACKOFF=0.5,
                            CONTENTHUB_RETRY_BACKOFF_MAX=10)
    [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status == S.COMPLETED and task.retry_count == 2 and task.content_id is not None
    events = await events_of(db_url, task)
    failures = [e for e in events if e.to_status == "pending" and e.from_status in ("submitted", "processing")]
    claims = [e for e in events if e.to_status == "submitting"]
    assert len(failures) == 2 and len(claims) == 3
    for attempt, (failure, next_claim) in enumerate(zip(failures, claims[1:], strict=True), start=1):
        nominal = min(10, 0.5 * 2 ** (attempt - 1))
        assert next_claim.at - failure.at >= timedelta(seconds=nominal * 0.8), "backoff honoured"
        assert "模拟失败" in (failure.message or "")


@pytest.mark.slow  # waits out the retry backoffs
async def test_always_failing_ends_failed_with_the_creators_message(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="doomed topic", max_retries=2)])
    settings = settings_for(db_url, tmp_path / "fake", {"fail_topic": "doomed"})
    [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status == S.FAILED and task.retry_count == 2
    assert task.error_message and "模拟失败: doomed topic" in task.error_message
    assert task.content_id is None


@pytest.mark.slow  # waits out the creator call's timeout
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_hung_creator_calls_are_killed_at_their_timeout(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="hangs", max_retries=1)])
    settings = settings_for(db_url, tmp_path / "fake", {"hang": "create"}, CONTENTHUB_CREATOR_CALL_TIMEOUT=1,
                            CONTENTHUB_LEASE_SECONDS=5)
    [task] = await run_until_terminal(db_url, settings, [task_id], timeout=30)
    assert task.status == S.FAILED and task.retry_count == 1
    assert task.error_message and "(timeout)" in task.error_message and "killed" in task.error_message


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("knobs", "expected"),
    [({"garbage": "create"}, "create"), ({"lose_topic": "lost"}, "lost task")],
    ids=["garbage-output", "unknown-id"],
)
async def test_garbage_and_lost_tasks_are_retried_with_a_clear_error(
    db_url: str, tmp_path: Path, knobs: dict[str, str], expected: str
) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="lost one", max_retries=2)])
    settings = settings_for(db_url, tmp_path / "fake", knobs)
    [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status == S.FAILED and task.retry_count == 2
    assert task.error_message and expected in task.error_message
    retries = [e for e in await events_of(db_url, task) if e.to_status == "pending" and e.from_status != "pending"]
    assert len([e for e in retries if e.from_status is not None]) == 2


@pytest.mark.slow  # waits out the task timeout, twice
async def test_timeout_cancels_at_the_creator_then_gives_up(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="too slow", max_retries=1)])
    state = tmp_path / "fake"
    settings = settings_for(db_url, state, {"latency": 60}, ASYNC_TASK_TIMEOUT=1)
    [task] = await run_until_terminal(db_url, settings, [task_id], timeout=30)
    assert task.status == S.TIMEOUT and task.retry_count == 1
    assert "timed out" in (task.error_message or "")
    assert creator_invocations(state).count("cancel") >= 2


def tracker_context(db: Database, state: Path, settings) -> ServiceContext:
    creator = CliCreator.from_command_line(str(FAKE_CREATOR), extra_env=fake_knobs(state, latency=600),
                                           call_timeout=30, max_processes=4)
    return ServiceContext(db=db, creator=creator, clock=SystemClock(), knobs=knobs_from(settings),
                          daemon_id="test-daemon", log=structlog.get_logger("test"))


async def dispatch_all(ctx: ServiceContext, expected: int) -> None:
    dispatcher = Dispatcher(ctx, Wakeup())
    import anyio
    async with anyio.create_task_group() as group:
        for task in await dispatcher.claim_once():
            group.start_soon(dispatcher._submit, task)
    async with ctx.db.read() as conn:
        assert (await task_store.count_by_status(conn)).get("submitted") == expected


@pytest.mark.slow
async def test_tracking_a_hundred_tasks_costs_one_creator_process(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    await submit(db_url, [NewTask(account_id=49, topic=f"t{i}") for i in range(100)])
    state = tmp_path / "fake"
    settings = settings_for(db_url, state, ASYNC_MAX_CONCURRENT_TASKS=100)
    db = Database.open(db_url)
    try:
        ctx = tracker_context(db, state, settings)
        await dispatch_all(ctx, 100)
        tracker = Tracker(ctx)
        for cycle in range(3):
            before = len(creator_invocations(state))
            await tracker.cycle()
            assert creator_invocations(state)[before:] == ["list"], f"cycle {cycle}"
        async with db.read() as conn:
            assert (await task_store.count_by_status(conn)) == {"processing": 100}
    finally:
        await db.close()


@pytest.mark.slow
async def test_a_tracking_cycle_applies_a_bounded_number_of_states_at_once(db_url: str, tmp_path: Path) -> None:
    """Each applied state holds a database connection: 100 tasks must not open 100 at once."""
    import anyio

    from contenthub_async.services import tracker as tracker_module

    await prepare(db_url)
    await submit(db_url, [NewTask(account_id=49, topic=f"b{i}") for i in range(100)])
    state = tmp_path / "fake"
    settings = settings_for(db_url, state, ASYNC_MAX_CONCURRENT_TASKS=100)
    db = Database.open(db_url, pool_size=50)
    running = peak = applied = 0

    class CountingTracker(Tracker):
        async def _apply(self, task, creator_state) -> None:  # type: ignore[no-untyped-def]
            nonlocal running, peak, applied
            running += 1
            peak = max(peak, running)
            try:
                await anyio.sleep(0.01)  # let every other application start, if it may
                await super()._apply(task, creator_state)
            finally:
                running -= 1
                applied += 1

    try:
        ctx = tracker_context(db, state, settings)
        await dispatch_all(ctx, 100)
        await anyio.sleep(0.3)  # past FAKE_CREATOR_PENDING_SECONDS: every task is running at the fake
        await CountingTracker(ctx).cycle()
        async with db.read() as conn:
            assert (await task_store.count_by_status(conn)) == {"processing": 100}
    finally:
        await db.close()
    assert applied == 100
    assert peak == tracker_module.APPLY_CONCURRENCY


async def test_cancel_at_the_creator_creates_no_content_even_if_it_finishes(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="cancel me")])
    state = tmp_path / "fake"
    settings = settings_for(db_url, state)
    db = Database.open(db_url)
    try:
        ctx = tracker_context(db, state, settings)
        await dispatch_all(ctx, 1)
        outcome = await cancel_task(db, task_id, clock=SystemClock(), actor="cli")
        assert outcome.outcome == "requested"
        async with db.read() as conn:
            task = await task_store.get_task(conn, task_id)
        assert task is not None and task.creator_task_id
        # The generation finishes anyway (cancel is advisory) ...
        from contenthub_async.services.results import finish_task
        result = await ctx.creator.status(task.creator_task_id)
        assert result.status.value in ("pending", "running")
        await Tracker(ctx).cycle()
        async with db.read() as conn:
            task = await task_store.get_task(conn, task_id)
            assert task is not None and task.status == S.CANCELLED
        # ... and a late result still creates nothing.
        from contenthub_async.creator.port import CreatorResult
        late = CreatorResult(task.creator_task_id or "", "# late\n\nbody", 4, ())
        assert await finish_task(ctx, task, late) is None
        async with db.read() as conn:
            assert await content_store.contents_of_task(conn, task.id) == []
        assert "cancel" in creator_invocations(state)
    finally:
        await db.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_daemons_share_one_postgresql_queue(db_url: str, tmp_path: Path) -> None:
    import anyio

    await prepare(db_url)
    ids = await submit(db_url, [NewTask(account_id=49, topic=f"shared {i}") for i in range(40)])
    settings = settings_for(db_url, tmp_path / "fake", ASYNC_MAX_CONCURRENT_TASKS=6)
    async with running_daemon(settings) as first, running_daemon(settings) as second:
        db = Database.open(db_url)
        try:
            async def all_completed() -> bool:
                async with db.read() as conn:
                    return (await task_store.count_by_status(conn)).get("completed") == 40

            with anyio.fail_after(120):
                while not await all_completed():
                    await anyio.sleep(0.3)
            async with db.read() as conn:
                from sqlalchemy import text
                claimers = {
                    actor for (actor,) in await conn.execute(
                        text("SELECT DISTINCT actor FROM task_events WHERE to_status = 'submitting'")
                    )
                }
                per_task = (await conn.execute(
                    text("SELECT count(*), count(DISTINCT generation_task_id) FROM contents")
                )).one()
        finally:
            await db.close()
    # Which daemon wins each claim is up to timing; both polling one queue must never double-run.
    assert claimers and claimers <= {first.daemon_id, second.daemon_id}
    assert tuple(per_task) == (40, 40), "each task finished exactly once"
    assert len(ids) == 40


async def test_a_failed_attempt_of_a_task_being_cancelled_is_not_retried(db_url: str, tmp_path: Path) -> None:
    from contenthub_async.services.failures import record_failed_attempt

    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="cancel then fail", max_retries=3)])
    state = tmp_path / "fake"
    db = Database.open(db_url)
    try:
        ctx = tracker_context(db, state, settings_for(db_url, state))
        await dispatch_all(ctx, 1)
        async with db.read() as conn:
            stale = await task_store.get_task(conn, task_id)  # read before the operator's request
        assert stale is not None
        await cancel_task(db, task_id, clock=SystemClock(), actor="cli")
        moved = await record_failed_attempt(ctx, stale, Note("creator.detail", {"detail": "boom"}), retryable=True)
        assert moved is not None and moved.status == S.CANCELLED and moved.retry_count == 0
    finally:
        await db.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_timeouts_fire_even_when_content_creator_cannot_list(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="creator goes away", max_retries=0)])
    state = tmp_path / "fake"
    db = Database.open(db_url)
    try:
        ctx = tracker_context(db, state, settings_for(db_url, state, ASYNC_TASK_TIMEOUT=0.5))
        await dispatch_all(ctx, 1)
        broken = CliCreator.from_command_line(str(FAKE_CREATOR), extra_env=fake_knobs(state, garbage="all"),
                                              call_timeout=30)
        import dataclasses

        import anyio
        await anyio.sleep(0.6)
        await Tracker(dataclasses.replace(ctx, creator=broken)).cycle()
        async with db.read() as conn:
            task = await task_store.get_task(conn, task_id)
        assert task is not None and task.status == S.TIMEOUT
    finally:
        await db.close()


async def test_auto_add_to_pool_off_keeps_approved_articles_out_of_the_pool(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="approved, not pooled", auto_approve=True)])
    monkeypatch.setenv("REDIS_URL", "redis://localhost:6379/0")
    monkeypatch.setenv("ASYNC_WORKER_COUNT", "5")
    settings = settings_for(db_url, tmp_path / "fake", ASYNC_AUTO_ADD_TO_POOL=False)
    with structlog.testing.capture_logs() as logs:
        [task] = await run_until_terminal(db_url, settings, [task_id])
    assert task.status is S.COMPLETED and task.content_id is not None
    db = Database.open(db_url)
    try:
        async with db.read() as conn:
            content = await content_store.get_content(conn, task.content_id)
            assert content is not None and content["review_status"] == "approved"
            assert await content_store.pool_entry_of(conn, task.content_id) is None
    finally:
        await db.close()
    unused = [entry for entry in logs if "not used" in entry["event"]]
    assert len(unused) == 1 and unused[0]["settings"] == ["ASYNC_WORKER_COUNT", "REDIS_URL"]
    assert unused[0]["log_level"] == "warning"


async def test_a_creator_that_cannot_be_started_is_retried_not_given_up(db_url: str, tmp_path: Path) -> None:
    # The path may be fixed (a deploy in progress, a mount coming back): not found is retryable.
    import anyio

    from contenthub_async.daemon.runner import DaemonRun, run_daemon

    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="creator missing", max_retries=3)])
    settings = settings_for(db_url, tmp_path / "fake", ASYNC_RETRY_BACKOFF=30, CONTENTHUB_RETRY_BACKOFF_MAX=30)
    handles = DaemonRun()
    missing = CliCreator([str(tmp_path / "not-installed-yet")])
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: run_daemon(settings, creator=missing, handles=handles, install_signal_handlers=False))
        with anyio.fail_after(60):
            while (task := await read_task(db_url, task_id)).retry_count == 0:
                await anyio.sleep(0.1)
        handles.stopping.set()
    assert task.status == S.PENDING and task.retry_count == 1
    assert task.error_message is not None and "not_found" in task.error_message
