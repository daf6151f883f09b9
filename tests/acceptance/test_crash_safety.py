"""kill -9 of the daemon at random moments: every task ends terminal, none lost, none finished twice."""

from __future__ import annotations

import random
import signal
from pathlib import Path

import anyio
import pytest

from contenthub_async.domain.submission import NewTask
from tests.support.daemons import (
    daemon_environment,
    prepare,
    sqlite_rows,
    start_daemon,
    status_counts,
    submit,
    wait_until,
)

TASKS = 300
KILLS = 12


def registered(db_path: Path) -> int:
    return int(sqlite_rows(db_path, "SELECT count(*) FROM daemons")[0][0])


@pytest.mark.slow
async def test_kill_dash_nine_at_random_moments(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    await submit(url, [NewTask(account_id=49, topic=f"crash {i}", priority=i % 11) for i in range(TASKS)])
    env = daemon_environment(
        url, tmp_path / "fake", {"slow_create": 0.4}, ASYNC_MAX_CONCURRENT_TASKS="12",
        CONTENTHUB_CREATOR_CALL_TIMEOUT="3", CONTENTHUB_LEASE_SECONDS="4", CONTENTHUB_PUBLISH_TIMEOUT="3",
        CONTENTHUB_JANITOR_INTERVAL="0.5",
    )
    rng = random.Random(20261122)
    log = tmp_path / "daemon.log"
    for started in range(1, KILLS + 1):
        daemon = start_daemon(env, log)
        # Kill it at a random moment of its run, not of its start-up (slow on a loaded machine).
        await wait_until(lambda n=started: registered(db_path) == n, timeout=60, interval=0.05)  # type: ignore[misc]
        await anyio.sleep(rng.uniform(0.3, 2.0))
        daemon.send_signal(signal.SIGKILL)
        assert daemon.wait(timeout=10) == -signal.SIGKILL
    survivor = start_daemon(env, log)
    try:
        await wait_until(lambda: status_counts(db_path).get("completed") == TASKS, timeout=300, interval=0.5)
    finally:
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=30) == 0

    assert status_counts(db_path) == {"completed": TASKS}, "every task terminal, none lost"
    assert sqlite_rows(db_path, "SELECT count(*), count(DISTINCT generation_task_id) FROM contents") == [(TASKS, TASKS)]
    assert sqlite_rows(
        db_path, "SELECT count(*) FROM content_generation_tasks t JOIN contents c ON c.id = t.content_id"
    ) == [(TASKS,)]
    assert sqlite_rows(db_path, "SELECT count(*) FROM publish_pool") == [(TASKS,)]
    assert sqlite_rows(db_path, "SELECT status, count(*) FROM daemons GROUP BY status ORDER BY status") == [
        ("dead", KILLS), ("stopped", 1)
    ], "each killed daemon was taken for dead by the next one; the survivor stopped cleanly"
    rescued = sqlite_rows(db_path, "SELECT count(*) FROM task_events WHERE message LIKE 'its daemon is dead%'")[0][0]
    assert rescued > 0, "some kills landed mid-create and the next daemon took those tasks over at once"
