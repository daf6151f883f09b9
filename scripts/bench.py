#!/usr/bin/env python3
"""Benchmark of contenthub-async: submit latency, enqueue/claim throughput, pickup latency,
end-to-end throughput, the two creator modes, tracking cost, daemon memory, the PostgreSQL
figures, crash recovery, the web console's page times (scripts/bench_console.py) and publishing with dir:
(scripts/bench_publishing.py).

    python scripts/bench.py [--quick | --smoke] [--output bench-results.json] [--only NAME[,NAME]]

Stdlib plus the project's own dependencies. Every timing is the median of several runs
and is also given as a ratio to a baseline measured in the same run (absolute times drift
on shared machines). Everything happens in a temporary directory; child processes are
stopped at the end. Figures: submit_latency, bulk_enqueue, claim_throughput,
pickup_latency, end_to_end, creator_modes, tracking_cost, memory, postgresql, recovery,
console_pages, publishing, http_api (scripts/bench_http.py), webhooks (scripts/bench_webhooks.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import structlog  # noqa: E402

from contenthub_async.clock import SystemClock  # noqa: E402
from contenthub_async.creator.cli import CliCreator  # noqa: E402
from contenthub_async.domain.submission import NewTask  # noqa: E402
from contenthub_async.services.context import Knobs, ServiceContext  # noqa: E402
from contenthub_async.services.dispatcher import Dispatcher  # noqa: E402
from contenthub_async.services.tracker import Tracker  # noqa: E402
from contenthub_async.services.wakeup import Wakeup  # noqa: E402
from contenthub_async.store import accounts as account_store  # noqa: E402
from contenthub_async.store import tasks as task_store  # noqa: E402
from contenthub_async.store.database import Database  # noqa: E402
from contenthub_async.store.migrations import migrate  # noqa: E402
from contenthub_async.store.types import format_utc  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import bench_console  # noqa: E402
import bench_http  # noqa: E402
import bench_publishing  # noqa: E402
import bench_webhooks  # noqa: E402
from bench_size import Size, sized  # noqa: E402

FIGURES = ["submit_latency", "bulk_enqueue", "claim_throughput", "pickup_latency", "end_to_end",
           "creator_modes", "tracking_cost", "memory", "postgresql", "recovery", "console_pages", "publishing",
           "http_api", "webhooks"]
FAKE_CREATOR = ROOT / "scripts" / "fake-content-creator"
BIN = Path(sys.executable).parent
CONTENTHUBD = BIN / "contenthubd"
CTL = BIN / "contenthub-ctl"
POSTGRES_URL = os.environ.get("CONTENTHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ACCOUNT = 1

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only, in-process

CHILDREN: list[subprocess.Popen[bytes]] = []


# ------------------------------------------------------------------ helpers


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rnd(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}") if abs(x) < 10 ** digits else round(x)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_CREATOR_", "ASYNC_", "CONTENTHUB_"))}
    env.pop("DATABASE_URL", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def fake_env(state: Path, **knobs: Any) -> dict[str, str]:
    base = {
        "FAKE_CREATOR_STATE_DIR": str(state),
        "FAKE_CREATOR_LATENCY": "0",
        "FAKE_CREATOR_PENDING_SECONDS": "0",
        "FAKE_CREATOR_STARTUP_DELAY": "0",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    base.update({f"FAKE_CREATOR_{k.upper()}": str(v) for k, v in knobs.items()})
    return base


def invocations(state: Path) -> list[tuple[float, str]]:
    log = state / "invocations.log"
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append((float(parts[0]), parts[2]))
    return out


def daemon_env(db_url: str, state: Path, fake: dict[str, Any] | None = None, **overrides: Any) -> dict[str, str]:
    env = clean_env()
    env.update({
        "ASYNC_POLL_INTERVAL": "0.2",
        "ASYNC_RETRY_BACKOFF": "0.2",
        "CONTENTHUB_RETRY_BACKOFF_MAX": "2",
        "CONTENTHUB_JANITOR_INTERVAL": "1",
        "CONTENTHUB_HEARTBEAT_INTERVAL": "2",
        "CONTENTHUB_CREATOR_CALL_TIMEOUT": "30",
        "CONTENTHUB_LEASE_SECONDS": "60",
        "CONTENTHUB_PUBLISH_TIMEOUT": "30",  # the lease must outlast a publish call
        "CONTENTHUB_SHUTDOWN_GRACE": "5",
        "CONTENTHUB_LOG_LEVEL": "warning",
        "CONTENTHUB_LOG_FORMAT": "json",
        "CONTENTHUB_HTTP_LISTEN": "",  # the default port may be taken; the http_api figure gives one
    })
    env.update({k: str(v) for k, v in overrides.items()})
    env.update(DATABASE_URL=db_url, CREATOR_CLI_PATH=str(FAKE_CREATOR),
               CONTENTHUB_CREATOR_ENV=json.dumps(fake_env(state, **(fake or {}))))
    return env


def start_daemon(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen([str(CONTENTHUBD)], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    CHILDREN.append(proc)
    return proc


def stop_daemon(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of process ``pid`` itself, of its children it has waited for), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    ticks = os.sysconf("SC_CLK_TCK")
    return (utime + stime) / ticks, (cutime + cstime) / ticks


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


async def prepare_db(url: str) -> None:
    db = Database.open(url)
    try:
        await migrate(db)
        async with db.write() as conn:
            await account_store.insert_account(conn, name="bench", now=SystemClock().now(), account_id=ACCOUNT)
    finally:
        await db.close()


def new_tasks(n: int, prefix: str = "bench") -> list[NewTask]:
    return [NewTask(account_id=ACCOUNT, topic=f"{prefix} {i}", keywords="AI,bench", priority=i % 10)
            for i in range(n)]


async def insert_pending(url: str, n: int, chunk: int = 20_000) -> None:
    db = Database.open(url)
    try:
        for start in range(0, n, chunk):
            async with db.write() as conn:
                await task_store.insert_tasks(conn, new_tasks(min(chunk, n - start), f"p{start}"),
                                              now=SystemClock().now(), actor="bench")
    finally:
        await db.close()


def fill_pending_sqlite(db_path: Path, n: int) -> None:
    """Set-up only (not measured): n pending tasks with their events, via stdlib sqlite3."""
    raw_insert(db_path, n)


async def fill_pending_pg(url: str, n: int) -> None:
    """Set-up only (not measured): n pending tasks with their events, generated server-side."""
    from sqlalchemy import text

    db = Database.open(url, pool_size=1)
    try:
        async with db.write() as conn:
            now = SystemClock().now()
            await conn.execute(text(
                "INSERT INTO content_generation_tasks (task_id, account_id, topic, keywords, status, priority,"
                " retry_count, max_retries, run_after, auto_approve, source, progress, created_at, updated_at)"
                " SELECT 'task-pg' || lpad(to_hex(g), 8, '0'), :account, 'pg ' || g, 'AI,bench', 'pending', g % 10,"
                " 0, 3, :now, true, 'cli', 0, :now, :now FROM generate_series(1, :n) AS g"), {"account": ACCOUNT, "now": now, "n": n})
            await conn.execute(text(
                "INSERT INTO task_events (generation_task_id, at, from_status, to_status, actor, message)"
                " SELECT id, :now, NULL, 'pending', 'bench', 'submitted' FROM content_generation_tasks"),
                {"now": now})
    finally:
        await db.close()


async def status_counts(url: str) -> dict[str, int]:
    db = Database.open(url, pool_size=1)
    try:
        async with db.read() as conn:
            return await task_store.count_by_status(conn)
    finally:
        await db.close()


# ------------------------------------------------------------------ PostgreSQL


def pg_admin(sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)

    async def run() -> None:
        conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432,
                                     user=url.username or "postgres", password=url.password,
                                     database=url.database, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


class PgSchema:
    def __init__(self) -> None:
        self.name = "bench_" + uuid.uuid4().hex[:12]

    def __enter__(self) -> str:
        pg_admin(f"CREATE SCHEMA {self.name}")
        return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={self.name}"

    def __exit__(self, *exc: object) -> None:
        pg_admin(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")


# ------------------------------------------------------------------ 1. submit latency


#: The start-up goal of the everyday commands: this many bare interpreter starts.
CTL_GOAL_RATIO = 20


def bench_submit_latency(tmp: Path, size: Size) -> dict[str, Any]:
    """Wall time of whole `contenthub-ctl` processes (start-up, imports, one database
    transaction): submit, then status, list and cancel of the task it queued, each round
    interleaved with a bare `python -c pass`, so drift hits all alike."""
    runs = sized(size, 20, 5, 1)
    db_path = tmp / "submit.db"
    asyncio.run(prepare_db(sqlite_url(db_path)))
    env = clean_env()
    env["DATABASE_URL"] = sqlite_url(db_path)
    env["CONTENTHUB_LOG_LEVEL"] = "warning"

    def timed(cmd: list[str]) -> tuple[float, str]:
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return time.perf_counter() - started, done.stdout

    times: dict[str, list[float]] = {"baseline": [], "submit": [], "status": [], "list": [], "cancel": []}
    for i in range(runs):
        times["baseline"].append(timed([sys.executable, "-c", "pass"])[0])
        seconds, out = timed([str(CTL), "submit", "-a", str(ACCOUNT), "-t", f"bench topic {i}"])
        times["submit"].append(seconds)
        task_id = out.split()[0]
        times["status"].append(timed([str(CTL), "status", task_id])[0])
        times["list"].append(timed([str(CTL), "list"])[0])
        times["cancel"].append(timed([str(CTL), "cancel", task_id])[0])
    baseline, best_baseline = median(times["baseline"]), min(times["baseline"])
    commands = {
        name: {"seconds": rnd(median(times[name])), "best_seconds": rnd(min(times[name])),
               "ratio_to_baseline": rnd(median(times[name]) / baseline),
               "best_ratio_to_baseline": rnd(min(times[name]) / best_baseline)}
        for name in ("submit", "status", "list", "cancel")
    }
    return {"runs": runs, "seconds": commands["submit"]["seconds"], "baseline_python_c_pass_seconds": rnd(baseline),
            "best_baseline_seconds": rnd(best_baseline), "ratio_to_baseline": commands["submit"]["ratio_to_baseline"],
            "goal_ratio": CTL_GOAL_RATIO, "commands": commands, "unit": "s"}


# ------------------------------------------------------------------ 2. bulk enqueue


def raw_insert(path: Path, n: int) -> float:
    """Baseline: the same rows (task + creation event) with stdlib sqlite3 executemany."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"):
        con.execute(pragma)
    now = format_utc(datetime.now(UTC))
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    first = con.execute("SELECT coalesce(max(id), 0) FROM content_generation_tasks").fetchone()[0] + 1
    con.executemany(
        "INSERT INTO content_generation_tasks (task_id, account_id, topic, keywords, status, priority, retry_count,"
        " max_retries, run_after, auto_approve, source, progress, created_at, updated_at)"
        " VALUES (?, ?, ?, 'AI,bench', 'pending', ?, 0, 3, ?, 1, 'cli', 0, ?, ?)",
        ((f"task-raw{i:08x}", ACCOUNT, f"raw {i}", i % 10, now, now, now) for i in range(n)))
    con.executemany(
        "INSERT INTO task_events (generation_task_id, at, from_status, to_status, actor, message)"
        " VALUES (?, ?, NULL, 'pending', 'bench', 'submitted')",
        ((first + i, now) for i in range(n)))
    con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def bench_bulk_enqueue(tmp: Path, size: Size) -> dict[str, Any]:
    n = sized(size, 100_000, 10_000, 1_000)
    runs = sized(size, 2, 2, 1)
    template = tmp / "enqueue-template.db"
    asyncio.run(prepare_db(sqlite_url(template)))
    ours, raw = [], []
    for i in range(runs):
        path = tmp / f"enqueue-{i}.db"
        shutil.copy(template, path)
        tasks = new_tasks(n)

        async def run() -> float:
            db = Database.open(sqlite_url(path))
            try:
                started = time.perf_counter()
                async with db.write() as conn:
                    await task_store.insert_tasks(conn, tasks, now=SystemClock().now(), actor="bench")
                return time.perf_counter() - started
            finally:
                await db.close()

        ours.append(asyncio.run(run()))
        raw_path = tmp / f"enqueue-raw-{i}.db"
        shutil.copy(template, raw_path)
        raw.append(raw_insert(raw_path, n))
        path.unlink()
        raw_path.unlink()
    ours_s, raw_s = median(ours), median(raw)
    return {
        "tasks": n, "runs": runs,
        "store_api_tasks_per_s": rnd(n / ours_s),
        "baseline_raw_sqlite3_tasks_per_s": rnd(n / raw_s),
        "ratio_to_baseline": rnd(raw_s / ours_s),
        "csv_import": bench_csv_import(tmp, template, n, runs),
        "unit": "tasks/s",
    }


def bench_csv_import(tmp: Path, template: Path, n: int, runs: int) -> dict[str, Any]:
    """The real `contenthub-ctl import` of an n-row CSV file (process start-up included), median of runs."""
    csv_path = tmp / "import.csv"
    rows = [f'{ACCOUNT},"bench {i}","AI,bench",{i % 10},true' for i in range(n)]
    csv_path.write_text("account_id,topic,keywords,priority,auto_approve\n" + "\n".join(rows) + "\n")
    seconds = []
    for i in range(runs):
        db_path = tmp / f"import-{i}.db"
        shutil.copy(template, db_path)
        env = clean_env()
        env["DATABASE_URL"] = sqlite_url(db_path)
        started = time.perf_counter()
        subprocess.run([str(CTL), "import", str(csv_path)], env=env, check=True, stdout=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - started)
        with sqlite3.connect(db_path) as check:
            imported = check.execute("SELECT count(*) FROM content_generation_tasks").fetchone()[0]
        db_path.unlink()
        if imported != n:
            raise RuntimeError(f"import stored {imported} of {n} rows")
    elapsed = median(seconds)
    return {"tasks": n, "runs": runs, "seconds": rnd(elapsed), "tasks_per_s": rnd(n / elapsed)}


# ------------------------------------------------------------------ 3. claim throughput


CLAIM_SQL_SQLITE = (
    "UPDATE content_generation_tasks SET status = 'submitting', lease_owner = ?, lease_expires_at = ?, updated_at = ?"
    " WHERE id IN (SELECT id FROM content_generation_tasks WHERE status = 'pending' AND run_after <= ?"
    " ORDER BY priority DESC, id LIMIT ?) RETURNING *"
)
CLAIM_SQL_PG = (
    "UPDATE content_generation_tasks SET status = 'submitting', lease_owner = $1, lease_expires_at = $2,"
    " updated_at = $3 WHERE id IN (SELECT id FROM content_generation_tasks WHERE status = 'pending'"
    " AND run_after <= $4 ORDER BY priority DESC, id LIMIT $5 FOR UPDATE SKIP LOCKED) RETURNING *"
)


async def claim_ours(url: str, batch: int, transactions: int) -> tuple[int, float]:
    db = Database.open(url)
    try:
        async with db.write() as conn:  # warm-up (cold page cache of a fresh copy), not timed
            await task_store.lock_claims(conn)
            await task_store.claim_tasks(conn, owner="bench", limit=batch, now=SystemClock().now(), lease_seconds=300)
        claimed = 0
        started = time.perf_counter()
        for _ in range(transactions):
            async with db.write() as conn:
                await task_store.lock_claims(conn)
                got = await task_store.claim_tasks(conn, owner="bench", limit=batch, now=SystemClock().now(),
                                                   lease_seconds=300)
            claimed += len(got)
            if not got:
                break
        return claimed, time.perf_counter() - started
    finally:
        await db.close()


def claim_raw_sqlite(path: Path, batch: int, transactions: int) -> tuple[int, float]:
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"):
        con.execute(pragma)
    now = format_utc(datetime.now(UTC))
    con.execute("BEGIN IMMEDIATE")  # warm-up, not timed
    con.execute(CLAIM_SQL_SQLITE, ("bench", now, now, now, batch)).fetchall()
    con.execute("COMMIT")
    claimed = 0
    started = time.perf_counter()
    for _ in range(transactions):
        now = format_utc(datetime.now(UTC))
        con.execute("BEGIN IMMEDIATE")
        rows = con.execute(CLAIM_SQL_SQLITE, ("bench", now, now, now, batch)).fetchall()
        con.execute("COMMIT")
        claimed += len(rows)
        if not rows:
            break
    elapsed = time.perf_counter() - started
    con.close()
    return claimed, elapsed


async def claim_raw_pg(url: str, batch: int, transactions: int) -> tuple[int, float]:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    schema = dict(parsed.query).get("schema")
    conn = await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                 user=parsed.username or "postgres", password=parsed.password,
                                 database=parsed.database, server_settings={"search_path": schema} if schema else None)
    try:
        now = datetime.now(UTC)
        async with conn.transaction():  # warm-up, not timed
            await conn.fetch(CLAIM_SQL_PG, "bench", now, now, now, batch)
        claimed = 0
        started = time.perf_counter()
        for _ in range(transactions):
            now = datetime.now(UTC)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('contenthub.claim'))")
                rows = await conn.fetch(CLAIM_SQL_PG, "bench", now, now, now, batch)
            claimed += len(rows)
            if not rows:
                break
        return claimed, time.perf_counter() - started
    finally:
        await conn.close()


async def reset_claims_pg(url: str) -> None:
    db = Database.open(url, pool_size=1)
    try:
        from sqlalchemy import text

        async with db.write() as conn:
            await conn.execute(text("UPDATE content_generation_tasks SET status = 'pending', lease_owner = NULL,"
                                    " lease_expires_at = NULL WHERE status = 'submitting'"))
            await conn.execute(text("DELETE FROM task_events WHERE to_status = 'submitting'"))
        async with db.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE content_generation_tasks"))
            await conn.execute(text("VACUUM ANALYZE task_events"))
    finally:
        await db.close()


def claim_plan(size: Size) -> dict[int, int]:
    """Transactions per batch size (the table keeps ~all its pending rows throughout)."""
    return sized(size, {1: 500, 16: 200, 64: 100}, {1: 100, 16: 40, 64: 20}, {1: 10, 16: 3, 64: 2})


def bench_claim_sqlite(tmp: Path, size: Size) -> dict[str, Any]:
    n = sized(size, 100_000, 20_000, 2_000)
    runs = sized(size, 3, 2, 1)
    base = tmp / "claim-base.db"
    url = sqlite_url(base)
    asyncio.run(prepare_db(url))
    fill_pending_sqlite(base, n)
    out: dict[str, Any] = {"pending_rows": n, "runs": runs, "unit": "tasks/s", "batches": {}}
    for batch, transactions in claim_plan(size).items():
        ours, raw = [], []
        for i in range(runs):
            copy = tmp / f"claim-{batch}-{i}.db"
            shutil.copy(base, copy)
            claimed, elapsed = asyncio.run(claim_ours(sqlite_url(copy), batch, transactions))
            ours.append(claimed / elapsed)
            copy.unlink()
            for suffix in ("-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            copy = tmp / f"claim-raw-{batch}-{i}.db"
            shutil.copy(base, copy)
            claimed, elapsed = claim_raw_sqlite(copy, batch, transactions)
            raw.append(claimed / elapsed)
            copy.unlink()
            for suffix in ("-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        out["batches"][str(batch)] = {
            "transactions": transactions, "ours_tasks_per_s": rnd(median(ours)),
            "ceiling_raw_tasks_per_s": rnd(median(raw)), "ratio_to_ceiling": rnd(median(ours) / median(raw)),
        }
    return out


async def bench_claim_pg(url: str, size: Size) -> dict[str, Any]:
    n = sized(size, 100_000, 20_000, 2_000)
    runs = sized(size, 3, 2, 1)
    await prepare_db(url)
    await fill_pending_pg(url, n)
    await reset_claims_pg(url)
    out: dict[str, Any] = {"pending_rows": n, "runs": runs, "unit": "tasks/s", "batches": {}}
    for batch, transactions in claim_plan(size).items():
        ours, raw = [], []
        for _ in range(runs):
            claimed, elapsed = await claim_ours(url, batch, transactions)
            ours.append(claimed / elapsed)
            await reset_claims_pg(url)
            claimed, elapsed = await claim_raw_pg(url, batch, transactions)
            raw.append(claimed / elapsed)
            await reset_claims_pg(url)
        out["batches"][str(batch)] = {
            "transactions": transactions, "ours_tasks_per_s": rnd(median(ours)),
            "ceiling_raw_tasks_per_s": rnd(median(raw)), "ratio_to_ceiling": rnd(median(ours) / median(raw)),
        }
    return out


# ------------------------------------------------------------------ 4. pickup latency


def fake_spawn_latency(tmp: Path, runs: int) -> float:
    """Baseline: from just before spawning the fake creator to its invocations.log line."""
    state = tmp / "fake-spawn"
    env = clean_env()
    env.update(fake_env(state))
    samples = []
    for _ in range(runs):
        before = len(invocations(state))
        started = time.time()
        subprocess.run([str(FAKE_CREATOR), "--version"], env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append(invocations(state)[before][0] - started)
    return median(samples)


async def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def bench_pickup_latency(tmp: Path, size: Size) -> dict[str, Any]:
    n = sized(size, 100, 20, 5)
    db_path = tmp / "pickup.db"
    url = sqlite_url(db_path)
    state = tmp / "pickup-fake"
    asyncio.run(prepare_db(url))
    daemon = start_daemon(daemon_env(url, state), tmp / "pickup-daemon.log")
    samples: list[float] = []

    async def run() -> None:
        db = Database.open(url, pool_size=1)
        try:
            await wait_for(lambda: db_ready(db_path), 30, 0.05)
            await asyncio.sleep(1.0)  # idle
            for i in range(n):
                before = sum(1 for _, c in invocations(state) if c == "create")
                async with db.write() as conn:
                    await task_store.insert_tasks(conn, [NewTask(account_id=ACCOUNT, topic=f"pickup {i}")],
                                                  now=SystemClock().now(), actor="bench")
                committed = time.time()
                await wait_for(lambda: sum(1 for _, c in invocations(state) if c == "create") > before, 30)
                spawned = [t for t, c in invocations(state) if c == "create"][before]
                samples.append(spawned - committed)
                await asyncio.sleep(0.15 + (i % 5) * 0.02)  # back to idle, varying phase
        finally:
            await db.close()

    try:
        asyncio.run(run())
    finally:
        stop_daemon(daemon)
    baseline = fake_spawn_latency(tmp, 10)
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    return {"submits": n, "p50_seconds": rnd(p50), "p95_seconds": rnd(p95),
            "baseline_fake_creator_spawn_seconds": rnd(baseline), "p50_ratio_to_baseline": rnd(p50 / baseline),
            "unit": "s"}


def db_ready(db_path: Path) -> bool:
    """The daemon registered itself (it is past start-up)."""
    try:
        with sqlite3.connect(db_path, timeout=5) as con:
            return con.execute("SELECT count(*) FROM daemons").fetchone()[0] > 0
    except sqlite3.Error:
        return False


# ------------------------------------------------------------------ 5. end to end


async def run_end_to_end(url: str, tmp: Path, label: str, n: int, concurrency: int,
                         fake: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """One run: ``n`` pending tasks, a fresh daemon, until all are completed.

    Timed from the first creator call (daemon start-up excluded) to the poll that sees the last
    task completed (0.1 s polling). CPU: the daemon's own, and its reaped children's (the
    creator processes, and in sync mode their guards), read just before it is stopped.
    """
    state = tmp / f"e2e-fake-{label}"
    await insert_pending(url, n)
    settings = {"ASYNC_MAX_CONCURRENT_TASKS": concurrency, "CONTENTHUB_CREATOR_MAX_PROCESSES": max(4, min(concurrency, 8)),
                **overrides}
    env = daemon_env(url, state, fake, **settings)
    started = time.perf_counter()
    daemon = start_daemon(env, tmp / f"e2e-daemon-{label}.log")
    try:
        db = Database.open(url, pool_size=1)
        try:
            while True:
                async with db.read() as conn:
                    counts = await task_store.count_by_status(conn)
                if counts.get("completed", 0) >= n:
                    break
                if daemon.poll() is not None:
                    raise RuntimeError(f"daemon exited with {daemon.returncode}")
                if time.perf_counter() - started > 600:
                    raise TimeoutError(f"not finished: {counts}")
                await asyncio.sleep(0.1)
        finally:
            await db.close()
        finished = time.time()
        daemon_cpu, creator_cpu = cpu_seconds(daemon.pid)
    finally:
        stop_daemon(daemon)
    calls = invocations(state)
    elapsed = finished - calls[0][0]
    by_command: dict[str, int] = {}
    for _, command in calls:
        by_command[command] = by_command.get(command, 0) + 1
    return {"tasks": n, "seconds": rnd(elapsed), "tasks_per_s": rnd(n / elapsed),
            "creator_processes_per_task": rnd(len(calls) / n), "creator_calls": by_command,
            "creator_cpu_seconds_per_task": rnd(creator_cpu / n), "daemon_cpu_seconds_per_task": rnd(daemon_cpu / n)}


# Tasks per end-to-end run, each size run E2E_RUNS times on a fresh database (the median is
# reported). Fewer than 2 000 tasks per run: every task costs ~2.2 fake-creator processes of
# ~20 ms CPU each, so 2 000 tasks x 2 concurrencies x 2 backends alone would need ~4 minutes
# of both cores, over the whole benchmark's 5-minute budget. The rate is flat after the first
# seconds (see docs/BENCHMARKS.md), so the smaller count changes the figure little.
E2E_TASKS = {"sqlite": {5: 100, 50: 200}, "postgresql": {5: 80, 50: 150}}
E2E_TASKS_QUICK = {"sqlite": {5: 20, 50: 50}, "postgresql": {5: 15, 50: 30}}
E2E_TASKS_SMOKE = {"sqlite": {5: 5, 50: 10}, "postgresql": {5: 5, 50: 10}}
E2E_RUNS, E2E_RUNS_QUICK = 3, 2


def e2e_tasks(backend: str, concurrency: int, size: Size) -> int:
    return sized(size, E2E_TASKS, E2E_TASKS_QUICK, E2E_TASKS_SMOKE)[backend][concurrency]


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate (the lower middle one of an even count), with every run's rate."""
    ordered = sorted(runs, key=lambda r: r["tasks_per_s"])
    return {**ordered[(len(ordered) - 1) // 2], "runs": len(runs), "tasks_per_s_all_runs": [r["tasks_per_s"] for r in runs]}


def end_to_end(backend: str, fresh_url: Callable[[str], AbstractContextManager[str]], tmp: Path,
               size: Size) -> dict[str, Any]:
    """Both concurrencies on ``backend``; ``fresh_url(run_label)`` gives an empty database per run."""
    out: dict[str, Any] = {"unit": "tasks/s", "runs": sized(size, E2E_RUNS, E2E_RUNS_QUICK, 1), "poll_interval": 0.2}
    for concurrency in (5, 50):
        n = e2e_tasks(backend, concurrency, size)
        runs = []
        for i in range(out["runs"]):
            label = f"{backend}-{concurrency}-{i}"
            with fresh_url(label) as url:
                asyncio.run(prepare_db(url))
                runs.append(asyncio.run(run_end_to_end(url, tmp, label, n, concurrency)))
        out[f"concurrency_{concurrency}"] = median_run(runs)
    return out


def bench_end_to_end_sqlite(tmp: Path, size: Size) -> dict[str, Any]:
    @contextmanager
    def fresh_sqlite(label: str) -> Iterator[str]:
        yield sqlite_url(tmp / f"e2e-{label}.db")

    out = end_to_end("sqlite", fresh_sqlite, tmp, size)
    baseline = fake_spawn_latency(tmp, 10)
    out["baseline_fake_creator_spawn_seconds"] = rnd(baseline)
    for concurrency in (5, 50):
        row = out[f"concurrency_{concurrency}"]
        # share of the serial spawn rate of the creator (1 / spawn latency) the pipeline achieves
        row["creator_spawn_rate_ratio"] = rnd(row["tasks_per_s"] * row["creator_processes_per_task"] * baseline)
    return out


# ------------------------------------------------------------------ 5b. the two creator modes

#: The fake creator's generation time in the mode comparison: long enough that async mode's
#: polling and sync mode's process-per-task both show, short enough for the time budget.
MODES_LATENCY = 1.0
MODES_TASKS, MODES_TASKS_QUICK = 60, 10
MODES_RUNS, MODES_RUNS_QUICK = 3, 1
MODES_CONCURRENCY = 5


def bench_creator_modes(tmp: Path, size: Size) -> dict[str, Any]:
    """The same tasks end to end in CREATOR_MODE=async and =sync (SQLite, fresh database each run):
    rate, creator processes and creator CPU per task."""
    n = sized(size, MODES_TASKS, MODES_TASKS_QUICK, MODES_CONCURRENCY)
    runs = sized(size, MODES_RUNS, MODES_RUNS_QUICK, 1)
    out: dict[str, Any] = {"tasks": n, "concurrency": MODES_CONCURRENCY, "creator_latency_seconds": MODES_LATENCY,
                           "poll_interval": 0.2, "runs": runs}
    for mode in ("async", "sync"):
        results = []
        for i in range(runs):
            label = f"mode-{mode}-{i}"
            url = sqlite_url(tmp / f"{label}.db")
            asyncio.run(prepare_db(url))
            results.append(asyncio.run(run_end_to_end(
                url, tmp, label, n, MODES_CONCURRENCY, {"latency": MODES_LATENCY},
                CREATOR_MODE=mode, CONTENTHUB_CREATOR_MAX_PROCESSES=MODES_CONCURRENCY,
            )))
        out[mode] = median_run(results)
    # the ideal: every slot busy generating all the time
    out["ideal_tasks_per_s"] = rnd(MODES_CONCURRENCY / MODES_LATENCY)
    for mode in ("async", "sync"):
        out[mode]["ratio_to_ideal"] = rnd(out[mode]["tasks_per_s"] / out["ideal_tasks_per_s"])
    return out


# ------------------------------------------------------------------ 6. tracking cost


def knobs(concurrency: int) -> Knobs:
    return Knobs(max_concurrent_tasks=concurrency, task_timeout=3600, poll_interval=0.2, retry_backoff=0.2,
                 retry_backoff_max=2, lease_seconds=60, list_limit=200, heartbeat_interval=2,
                 janitor_interval=1, shutdown_grace=5, wakeup_interval=0.05)


def service_context(db: Database, state: Path, concurrency: int, **fake: Any) -> ServiceContext:
    creator = CliCreator.from_command_line(str(FAKE_CREATOR), extra_env=fake_env(state, **fake),
                                           call_timeout=60, max_processes=8)
    return ServiceContext(db=db, creator=creator, clock=SystemClock(), knobs=knobs(concurrency),
                          daemon_id="bench-daemon", log=structlog.get_logger("bench"))


async def dispatch_in_flight(url: str, state: Path, n: int) -> None:
    """n tasks submitted at the (fake) creator, with a long latency so they stay in flight.
    Creates run without start-up delay (only the tracking calls pay it)."""
    await insert_pending(url, n)
    db = Database.open(url)
    try:
        ctx = service_context(db, state, n, latency=3600, pending_seconds=0)
        dispatcher = Dispatcher(ctx, Wakeup())
        claimed = await dispatcher.claim_once()
        sem = asyncio.Semaphore(16)

        async def submit_one(task: Any) -> None:
            async with sem:
                await dispatcher._submit(task)

        await asyncio.gather(*(submit_one(t) for t in claimed))
        async with db.read() as conn:
            counts = await task_store.count_by_status(conn)
        if counts.get("submitted") != n:
            raise RuntimeError(f"dispatch: expected {n} submitted, got {counts}")
    finally:
        await db.close()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_tracking_cost(tmp: Path, size: Size) -> dict[str, Any]:
    counts_in_flight = sized(size, (10, 100, 1000), (10, 100), (10, 100))
    cycles = sized(size, 3, 1, 1)
    out: dict[str, Any] = {"startup_delay_seconds": 2, "cycles_measured": cycles, "in_flight": {}}
    baselines = []
    for in_flight in counts_in_flight:
        url = sqlite_url(tmp / f"track-{in_flight}.db")
        state = tmp / f"track-fake-{in_flight}"
        asyncio.run(prepare_db(url))
        asyncio.run(dispatch_in_flight(url, state, in_flight))

        async def run() -> dict[str, Any]:
            db = Database.open(url)
            try:
                warm = Tracker(service_context(db, state, in_flight, latency=3600))
                await warm.cycle()  # submitted -> processing, without the delay
                tracker = Tracker(service_context(db, state, in_flight, latency=3600, startup_delay=2))
                walls, procs, child, own = [], [], [], []
                for _ in range(cycles):
                    calls, c0, s0 = len(invocations(state)), children_cpu(), self_cpu()
                    started = time.perf_counter()
                    await tracker.cycle()
                    walls.append(time.perf_counter() - started)
                    procs.append(len(invocations(state)) - calls)
                    child.append(children_cpu() - c0)
                    own.append(self_cpu() - s0)
                async with db.read() as conn:
                    counts = await task_store.count_by_status(conn)
                return {"cycle_seconds": rnd(median(walls)), "creator_processes_per_cycle": median(procs),
                        "creator_cpu_seconds_per_cycle": rnd(median(child)),
                        "daemon_cpu_seconds_per_cycle": rnd(median(own)), "statuses_after": counts}
            finally:
                await db.close()

        out["in_flight"][str(in_flight)] = asyncio.run(run())
    for _ in range(sized(size, 3, 1, 1)):  # baseline: one bare creator call with the same start-up delay
        env = clean_env()
        env.update(fake_env(tmp / "track-baseline", startup_delay=2))
        started = time.perf_counter()
        subprocess.run([str(FAKE_CREATOR), "--version"], env=env, check=True, stdout=subprocess.DEVNULL)
        baselines.append(time.perf_counter() - started)
    baseline = median(baselines)
    out["baseline_bare_creator_call_seconds"] = rnd(baseline)
    for row in out["in_flight"].values():
        row["cycle_ratio_to_baseline"] = rnd(row["cycle_seconds"] / baseline)
    return out


# ------------------------------------------------------------------ 7. memory


#: tracking cycles a daemon completes before its peak memory is read
TRACKING_CYCLES_WATCHED = 3


def bench_memory(tmp: Path, size: Size) -> dict[str, Any]:
    pending = sized(size, 100_000, 10_000, 1_000)
    in_flight = sized(size, 1000, 100, 10)
    settle_seconds = 0.5
    runs = sized(size, 3, 2, 1)

    def list_calls(state: Path) -> int:
        return sum(1 for _, command in invocations(state) if command == "list")

    def peak(url: str, state: Path, label: str, concurrency: int, db_path: Path, *, tracking: bool) -> int:
        """VmHWM of a fresh daemon: idle for a while, or after several tracking cycles."""
        env = daemon_env(url, state, {"latency": 3600}, ASYNC_MAX_CONCURRENT_TASKS=concurrency,
                         ASYNC_POLL_INTERVAL="0.5")
        lists_before = list_calls(state)
        daemon = start_daemon(env, tmp / f"memory-{label}.log")
        try:
            asyncio.run(wait_for(lambda: db_ready(db_path), 60, 0.05))
            if tracking:  # several tracking cycles (each lists every task in flight)
                asyncio.run(wait_for(lambda: list_calls(state) >= lists_before + TRACKING_CYCLES_WATCHED, 120, 0.05))
            time.sleep(settle_seconds)
            if daemon.poll() is not None:
                raise RuntimeError(f"daemon exited with {daemon.returncode}")
            return vm_hwm_kib(daemon.pid)
        finally:
            stop_daemon(daemon)

    empty_path = tmp / "memory-empty.db"
    asyncio.run(prepare_db(sqlite_url(empty_path)))
    baseline = median(
        [peak(sqlite_url(empty_path), tmp / "memory-empty-fake", f"empty-{i}", 5, empty_path, tracking=False)
         for i in range(runs)]
    )

    # One prepared database (1 000 tasks accepted by the creator, 100 000 pending); every run
    # starts from a copy of it, so each daemon meets the same first tracking cycle.
    template = tmp / "memory-template.db"
    state = tmp / "memory-fake"
    asyncio.run(prepare_db(sqlite_url(template)))
    asyncio.run(dispatch_in_flight(sqlite_url(template), state, in_flight))
    fill_pending_sqlite(template, pending)
    peaks = []
    for i in range(runs):
        db_path = tmp / f"memory-{i}.db"
        with sqlite3.connect(template) as source, sqlite3.connect(db_path) as copy:
            source.backup(copy)
        peaks.append(peak(sqlite_url(db_path), state, f"loaded-{i}", in_flight, db_path, tracking=True))
    loaded = median(peaks)
    counts = asyncio.run(status_counts(sqlite_url(db_path)))
    return {"pending": pending, "in_flight": in_flight, "vm_hwm_mib": rnd(loaded / 1024),
            "baseline_idle_empty_db_vm_hwm_mib": rnd(baseline / 1024), "ratio_to_baseline": rnd(loaded / baseline),
            "statuses_after": counts, "unit": "MiB", "runs": runs}


# ------------------------------------------------------------------ 8. PostgreSQL


def bench_postgresql(tmp: Path, size: Size) -> dict[str, Any]:
    try:
        pg_admin("SELECT 1")
    except Exception as exc:  # unreachable server, auth, missing driver
        return {"skipped": f"PostgreSQL at {POSTGRES_URL} unreachable: {type(exc).__name__}: {exc}"}
    out: dict[str, Any] = {"url": POSTGRES_URL}
    with PgSchema() as url:
        out["claim_throughput"] = asyncio.run(bench_claim_pg(url, size))
    out["end_to_end"] = end_to_end("postgresql", lambda _: PgSchema(), tmp, size)
    return out


# ------------------------------------------------------------------ 9. recovery

RECOVERY_TASKS = 400
RECOVERY_CONCURRENCY = 10
#: --smoke: fewer tasks at a time, for the least CPU (the test suite's check; values mean nothing)
RECOVERY_CONCURRENCY_SMOKE = 3
RECOVERY_HEARTBEAT = 2.0  # CONTENTHUB_HEARTBEAT_INTERVAL of daemon_env
#: the default CONTENTHUB_HEARTBEAT_INTERVAL: a dead daemon on another host is found by its
#: silence, so this case measures the rule with the interval daemons really run with
RECOVERY_HEARTBEAT_OTHER_HOST = 10.0

RECOVERY_WINDOW = 2.0  # seconds of completions that make a rate
RECOVERY_NORMAL_SHARE = 0.8  # "normal rate again": this share of the rate before the crash
RECOVERY_FAKE = {"slow_create": 0.5, "latency": 1.0, "pending_seconds": 0.2}


def recovery_concurrency(size: Size) -> int:
    return sized(size, RECOVERY_CONCURRENCY, RECOVERY_CONCURRENCY, RECOVERY_CONCURRENCY_SMOKE)


def other_host_heartbeat(size: Size) -> float:
    """The other-host case's heartbeat interval (--smoke: the same-host one, to wait less for the silence)."""
    return sized(size, RECOVERY_HEARTBEAT_OTHER_HOST, RECOVERY_HEARTBEAT_OTHER_HOST, RECOVERY_HEARTBEAT)


async def completions(url: str) -> int:
    return (await status_counts(url)).get("completed", 0)


async def events_by(url: str, actor: str) -> list[tuple[float, str]]:
    """(unix time, to_status) of every transition ``actor`` made, in order."""
    from sqlalchemy import text

    db = Database.open(url, pool_size=1)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(text(
                "SELECT at, to_status FROM task_events WHERE actor = :actor ORDER BY at"), {"actor": actor})).all()
    finally:
        await db.close()
    from contenthub_async.store.types import parse_utc

    return [((parse_utc(at) if isinstance(at, str) else at).timestamp(), status) for at, status in rows]


async def newest_daemon(url: str) -> tuple[str, float] | None:
    from sqlalchemy import text

    from contenthub_async.store.types import parse_utc

    db = Database.open(url, pool_size=1)
    try:
        async with db.read() as conn:
            row = (await conn.execute(text("SELECT id, started_at FROM daemons ORDER BY started_at DESC LIMIT 1"))).first()
    finally:
        await db.close()
    if row is None:
        return None
    started = row.started_at if not isinstance(row.started_at, str) else parse_utc(row.started_at)
    return row.id, started.timestamp()


def back_to_normal(completed_at: list[float], since: float, rate: float) -> float | None:
    """Seconds after ``since`` at which the completions of the last RECOVERY_WINDOW seconds first
    reach RECOVERY_NORMAL_SHARE of ``rate`` (None: never)."""
    needed = RECOVERY_NORMAL_SHARE * rate * RECOVERY_WINDOW
    times = sorted(t for t in completed_at if t >= since)
    for i, t in enumerate(times):
        in_window = sum(1 for u in times[: i + 1] if u > t - RECOVERY_WINDOW)
        if in_window >= needed:
            return t - since
    return None


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def taken_for_dead_at(url: str) -> float | None:
    """When the killed daemon was marked dead (database time, same machine), or None."""
    from sqlalchemy import text

    from contenthub_async.store.types import parse_utc

    db = Database.open(url, pool_size=1)
    try:
        async with db.read() as conn:
            at = (await conn.execute(text("SELECT min(stopped_at) FROM daemons WHERE status = 'dead'"))).scalar()
    finally:
        await db.close()
    return None if at is None else (parse_utc(at) if isinstance(at, str) else at).timestamp()


async def one_recovery(url: str, tmp: Path, label: str, other_host: bool, size: Size) -> dict[str, Any]:
    """A daemon at its normal rate is killed with -9 and a new one started at once."""
    warm_up, rate_window = sized(size, (20, 5.0), (10, 3.0), (3, 2.0))
    await prepare_db(url)
    await insert_pending(url, RECOVERY_TASKS)
    heartbeat = other_host_heartbeat(size) if other_host else RECOVERY_HEARTBEAT
    env = daemon_env(url, tmp / f"recovery-fake-{label}", RECOVERY_FAKE,
                     ASYNC_MAX_CONCURRENT_TASKS=recovery_concurrency(size), CONTENTHUB_CREATOR_MAX_PROCESSES=8,
                     CONTENTHUB_HEARTBEAT_INTERVAL=heartbeat)
    first_env = {**env, "CONTENTHUB_HOST_ID": "bench-another-host"} if other_host else env
    first = start_daemon(first_env, tmp / f"recovery-first-{label}.log")
    deadline = time.monotonic() + 120
    while await completions(url) < warm_up:
        if time.monotonic() > deadline or first.poll() is not None:
            raise RuntimeError("the first daemon did not reach its normal rate")
        await asyncio.sleep(0.1)
    before, started = await completions(url), time.time()
    await asyncio.sleep(rate_window)
    rate = (await completions(url) - before) / (time.time() - started)
    counts = await status_counts(url)
    in_flight = sum(counts.get(s, 0) for s in ("submitting", "submitted", "processing"))

    first.send_signal(signal.SIGKILL)
    first.wait()
    CHILDREN.remove(first)
    restarted = time.time()
    second = start_daemon(env, tmp / f"recovery-second-{label}.log")
    try:
        deadline = time.monotonic() + 120
        # CPU the new daemon used until its first change: what the restart costs without the
        # machine's load (read when the change is seen, so a little more than that)
        cpu_to_first_change: float | None = None
        while cpu_to_first_change is None and time.monotonic() < deadline and second.poll() is None:
            newest = await newest_daemon(url)
            if newest is not None and newest[1] >= restarted - 1 and await events_by(url, newest[0]):
                cpu_to_first_change = process_cpu_seconds(second.pid)
            else:
                await asyncio.sleep(0.05)
        normal_after: float | None = None
        while normal_after is None and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if second.poll() is not None:
                raise RuntimeError(f"the new daemon exited with {second.returncode}")
            newest = await newest_daemon(url)
            if newest is None or newest[1] < restarted - 1:
                continue
            events = await events_by(url, newest[0])
            normal_after = back_to_normal([t for t, s in events if s == "completed"], restarted, rate)
    finally:
        stop_daemon(second)
    newest = await newest_daemon(url)
    assert newest is not None
    events = await events_by(url, newest[0])
    dead_at = await taken_for_dead_at(url)
    if not events or dead_at is None:
        raise RuntimeError("the new daemon changed no task, or did not take the killed one for dead")
    return {"normal_rate_tasks_per_s": rnd(rate), "in_flight_at_kill": in_flight,
            "heartbeat_interval": heartbeat, "startup_seconds": rnd(newest[1] - restarted),
            "taken_for_dead_seconds": rnd(dead_at - restarted),
            "first_state_change_seconds": rnd(events[0][0] - restarted),
            "first_state_change_cpu_seconds": rnd(cpu_to_first_change) if cpu_to_first_change is not None else None,
            "normal_rate_seconds": rnd(normal_after) if normal_after is not None else None}


def recovery_case(fresh_url: Callable[[str], AbstractContextManager[str]], tmp: Path, label: str,
                  other_host: bool, size: Size, goal: float) -> dict[str, Any]:
    runs = sized(size, 3, 1, 1)
    samples = []
    for i in range(runs):
        with fresh_url(f"{label}-{i}") as url:
            samples.append(asyncio.run(one_recovery(url, tmp, f"{label}-{i}", other_host, size)))
    ordered = sorted(samples, key=lambda r: r["first_state_change_seconds"])
    median_run = ordered[(len(ordered) - 1) // 2]
    baseline = daemon_import_seconds(runs=sized(size, 3, 3, 1))
    return {**median_run, "runs": runs, "goal_seconds": goal, "baseline_daemon_import_seconds": rnd(baseline),
            "ratio_to_baseline": rnd(median_run["first_state_change_seconds"] / baseline),
            "goal_met": all(r["first_state_change_seconds"] <= goal for r in samples),
            "first_state_change_seconds_all_runs": [r["first_state_change_seconds"] for r in samples],
            "first_state_change_cpu_seconds_all_runs": [r["first_state_change_cpu_seconds"] for r in samples],
            "normal_rate_seconds_all_runs": [r["normal_rate_seconds"] for r in samples]}


def daemon_import_seconds(runs: int = 3) -> float:
    """Wall time of a Python process that only imports contenthubd's modules: the part of a
    restart no recovery rule can shorten (it grows with the machine's load)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import contenthub_async.daemon.runner"], check=True, env=clean_env())
        samples.append(time.perf_counter() - started)
    return median(samples)


def bench_recovery(tmp: Path, size: Size) -> dict[str, Any]:

    @contextmanager
    def fresh_sqlite(label: str) -> Iterator[str]:
        yield sqlite_url(tmp / f"recovery-{label}.db")

    out: dict[str, Any] = {"unit": "s", "concurrency": recovery_concurrency(size),
                           "same_host_sqlite": recovery_case(fresh_sqlite, tmp, "same", False, size, 5.0)}
    try:
        pg_admin("SELECT 1")
    except Exception as exc:  # unreachable server, auth, missing driver
        out["other_host_postgresql"] = {"skipped": f"PostgreSQL unreachable: {type(exc).__name__}: {exc}"}
        return out
    out["other_host_postgresql"] = recovery_case(lambda _: PgSchema(), tmp, "other", True, size,
                                                 3 * other_host_heartbeat(size))
    return out


# ------------------------------------------------------------------ table and main


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<18} {'measurement':<44} {'value':>14} {'vs baseline':>12}", "-" * 91]

    def add(fig: str, what: str, value: Any, ratio: Any = "") -> None:
        lines.append(f"{fig:<18} {what:<44} {value!s:>14} {ratio!s:>12}")

    for name in FIGURES:
        r = results.get(name)
        if r is None:
            continue
        if "skipped" in r:
            add(name, f"skipped: {r['skipped']}"[:44], "-")
            continue
        if "error" in r:
            add(name, f"error: {r['error']}"[:44], "-")
            continue
        if name == "submit_latency":
            for command, c in r["commands"].items():
                add(name if command == "submit" else "", f"contenthub-ctl {command} (median of {r['runs']})",
                    f"{c['seconds']} s", f"{c['ratio_to_baseline']}x")
                add("", f"  best of {r['runs']} (vs best baseline; goal {r['goal_ratio']}x)", f"{c['best_seconds']} s",
                    f"{c['best_ratio_to_baseline']}x")
            add("", "  baseline: python -c pass (median, best)",
                f"{r['baseline_python_c_pass_seconds']} s, {r['best_baseline_seconds']} s")
        elif name == "bulk_enqueue":
            add(name, f"insert_tasks, {r['tasks']} in one txn (median of {r['runs']})", f"{r['store_api_tasks_per_s']}/s",
                f"{r['ratio_to_baseline']}x")
            add("", "  baseline: raw sqlite3 executemany", f"{r['baseline_raw_sqlite3_tasks_per_s']}/s")
            csv = r["csv_import"]
            add("", f"  contenthub-ctl import, {csv['tasks']}-row CSV (median of {csv['runs']})", f"{csv['tasks_per_s']}/s")
        elif name == "claim_throughput" or name == "postgresql":
            claim = r if name == "claim_throughput" else r["claim_throughput"]
            label = name if name == "claim_throughput" else "postgresql"
            for batch, b in claim["batches"].items():
                add(label, f"claim batch {batch} ({claim['pending_rows']} pending) ours",
                    f"{b['ours_tasks_per_s']}/s", f"{b['ratio_to_ceiling']}x")
                add("", f"  raw ceiling, batch {batch}", f"{b['ceiling_raw_tasks_per_s']}/s")
                label = ""
            if name == "postgresql":
                for key in ("concurrency_5", "concurrency_50"):
                    e = r["end_to_end"][key]
                    add("", f"end-to-end {e['tasks']} tasks, {key.replace('_', ' ')} (median of {e['runs']})",
                        f"{e['tasks_per_s']}/s", "")
                    add("", "  creator processes per task", e["creator_processes_per_task"])
        elif name == "pickup_latency":
            add(name, f"submit -> create spawned, p50 ({r['submits']})", f"{r['p50_seconds']} s",
                f"{r['p50_ratio_to_baseline']}x")
            add("", "  p95", f"{r['p95_seconds']} s")
            add("", "  baseline: fake creator spawn->log", f"{r['baseline_fake_creator_spawn_seconds']} s")
        elif name == "end_to_end":
            label = name
            for key in ("concurrency_5", "concurrency_50"):
                e = r[key]
                add(label, f"{e['tasks']} tasks, {key.replace('_', ' ')} (median of {e['runs']})", f"{e['tasks_per_s']}/s",
                    f"{e['creator_spawn_rate_ratio']}x")
                add("", "  creator processes per task", e["creator_processes_per_task"])
                label = ""
            add("", "  baseline: fake creator spawn->log", f"{r['baseline_fake_creator_spawn_seconds']} s")
        elif name == "creator_modes":
            label = name
            for mode in ("async", "sync"):
                m = r[mode]
                add(label, f"CREATOR_MODE={mode}: {m['tasks']} tasks, conc. {r['concurrency']} (median of {m['runs']})",
                    f"{m['tasks_per_s']}/s", f"{m['ratio_to_ideal']}x")
                add("", "  creator processes per task", m["creator_processes_per_task"])
                add("", "  creator CPU s per task", m["creator_cpu_seconds_per_task"])
                add("", "  daemon CPU s per task", m["daemon_cpu_seconds_per_task"])
                label = ""
            add("", f"  ideal: {r['concurrency']} slots / {r['creator_latency_seconds']} s generation",
                f"{r['ideal_tasks_per_s']}/s")
        elif name == "tracking_cost":
            label = name
            for size, t in r["in_flight"].items():
                add(label, f"{size} in flight: cycle wall time", f"{t['cycle_seconds']} s",
                    f"{t['cycle_ratio_to_baseline']}x")
                add("", "  creator processes / cycle", t["creator_processes_per_cycle"])
                add("", "  creator CPU s / cycle", t["creator_cpu_seconds_per_cycle"])
                add("", "  daemon CPU s / cycle", t["daemon_cpu_seconds_per_cycle"])
                label = ""
            add("", "  baseline: one bare creator call (2 s delay)", f"{r['baseline_bare_creator_call_seconds']} s")
        elif name == "http_api":
            label = name
            for what, value, note in bench_http.table_rows(r):
                add(label, what, value, note)
                label = ""
        elif name == "webhooks":
            label = name
            for what, value, note in bench_webhooks.table_rows(r):
                add(label, what, value, note)
                label = ""
        elif name == "publishing":
            label = name
            for what, value, note in bench_publishing.table_rows(r):
                add(label, what, value, note)
                label = ""
        elif name == "console_pages":
            label = name
            for what, value, note in bench_console.table_rows(r):
                add(label, what, value, note)
                label = ""
        elif name == "memory":
            add(name, f"VmHWM, {r['pending']} pending + {r['in_flight']} in flight (median of {r['runs']})",
                f"{r['vm_hwm_mib']} MiB",
                f"{r['ratio_to_baseline']}x")
            add("", "  baseline: idle daemon, empty db", f"{r['baseline_idle_empty_db_vm_hwm_mib']} MiB")
        elif name == "recovery":
            label = name
            for key, where in (("same_host_sqlite", "same host, SQLite"), ("other_host_postgresql", "other host, PostgreSQL")):
                c = r[key]
                if "skipped" in c:
                    add(label, f"{where}: skipped", "-")
                    continue
                add(label, f"kill -9, restart: first change, {where} (median of {c['runs']})",
                    f"{c['first_state_change_seconds']} s", f"{c['ratio_to_baseline']}x")
                add("", f"  goal {c['goal_seconds']:g} s; met in every run", "yes" if c["goal_met"] else "NO")
                add("", "  every run, best first",
                    ", ".join(f"{v:g}" for v in sorted(c["first_state_change_seconds_all_runs"])) + " s")
                add("", "  of which the new daemon's start-up", f"{c['startup_seconds']} s")
                add("", "  CPU the new daemon used until then", f"{c['first_state_change_cpu_seconds']} s")
                add("", f"  killed daemon taken for dead (heartbeat {c['heartbeat_interval']:g} s)",
                    f"{c['taken_for_dead_seconds']} s")
                add("", f"  back to {RECOVERY_NORMAL_SHARE:.0%} of the normal rate ({c['normal_rate_tasks_per_s']}/s)",
                    f"{c['normal_rate_seconds']} s")
                add("", "  baseline: import contenthubd's modules", f"{c['baseline_daemon_import_seconds']} s")
                label = ""
    return "\n".join(lines)


RUNNERS: dict[str, Callable[[Path, Size], dict[str, Any]]] = {
    "submit_latency": bench_submit_latency,
    "bulk_enqueue": bench_bulk_enqueue,
    "claim_throughput": bench_claim_sqlite,
    "pickup_latency": bench_pickup_latency,
    "end_to_end": bench_end_to_end_sqlite,
    "creator_modes": bench_creator_modes,
    "tracking_cost": bench_tracking_cost,
    "memory": bench_memory,
    "postgresql": bench_postgresql,
    "recovery": bench_recovery,
    "console_pages": bench_console.bench_console_pages,
    "publishing": bench_publishing.bench_publishing,
    "http_api": lambda tmp, size: bench_http.bench_http_api(
        tmp, size, account=ACCOUNT, prepare_db=prepare_db, daemon_env=daemon_env, start_daemon=start_daemon,
        stop_daemon=stop_daemon, ctl=CTL, end_to_end=run_end_to_end),
    "webhooks": lambda tmp, size: bench_webhooks.bench_webhooks(
        tmp, size, account=ACCOUNT, prepare_db=prepare_db, daemon_env=daemon_env, start_daemon=start_daemon,
        stop_daemon=stop_daemon, end_to_end=run_end_to_end),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", dest="size", action="store_const", const="quick", default="full",
                       help="smaller sizes and fewer runs (a few minutes)")
    sizes.add_argument("--smoke", dest="size", action="store_const", const="smoke",
                       help="every figure from the fewest samples (the test suite's check; values mean nothing)")
    parser.add_argument("--output", default="bench-results.json", help="where to write the JSON results")
    parser.add_argument("--only", default="", help="comma list of figures: " + ",".join(FIGURES))
    args = parser.parse_args(argv)
    selected = [f.strip() for f in args.only.split(",") if f.strip()] or FIGURES
    unknown = [f for f in selected if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}; choose from {', '.join(FIGURES)}")

    results: dict[str, Any] = {}
    meta = {"size": args.size, "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0], "nproc": os.cpu_count(), "seconds_per_figure": {}}
    started_all = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="contenthub-bench-"))
    try:
        for name in FIGURES:
            if name not in selected:
                continue
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            fig_dir = tmp / name
            fig_dir.mkdir()
            try:
                results[name] = RUNNERS[name](fig_dir, args.size)
            except Exception as exc:  # report, never fake
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            meta["seconds_per_figure"][name] = round(time.perf_counter() - started, 1)
            shutil.rmtree(fig_dir, ignore_errors=True)
    finally:
        for proc in list(CHILDREN):
            stop_daemon(proc, timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    meta["total_seconds"] = round(time.perf_counter() - started_all, 1)
    Path(args.output).write_text(json.dumps({"meta": meta, **results}, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\ntotal {meta['total_seconds']} s; results in {args.output}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
