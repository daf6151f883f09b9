"""Two contenthubd on one PostgreSQL database, each serving HTTP on its own port: tasks submitted
through either run exactly once, and /metrics counts each task once across the two."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from contenthub_async.store.database import Database
from tests.integration.test_http_api import SUBMIT, TASKS
from tests.integration.test_http_operations import Samples, scrape, value
from tests.support.daemons import creator_invocations, prepare
from tests.support.databases import database_url, requires_postgres
from tests.support.http import http_daemon

TASK_COUNT = 8


def _all_finished(client: httpx.Client, task_ids: list[str], within: float = 180) -> list[str]:
    deadline = time.monotonic() + within
    while True:
        statuses = [client.get(f"{TASKS}/{task_id}").json()["status"] for task_id in task_ids]
        if all(s in ("completed", "failed", "timeout", "cancelled") for s in statuses) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.3)


def _reporting(clients: list[httpx.Client], within: float = 60) -> list[Samples]:
    """Scrapes of every daemon, once one of them reports the database-wide gauges (the tracker
    lease holder, which may need a tracking cycle to take its lease)."""
    deadline = time.monotonic() + within
    while True:
        scrapes = [scrape(client) for client in clients]
        if any(value(s, "contenthub_queue_gauges_reported") for s in scrapes) or time.monotonic() > deadline:
            return scrapes
        time.sleep(0.2)


async def _claims_per_task(url: str) -> dict[str, int]:
    """How often each task left ``pending`` for the creator (its claims), from its events."""
    db = Database.open(url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(text(
                "SELECT t.task_id, count(e.id) FROM content_generation_tasks t LEFT JOIN task_events e "
                "ON e.generation_task_id = t.id AND e.from_status = 'pending' AND e.to_status <> 'cancelled' "
                "GROUP BY t.task_id"))).all()
        return {task_id: count for task_id, count in rows}
    finally:
        await db.close()


@pytest.mark.slow  # two daemons through a batch of tasks, as the other two-daemon tests
@requires_postgres
async def test_two_daemons_serving_http_run_each_task_once_and_count_it_once(tmp_path: Path) -> None:
    with database_url("postgresql", tmp_path) as url:
        await prepare(url, (49,))
        # One fake content-creator state for both, as both daemons would call one content-creator.
        with http_daemon(url, tmp_path) as first, http_daemon(url, tmp_path) as second, \
                first.client() as a, second.client() as b:
            assert first.base_url != second.base_url
            ids = []
            for i in range(TASK_COUNT):  # alternately through each daemon's API
                client = (a, b)[i % 2]
                response = client.post(SUBMIT, json={"account_id": 49, "topic": f"两个守护进程 {i}"})
                assert response.status_code == 202, response.text
                ids.append(response.json()["task_id"])
            assert len(set(ids)) == TASK_COUNT

            # Each daemon answers for every task, whichever took it.
            assert _all_finished(a, ids) == ["completed"] * TASK_COUNT
            assert [b.get(f"{TASKS}/{task_id}").json()["status"] for task_id in ids] == ["completed"] * TASK_COUNT

            # Exactly once: one claim per task, one `create` call of the content-creator per task.
            assert await _claims_per_task(url) == dict.fromkeys(ids, 1)
            assert creator_invocations(tmp_path / "fake").count("create") == TASK_COUNT

            scrapes = _reporting([a, b])
            # Per-daemon counters add up to each task once.
            for counter in ("contenthub_task_claims_total", "contenthub_task_completions_total"):
                assert sum(value(s, counter) for s in scrapes) == TASK_COUNT, counter
            assert sum(value(s, "contenthub_http_requests_total", method="POST", route=SUBMIT, status="202")
                       for s in scrapes) == TASK_COUNT
            # Database-wide gauges: one daemon reports them, so the sum over daemons is the database's count.
            assert sorted(value(s, "contenthub_queue_gauges_reported") for s in scrapes) == [0, 1]
            assert sum(value(s, "contenthub_tasks", status="completed") for s in scrapes) == TASK_COUNT
            assert sum(value(s, "contenthub_queue_depth") for s in scrapes) == 0
            assert sum(value(s, "contenthub_tasks_in_flight") for s in scrapes) == 0
            # The monitor's database-wide figures are the same whichever daemon answers.
            figures = [client.get("/api/v1/monitor/metrics").json() for client in (a, b)]
            database_wide = [(f["total_count"], f["by_status"], f["in_flight"], f["queue_depth_by_priority"])
                             for f in figures]
            assert database_wide[0] == database_wide[1]
            assert database_wide[0][0] == database_wide[0][1]["completed"] == TASK_COUNT
        for daemon in (first, second):
            assert daemon.process.returncode == 0, daemon.log()
