"""contenthubd under faults an operator or the machine causes: a mistyped creator path, signals,
a database that is away, read-only or deleted. Real daemon processes against real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.daemons import CONTENTHUBD, daemon_environment


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
        env = {**daemon_environment(url, tmp_path / "fake"), **overrides}
        done = run_daemon_process(env)
        assert done.returncode == 2, (overrides, done.stderr)
        record = one_json_line(done.stderr)
        assert record["level"] == "error" and variable in str(record["event"]), record
        assert not db.exists(), "refused before touching the database"
