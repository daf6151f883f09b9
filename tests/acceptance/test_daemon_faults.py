"""contenthubd under faults an operator or the machine causes: a mistyped creator path, signals,
a database that is away, read-only or deleted. Real daemon processes against real files."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path

from tests.support.daemons import (
    CONTENTHUBD,
    daemon_environment,
    prepare,
    sqlite_rows,
    start_daemon,
    wait_until,
)


def environment(db_url: str, state_dir: Path, **overrides: str) -> dict[str, str]:
    """The daemon's environment, without the HTTP API (its fixed default port may be taken)."""
    return daemon_environment(db_url, state_dir, CONTENTHUB_HTTP_LISTEN="", **overrides)


def run_daemon_process(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CONTENTHUBD), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, start_new_session=True)


def one_json_line(stderr: str) -> dict[str, object]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    record = json.loads(lines[0])
    assert isinstance(record, dict)
    return record


def test_a_mistyped_creator_path_or_workdir_refuses_to_start(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    url = f"sqlite:///{db}"
    cases = [
        ({"CREATOR_CLI_PATH": str(tmp_path / "no-such-creator")}, "CREATOR_CLI_PATH"),
        ({"CREATOR_CLI_PATH": "no-such-content-creator --flag"}, "CREATOR_CLI_PATH"),
        ({"CREATOR_WORKDIR": str(tmp_path / "no-such-dir")}, "CREATOR_WORKDIR"),
    ]
    for overrides, variable in cases:
        env = {**environment(url, tmp_path / "fake"), **overrides}
        done = run_daemon_process(env)
        assert done.returncode == 2, (overrides, done.stderr)
        record = one_json_line(done.stderr)
        assert record["level"] == "error" and variable in str(record["event"]), record
        assert not db.exists(), "refused before touching the database"


def test_help_and_version_print_and_exit_0_unknown_arguments_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    env = environment(f"sqlite:///{db}", tmp_path / "fake")
    helped = run_daemon_process(env, "--help")
    assert helped.returncode == 0 and "usage: contenthubd" in helped.stdout and "db init" in helped.stdout
    version = run_daemon_process(env, "--version")
    assert version.returncode == 0 and version.stdout.startswith("contenthubd ")
    for args in (["--bogus"], ["start"]):
        wrong = run_daemon_process(env, *args)
        assert wrong.returncode == 2 and "contenthubd: error:" in wrong.stderr, wrong
    assert not db.exists(), "none of them started a daemon"


def test_a_missing_database_is_refused_not_created(tmp_path: Path) -> None:
    for db in (tmp_path / "c.db", tmp_path / "typo" / "c.db"):
        done = run_daemon_process(environment(f"sqlite:///{db}", tmp_path / "fake"))
        assert done.returncode == 1, done.stderr
        record = one_json_line(done.stderr)
        assert record["level"] == "error" and str(db) in str(record["event"]) and "db init" in str(record["event"])
        assert not db.exists() and not (tmp_path / "typo").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a file without our tables: as good as missing
    done = run_daemon_process(environment(f"sqlite:///{empty}", tmp_path / "fake"))
    assert done.returncode == 1 and "db init" in str(one_json_line(done.stderr)["event"])
    assert sqlite3.connect(empty).execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = environment("postgresql://postgres@127.0.0.1:1/nowhere", tmp_path / "fake")
    done = run_daemon_process(env)
    assert done.returncode == 1
    record = one_json_line(done.stderr)
    assert record["level"] == "error" and str(record["event"]).startswith("contenthubd cannot run: ")
    assert "Traceback" not in done.stderr
    console = run_daemon_process({**env, "CONTENTHUB_LOG_FORMAT": "console"})
    assert console.returncode == 1
    assert len(console.stderr.strip().splitlines()) == 1 and "cannot run" in console.stderr


async def start_prepared(tmp_path: Path, **overrides: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    db = tmp_path / "contenthub.db"
    await prepare(f"sqlite:///{db}")
    log = tmp_path / "daemon.log"
    daemon = start_daemon(environment(f"sqlite:///{db}", tmp_path / "fake", **overrides), log)
    await wait_until(lambda: b"contenthubd started" in log.read_bytes(), timeout=60)
    return daemon, db, log


async def test_sighup_stops_like_sigterm(tmp_path: Path) -> None:
    daemon, db, log = await start_prepared(tmp_path)
    try:
        daemon.send_signal(signal.SIGHUP)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(r.get("signal") == "SIGHUP" and "stopping" in r["event"] for r in records), records
    assert records[-1]["event"] == "contenthubd stopped"
    assert sqlite_rows(db, "SELECT stopped_at IS NOT NULL FROM daemons") == [(1,)]


async def test_a_database_file_deleted_under_the_daemon_stops_it_unhealthy(tmp_path: Path) -> None:
    daemon, db, log = await start_prepared(tmp_path)
    try:
        db.unlink()
        assert daemon.wait(timeout=60) == 1
    finally:
        if daemon.poll() is None:
            daemon.kill()
    events = [json.loads(line)["event"] for line in log.read_text().splitlines() if line.startswith("{")]
    assert any("was deleted or replaced under the running daemon" in e for e in events), events
    assert events[-1] == "contenthubd stopped", events


async def test_the_log_also_goes_to_contenthub_log_file(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    daemon, _, _ = await start_prepared(tmp_path, CONTENTHUB_LOG_FILE=str(logs / "app.log"))
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    events = [json.loads(line)["event"] for line in (logs / "app.log").read_text().splitlines()]
    assert "contenthubd started" in events and events[-1] == "contenthubd stopped"
    missing = run_daemon_process(environment(f"sqlite:///{tmp_path / 'contenthub.db'}", tmp_path / "fake",
                                                    CONTENTHUB_LOG_FILE=str(tmp_path / "nope" / "app.log")))
    assert missing.returncode == 2 and "CONTENTHUB_LOG_FILE" in missing.stderr
