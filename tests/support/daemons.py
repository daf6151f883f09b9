"""Running contenthubd in tests: in-process (anyio) or as a real process, with the fake creator."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import anyio

from contenthub_async.clock import SystemClock
from contenthub_async.config import Settings, load_settings
from contenthub_async.daemon.runner import DaemonRun, run_daemon
from contenthub_async.domain.entities import Event, Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services.task_commands import submit_tasks
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate
from tests.support.processes import started_in_own_session

ROOT = Path(__file__).resolve().parents[2]
FAKE_CREATOR = ROOT / "scripts" / "fake-content-creator"
BIN = Path(sys.executable).parent
CONTENTHUBD = BIN / "contenthubd"
CTL = BIN / "contenthub-ctl"

FAST = {
    "ASYNC_POLL_INTERVAL": "0.2",
    "ASYNC_RETRY_BACKOFF": "0.2",
    "CONTENTHUB_RETRY_BACKOFF_MAX": "2",
    "CONTENTHUB_JANITOR_INTERVAL": "0.5",
    "CONTENTHUB_HEARTBEAT_INTERVAL": "1",
    "CONTENTHUB_CREATOR_CALL_TIMEOUT": "10",
    "CONTENTHUB_LEASE_SECONDS": "15",
    "CONTENTHUB_PUBLISH_TIMEOUT": "2",  # below every CONTENTHUB_LEASE_SECONDS the tests use
    # No HTTP listener unless a test asks for one: two daemons (or two test workers) would
    # otherwise fight over the default port.
    "CONTENTHUB_HTTP_LISTEN": "",
    "CONTENTHUB_PUBLISH_BACKOFF": "0.2",
    "CONTENTHUB_SHUTDOWN_GRACE": "5",
    "CONTENTHUB_CREATOR_MAX_PROCESSES": "8",
}


def fake_knobs(state_dir: Path, **knobs: Any) -> dict[str, str]:
    base = {
        "FAKE_CREATOR_STATE_DIR": str(state_dir),
        "FAKE_CREATOR_LATENCY": "0.3",
        "FAKE_CREATOR_PENDING_SECONDS": "0.1",
        # The fake's `#!/usr/bin/env python3` should find this interpreter, not a slow shim.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    base.update({f"FAKE_CREATOR_{k.upper()}": str(v) for k, v in knobs.items()})
    return base


def settings_for(db_url: str, state_dir: Path, knobs: dict[str, Any] | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"CONTENTHUB_PUBLISHER": f"dir:{state_dir / 'published'}", **FAST, **overrides}
    return load_settings(
        DATABASE_URL=db_url,
        CREATOR_CLI_PATH=str(FAKE_CREATOR),
        CONTENTHUB_CREATOR_ENV=fake_knobs(state_dir, **(knobs or {})),
        **values,
    )


def daemon_environment(db_url: str, state_dir: Path, knobs: dict[str, Any] | None = None, **overrides: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_CREATOR_", "ASYNC_", "CONTENTHUB_"))}
    env.update(FAST)
    env["CONTENTHUB_PUBLISHER"] = f"dir:{state_dir / 'published'}"  # never the working directory's data/
    env.update({k: str(v) for k, v in overrides.items()})
    env.update(
        DATABASE_URL=db_url,
        CREATOR_CLI_PATH=str(FAKE_CREATOR),
        CONTENTHUB_CREATOR_ENV=json.dumps(fake_knobs(state_dir, **(knobs or {}))),
        CONTENTHUB_LOG_FORMAT="json",
    )
    return env


def start_daemon(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the process
    # Its own session: a test that fails or is interrupted leaves no daemon behind (tests/conftest.py).
    return started_in_own_session([str(CONTENTHUBD)], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)


@contextmanager
def daemon_process(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """contenthubd as a real process in its own session; its group is killed however the block ends."""
    log = open(log_path, "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(CONTENTHUBD)], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def kill_dash_nine(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 and reap, as a crash under a supervisor."""
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def log_events(log_path: Path, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``event`` in a daemon log."""
    found = []
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{") and f'"{event}"' in line:
            record = json.loads(line)
            if record.get("event") == event:
                found.append(record)
    return found


@asynccontextmanager
async def running_daemon(settings: Settings) -> AsyncIterator[DaemonRun]:
    handles = DaemonRun()
    async with anyio.create_task_group() as group:
        async def run() -> None:
            await run_daemon(settings, handles=handles, install_signal_handlers=False)

        group.start_soon(run)
        with anyio.fail_after(30):
            await handles.ready.wait()
        try:
            yield handles
        finally:
            handles.stopping.set()


async def prepare(db_url: str, account_ids: tuple[int, ...] = (49,)) -> None:
    db = Database.open(db_url)
    try:
        await migrate(db)
        async with db.write() as conn:
            for account_id in account_ids:
                await account_store.insert_account(conn, name=f"account {account_id}", now=SystemClock().now(),
                                                   account_id=account_id)
    finally:
        await db.close()


async def submit(db_url: str, tasks: list[NewTask]) -> list[str]:
    db = Database.open(db_url)
    try:
        return await submit_tasks(db, tasks, clock=SystemClock(), actor="cli")
    finally:
        await db.close()


def sqlite_rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path, timeout=60) as conn:
        return conn.execute(sql, params).fetchall()


def status_counts(path: Path) -> dict[str, int]:
    return dict(sqlite_rows(path, "SELECT status, count(*) FROM content_generation_tasks GROUP BY status"))


async def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await anyio.sleep(interval)


def creator_invocations(state_dir: Path) -> list[str]:
    log = state_dir / "invocations.log"
    if not log.exists():
        return []
    return [line.split()[2] for line in log.read_text().splitlines() if len(line.split()) >= 3]


async def read_task(db_url: str, task_id: str) -> Task:
    db = Database.open(db_url)
    try:
        async with db.read() as conn:
            task = await task_store.get_task(conn, task_id)
            assert task is not None
            return task
    finally:
        await db.close()


async def events_of(db_url: str, task: Task) -> list[Event]:
    db = Database.open(db_url)
    try:
        async with db.read() as conn:
            return await task_store.task_events_of(conn, task.id)
    finally:
        await db.close()


async def run_until_terminal(db_url: str, settings: Settings, task_ids: list[str], timeout: float = 60) -> list[Task]:
    """Run a daemon in-process until every task is terminal; the tasks as they ended."""
    terminal = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.TIMEOUT, TaskStatus.CANCELLED)
    latest: dict[str, Task] = {}

    async with running_daemon(settings):
        async def all_terminal() -> bool:
            for task_id in task_ids:
                latest[task_id] = await read_task(db_url, task_id)
            return all(t.status in terminal for t in latest.values())

        with anyio.fail_after(timeout):
            while not await all_terminal():
                await anyio.sleep(0.2)
    return [latest[t] for t in task_ids]
