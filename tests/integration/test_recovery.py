"""Crash recovery with real processes: a daemon killed with -9 is taken for dead by the next
one — at once on the same host, after its silent heartbeats on another — which takes over its
tracker lease, its ``submitting`` tasks and its job runs; a daemon taken for dead stops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text

from contenthub_async.daemon.runner import DaemonRun, run_daemon
from contenthub_async.domain.submission import NewTask
from contenthub_async.store.database import Database
from tests.support.daemons import (
    daemon_environment,
    daemon_process,
    kill_dash_nine,
    log_events,
    prepare,
    settings_for,
    submit,
)
from tests.support.databases import query_rows as rows

TASKS = 6


async def counts(db_url: str) -> dict[str, int]:
    return dict(await rows(db_url, "SELECT status, count(*) FROM content_generation_tasks GROUP BY status"))


async def eventually(check: Any, *, within: float, every: float = 0.2) -> None:
    with anyio.fail_after(within):
        while not await check():
            await anyio.sleep(every)


async def crash_mid_run_and_restart(db_url: str, tmp_path: Path, first_host: str | None) -> Path:
    """Run a daemon until it holds the tracker lease and tasks in ``submitting``, kill -9 it,
    start another and let it finish every task. Returns the second daemon's log."""
    await prepare(db_url)
    await submit(db_url, [NewTask(account_id=49, topic=f"recover {i}") for i in range(TASKS)])
    # Task leases of 300 s: only taking the dead daemon's work over can finish in time.
    env = daemon_environment(db_url, tmp_path / "fake", {"slow_create": 2, "latency": 0.3},
                             ASYNC_MAX_CONCURRENT_TASKS="3", CONTENTHUB_LEASE_SECONDS="300")
    first_env = {**env, **({"CONTENTHUB_HOST_ID": first_host} if first_host else {})}

    async def crash_point() -> bool:
        submitting = (await counts(db_url)).get("submitting", 0)
        leases = await rows(db_url, "SELECT owner FROM leases WHERE name = 'tracker'")
        return submitting > 0 and bool(leases)

    with daemon_process(first_env, tmp_path / "first.log") as first:
        await eventually(crash_point, within=60)
        kill_dash_nine(first)
    second_log = tmp_path / "second.log"
    with daemon_process(env, second_log):
        async def all_completed() -> bool:
            return (await counts(db_url)) == {"completed": TASKS}

        await eventually(all_completed, within=120)
    return second_log


async def check_taken_over(db_url: str) -> None:
    [(dead,)] = await rows(db_url, "SELECT count(*) FROM daemons WHERE status = 'dead'")
    assert dead == 1, "the killed daemon is marked dead"
    rescued = await rows(db_url, "SELECT count(*) FROM task_events WHERE message = 'its daemon is dead; back to the queue'")
    assert rescued[0][0] >= 1, "its submitting tasks came back at once"
    assert await rows(db_url, "SELECT count(*) FROM task_events WHERE message LIKE 'lease expired%'") == [(0,)]
    assert await rows(db_url, "SELECT count(*), count(DISTINCT generation_task_id) FROM contents") == [(TASKS, TASKS)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_same_host_a_killed_daemon_is_dead_at_once_for_the_next(db_url: str, tmp_path: Path) -> None:
    second_log = await crash_mid_run_and_restart(db_url, tmp_path, first_host=None)
    await check_taken_over(db_url)
    [takeover] = log_events(second_log, "daemon taken for dead; its work taken over")
    assert takeover["cause"] == "its process is gone"
    assert takeover["leases"] == ["tracker"] and takeover["leased_tasks"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_another_host_a_killed_daemon_is_dead_after_its_silent_heartbeats(db_url: str, tmp_path: Path) -> None:
    second_log = await crash_mid_run_and_restart(db_url, tmp_path, first_host="another-host")
    await check_taken_over(db_url)
    [takeover] = log_events(second_log, "daemon taken for dead; its work taken over")
    assert takeover["cause"] == "no heartbeat"
    # The tracker term (2 heartbeat intervals here) may lapse, and the new daemon take the lease,
    # before three silent heartbeats mark its holder dead: then there is no lease left to hand back.
    assert takeover.get("leases", []) in ([], ["tracker"]) and takeover["leased_tasks"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_daemon_taken_for_dead_stops_with_status_one(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    handles = DaemonRun()
    status: list[int] = []

    async def run() -> None:
        status.append(await run_daemon(settings_for(db_url, tmp_path / "fake"), handles=handles,
                                       install_signal_handlers=False))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        with anyio.fail_after(30):
            await handles.ready.wait()
        db = Database.open(db_url)
        try:
            async with db.write() as conn:
                await conn.execute(text("UPDATE daemons SET status = 'dead' WHERE id = :id"), {"id": handles.daemon_id})
        finally:
            await db.close()
        with anyio.fail_after(60):
            await handles.stopping.wait()
    assert status == [1]
    assert await rows(db_url, "SELECT status FROM daemons") == [("dead",)]
