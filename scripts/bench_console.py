"""The console_pages figure of scripts/bench.py: how fast the web console's pages answer over
loopback HTTP with 100 000 tasks in the table (10 000 with --quick, 1 000 with --smoke).

The tasks are 30 days of history: 90 % completed, 5 % failed, 1 % timed out, 1 % cancelled, the
rest pending, spread evenly over three accounts, each with its creation and final event. The
console runs in a server process of its own (uvicorn, the router contenthubd mounts); requests
are sequential, after a warm-up. The overview is measured again with 20 new tasks written before
each request (their events are what its counts by status add to their last full count, as on a
busy queue). The topic search for a word no task has reads every row (see
docs/console.md) and is reported beside the pages, outside the goal.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_size import Size, sized

GOAL_P95_MS = 50.0
SERVER = """
import asyncio, sys
import uvicorn
from fastapi import FastAPI
from contenthub_async.clock import SystemClock
from contenthub_async.http.console import ConsoleConfig, console_router
from contenthub_async.store.database import Database

async def main() -> None:
    db = Database.open(sys.argv[1])
    app = FastAPI()
    app.include_router(console_router(ConsoleConfig(db, SystemClock(), 5, None)))
    config = uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
    await uvicorn.Server(config).serve()

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


async def _prepare(url: str) -> None:
    from contenthub_async.clock import SystemClock
    from contenthub_async.services import job_commands
    from contenthub_async.store import accounts as account_store
    from contenthub_async.store.database import Database
    from contenthub_async.store.migrations import migrate

    db = Database.open(url)
    try:
        await migrate(db)
        async with db.write() as conn:
            for account_id in (1, 2, 3):
                await account_store.insert_account(conn, name=f"账号 {account_id}", now=SystemClock().now(),
                                                   account_id=account_id)
        for name, cron in (("nightly-cleanup", "0 3 * * *"), ("morning-batch", "0 8 * * *")):
            await job_commands.create_job(db, name=name, job_type="cleanup", cron_expr=cron, timezone="UTC",
                                          params={"days": 30}, clock=SystemClock())
    finally:
        await db.close()


def seed_sqlite(path: Path, n: int) -> None:
    """``n`` tasks of history in a fresh database at ``path`` (raw sqlite3: seeding is not measured)."""
    asyncio.run(_prepare(f"sqlite:///{path}"))
    now = datetime.now(UTC)
    rnd = random.Random(14)
    rows = []
    for i in range(n):
        created = now - timedelta(days=30) + timedelta(seconds=30 * 86400 * i / n)
        r = rnd.random()
        status = ("completed" if r < 0.90 else "failed" if r < 0.95 else "timeout" if r < 0.96
                  else "cancelled" if r < 0.97 else "pending")
        finished = min(created + timedelta(seconds=rnd.uniform(60, 600)), now) if status != "pending" else None
        error = rnd.choice(("创作失败: rate limited", "content-creator timed out", "task lost")) \
            if status in ("failed", "timeout") else None
        rows.append((f"task-{secrets.token_hex(6)}", rnd.choice((1, 2, 3)), f"话题 {i} 第 {rnd.randrange(1000)} 期",
                     status, rnd.randrange(11), _iso(created), 100 if status == "completed" else 0,
                     _iso(finished) if finished else None, error, _iso(created), _iso(finished or created)))
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO content_generation_tasks (task_id, account_id, topic, status, priority, run_after, progress,"
            " completed_at, error_message, created_at, updated_at, retry_count, max_retries, auto_approve, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 3, 1, 'cli')", rows)
        conn.execute("INSERT INTO task_events (generation_task_id, at, from_status, to_status, actor, message)"
                     " SELECT id, created_at, NULL, 'pending', 'cli', 'submitted' FROM content_generation_tasks")
        conn.execute("INSERT INTO task_events (generation_task_id, at, from_status, to_status, actor, message)"
                     " SELECT id, updated_at, 'processing', status, 'bench', error_message"
                     " FROM content_generation_tasks WHERE status <> 'pending'")
        conn.execute("ANALYZE")


BETWEEN = 20


def _add_pending_tasks(path: Path, n: int) -> None:
    """``n`` more pending tasks with their creation events, written as the service does."""
    now = _iso(datetime.now(UTC))
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO content_generation_tasks (task_id, account_id, topic, status, priority, run_after, progress,"
            " created_at, updated_at, retry_count, max_retries, auto_approve, source)"
            " VALUES (?, 1, ?, 'pending', 5, ?, 0, ?, ?, 0, 3, 1, 'cli')",
            [(f"task-{secrets.token_hex(6)}", f"新话题 {i}", now, now, now) for i in range(n)])
        conn.execute("INSERT INTO task_events (generation_task_id, at, from_status, to_status, actor, message)"
                     " SELECT id, created_at, NULL, 'pending', 'cli', 'submitted' FROM content_generation_tasks"
                     " WHERE id > (SELECT max(generation_task_id) FROM task_events)")


def _sample(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:
        failed = conn.execute("SELECT task_id FROM content_generation_tasks WHERE status = 'failed'"
                              " ORDER BY id DESC LIMIT 1").fetchone()[0]
        middle = conn.execute("SELECT id FROM content_generation_tasks ORDER BY id"
                              " LIMIT 1 OFFSET (SELECT count(*) / 2 FROM content_generation_tasks)").fetchone()[0]
    return {"failed": failed, "middle": middle}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_console_pages(tmp: Path, size: Size) -> dict[str, Any]:
    import httpx

    n = sized(size, 100_000, 10_000, 1_000)
    requests_per_page = sized(size, 60, 20, 3)
    db_path = tmp / "console.db"
    started = time.perf_counter()
    seed_sqlite(db_path, n)
    seed_seconds = time.perf_counter() - started
    sample = _sample(db_path)
    pages = {
        "overview": "/",
        "overview live part": "/fragments/overview",
        "tasks": "/tasks",
        "tasks, status failed": "/tasks?status=failed",
        "tasks, one account": "/tasks?account=2",
        "tasks, page in the middle": f"/tasks?after={sample['middle']}",
        "tasks, task id prefix": f"/tasks?q={sample['failed'][:9]}",
        "task page": f"/tasks/{sample['failed']}",
        "scheduler": "/scheduler",
        "publish pool": "/pool",
    }
    scan = {"tasks, topic word no task has": "/tasks?q=nowhere-to-be-found"}
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    server = subprocess.Popen([sys.executable, "-c", SERVER, f"sqlite:///{db_path}", str(port)], env=env,
                              start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/static/console.css").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the console server did not start")
                time.sleep(0.1)

            def measure(path: str, count: int, between: Callable[[], None] | None = None) -> dict[str, Any]:
                for _ in range(3):
                    assert client.get(path).status_code == 200, path
                times = []
                for _ in range(count):
                    if between is not None:
                        between()  # not timed
                    t0 = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, path
                return {"path": path, "requests": count, "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(_percentile(times, 0.95), 1), "bytes": len(response.content)}

            baseline = measure("/static/console.css", requests_per_page)
            results = {name: measure(path, requests_per_page) for name, path in pages.items()}
            # The counts by status add the task events written since their last full count: read
            # the overview again while tasks are written between the requests, as on a busy queue.
            results[f"overview, {BETWEEN} tasks written between requests"] = measure(
                "/", requests_per_page, between=lambda: _add_pending_tasks(db_path, BETWEEN))
            scans = {name: measure(path, max(5, requests_per_page // 6)) for name, path in scan.items()}
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    worst = max(r["p95_ms"] for r in results.values())
    for page in (*results.values(), *scans.values()):
        page["p50_ratio_to_baseline"] = round(page["p50_ms"] / max(baseline["p50_ms"], 0.1), 1)
    return {"tasks": n, "seed_seconds": round(seed_seconds, 1), "pages": results, "linear_scans": scans,
            "baseline_static_file": baseline,
            "worst_p95_ms": worst, "goal_p95_ms": GOAL_P95_MS, "goal_met": worst <= GOAL_P95_MS,
            "load_average_1min": round(os.getloadavg()[0], 1)}


def table_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measurement, value, note) lines of the figure for bench.py's table."""
    rows = [(f"{r['tasks']} tasks; worst page p95 (goal {r['goal_p95_ms']:g} ms)", f"{r['worst_p95_ms']} ms",
             "met" if r["goal_met"] else "missed")]
    for name, page in {**r["pages"], **r["linear_scans"]}.items():
        rows.append((f"  {name}: p50 / p95", f"{page['p50_ms']} / {page['p95_ms']} ms",
                     f"{page['p50_ratio_to_baseline']}x"))
    base = r["baseline_static_file"]
    rows.append(("  baseline: GET /static/console.css p50 / p95", f"{base['p50_ms']} / {base['p95_ms']} ms", ""))
    rows.append(("  load average (1 min) at the end", str(r["load_average_1min"]), ""))
    return rows
