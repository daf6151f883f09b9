"""kill -9 of the daemon at random moments: every task ends terminal, none lost, none finished twice."""

from __future__ import annotations

import random
import signal
from pathlib import Path

import anyio

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


async def test_kill_dash_nine_at_random_moments(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    await submit(url, [NewTask(account_id=49, topic=f"crash {i}", priority=i % 11) for i in range(TASKS)])
    env = daemon_environment(
        url, tmp_path / "fake", {"slow_create": 0.4}, ASYNC_MAX_CONCURRENT_TASKS="12",
        CONTENTHUB_CREATOR_CALL_TIMEOUT="3", CONTENTHUB_LEASE_SECONDS="4", CONTENTHUB_JANITOR_INTERVAL="0.5",
    )
    rng = random.Random(20261122)
    log = tmp_path / "daemon.log"
    for _ in range(KILLS):
        daemon = start_daemon(env, log)
        await anyio.sleep(rng.uniform(0.8, 2.5))
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
    assert sqlite_rows(db_path, "SELECT status, count(*) FROM daemons GROUP BY status ORDER BY status")[-1] == (
        "stopped", 1
    ), "killed daemons stay 'running' with a stale heartbeat; the survivor stopped cleanly"
    rescued = sqlite_rows(db_path, "SELECT count(*) FROM task_events WHERE message LIKE 'lease expired%'")[0][0]
    assert rescued > 0, "some kills landed mid-create and were rescued by lease expiry"
