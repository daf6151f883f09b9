"""8 processes submitting 200 tasks each, at once, into one SQLite file: nothing lost, no lock errors."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from contenthub_async.clock import SystemClock
from contenthub_async.store import accounts as account_store
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate
from tests.support.processes import started_in_own_session

SUBMITTER = """
import asyncio, sys
from contenthub_async.clock import SystemClock
from contenthub_async.domain.submission import validate_submission
from contenthub_async.services.task_commands import submit_tasks
from contenthub_async.store.database import Database

async def main(url, worker, count):
    db = Database.open(url)
    try:
        for i in range(count):  # one transaction per task, like separate submit commands
            task = validate_submission(account_id=1, topic=f"worker {worker} task {i}", priority=i % 11)
            await submit_tasks(db, [task], clock=SystemClock(), actor="cli")
    finally:
        await db.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


@pytest.mark.slow
def test_eight_processes_two_hundred_tasks_each(tmp_path: Path) -> None:
    path = tmp_path / "contenthub.db"
    url = f"sqlite:///{path}"

    async def prepare() -> None:
        db = Database.open(url)
        try:
            await migrate(db)
            async with db.write() as conn:
                await account_store.insert_account(conn, name="acc", now=SystemClock().now(), account_id=1)
        finally:
            await db.close()

    asyncio.run(prepare())
    processes = [
        started_in_own_session(
            [sys.executable, "-c", SUBMITTER, url, str(worker), "200"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for worker in range(8)
    ]
    outcomes = [(p.wait(timeout=600), p.stderr.read() if p.stderr else "") for p in processes]
    for code, stderr in outcomes:
        assert code == 0, stderr
        assert "locked" not in stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM content_generation_tasks").fetchone()[0] == 1600
        assert conn.execute("SELECT count(DISTINCT task_id) FROM content_generation_tasks").fetchone()[0] == 1600
        assert conn.execute("SELECT count(*) FROM task_events WHERE to_status = 'pending'").fetchone()[0] == 1600
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
