"""The generation pipeline end to end: real daemon process, real fake-creator processes, real SQLite."""

from __future__ import annotations

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

TERMINAL = ("completed", "failed", "timeout", "cancelled")


def max_in_flight(path: Path) -> int:
    """Replay task_events in commit order: +1 when claimed, -1 when the task leaves flight."""
    in_flight = peak = 0
    for from_status, to_status in sqlite_rows(path, "SELECT from_status, to_status FROM task_events ORDER BY id"):
        if from_status == "pending" and to_status == "submitting":
            in_flight += 1
        elif from_status in ("submitting", "submitted", "processing") and to_status in (*TERMINAL, "pending"):
            in_flight -= 1
        peak = max(peak, in_flight)
    return peak


@pytest.mark.slow
async def test_two_hundred_tasks_of_mixed_priority(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    await submit(url, [NewTask(account_id=49, topic=f"选题 {i}", priority=(i * 7) % 11) for i in range(200)])
    env = daemon_environment(url, tmp_path / "fake", ASYNC_MAX_CONCURRENT_TASKS="8")
    daemon = start_daemon(env, tmp_path / "daemon.log")
    try:
        await wait_until(lambda: status_counts(db_path).get("completed") == 200, timeout=240)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    assert sqlite_rows(db_path, "SELECT count(*), count(DISTINCT generation_task_id) FROM contents") == [(200, 200)]
    assert sqlite_rows(
        db_path,
        "SELECT count(*) FROM content_generation_tasks t JOIN contents c ON c.id = t.content_id "
        "AND c.generation_task_id = t.id",
    ) == [(200,)]
    assert sqlite_rows(db_path, "SELECT count(*) FROM publish_pool") == [(200,)]
    claimed_priorities = [
        p for (p,) in sqlite_rows(
            db_path,
            "SELECT t.priority FROM task_events e JOIN content_generation_tasks t ON t.id = e.generation_task_id "
            "WHERE e.to_status = 'submitting' ORDER BY e.id",
        )
    ]
    assert len(claimed_priorities) == 200
    assert claimed_priorities == sorted(claimed_priorities, reverse=True), "higher priorities start first"
    assert 1 < max_in_flight(db_path) <= 8


async def test_sigterm_during_a_busy_run_then_restart_finishes(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    await submit(url, [NewTask(account_id=49, topic=f"topic {i}") for i in range(40)])
    env = daemon_environment(url, tmp_path / "fake", {"slow_create": 1.0}, ASYNC_MAX_CONCURRENT_TASKS="6",
                             CONTENTHUB_SHUTDOWN_GRACE="5")
    daemon = start_daemon(env, tmp_path / "daemon.log")
    await wait_until(lambda: status_counts(db_path).get("submitting", 0) > 0, timeout=30, interval=0.05)
    daemon.send_signal(signal.SIGTERM)
    started = anyio.current_time()
    assert daemon.wait(timeout=30) == 0
    assert anyio.current_time() - started < 5 + 3, "exits within the grace period"
    counts = status_counts(db_path)
    assert "submitting" not in counts, counts
    assert sum(counts.values()) == 40
    stopped = sqlite_rows(db_path, "SELECT status FROM daemons")
    assert stopped == [("stopped",)]

    restarted = start_daemon(env, tmp_path / "daemon.log")
    try:
        await wait_until(lambda: status_counts(db_path).get("completed") == 40, timeout=120)
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0


async def test_grace_expiry_releases_creates_still_running(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    await submit(url, [NewTask(account_id=49, topic=f"slow {i}") for i in range(3)])
    env = daemon_environment(url, tmp_path / "fake", {"slow_create": 30}, ASYNC_MAX_CONCURRENT_TASKS="3",
                             CONTENTHUB_SHUTDOWN_GRACE="1", CONTENTHUB_CREATOR_CALL_TIMEOUT="60",
                             CONTENTHUB_LEASE_SECONDS="90")
    daemon = start_daemon(env, tmp_path / "daemon.log")
    await wait_until(lambda: status_counts(db_path).get("submitting") == 3, timeout=30, interval=0.05)
    await anyio.sleep(0.5)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=20) == 0
    assert status_counts(db_path) == {"pending": 3}
    messages = [m for (m,) in sqlite_rows(db_path, "SELECT message FROM task_events WHERE to_status = 'pending' AND from_status = 'submitting'")]
    assert len(messages) == 3 and all("released at shutdown" in m for m in messages)
