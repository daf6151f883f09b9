"""configure_logging() observed from a real subprocess's stderr."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

PROGRAM = textwrap.dedent(
    """
    import logging, sys, warnings
    import structlog
    from contenthub_async.daemon.logging import configure_logging

    json_arg = {"none": None, "true": True, "false": False}[sys.argv[1]]
    configure_logging(level=sys.argv[2], json=json_arg)
    log = structlog.get_logger("contenthub.worker")
    log.bind(task_id="task-42").info("task claimed", attempt=2)
    log.debug("debug detail", task_id="task-42")
    structlog.contextvars.bind_contextvars(task_id="task-43")
    log.warning("creator slow", seconds=2.5)
    structlog.contextvars.clear_contextvars()
    logging.getLogger("some.library").warning("library says %s", "hello")
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("task failed", task_id="task-44")
    print("stdout stays clean")
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.pop("FORCE_COLOR", None)
    env.pop("NO_COLOR", None)
    return env


def _run(json_arg: str, level: str = "info") -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, json_arg, level],
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "stdout stays clean\n"
    return proc


def test_json_lines_when_stderr_is_not_a_tty() -> None:
    proc = _run("none")
    lines = proc.stderr.splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(r, dict) for r in records)
    assert [r["event"] for r in records] == ["task claimed", "creator slow", "library says hello", "task failed"]

    now = datetime.now(UTC)
    for r in records:
        assert {"timestamp", "level", "event"} <= r.keys()
        ts = datetime.fromisoformat(r["timestamp"])
        assert r["timestamp"].endswith("Z") and ts.utcoffset() == timedelta(0)
        assert abs(now - ts) < timedelta(minutes=5)

    claimed, slow, library, failed = records
    assert claimed["level"] == "info" and claimed["task_id"] == "task-42" and claimed["attempt"] == 2
    assert slow["level"] == "warning" and slow["task_id"] == "task-43"  # contextvars
    assert library["level"] == "warning" and library["logger"] == "some.library"  # stdlib routed
    assert failed["level"] == "error" and failed["task_id"] == "task-44"
    assert "ZeroDivisionError" in failed["exception"]


def test_level_filter() -> None:
    events = [json.loads(line)["event"] for line in _run("true", "debug").stderr.splitlines()]
    assert "debug detail" in events
    events = [json.loads(line)["event"] for line in _run("true", "warning").stderr.splitlines()]
    assert events == ["creator slow", "library says hello", "task failed"]


def test_console_lines_when_json_false() -> None:
    proc = _run("false")
    lines = proc.stderr.splitlines()
    claimed = next(line for line in lines if "task claimed" in line)
    assert "task_id=task-42" in claimed
    assert "info" in claimed
    assert "\x1b[" not in proc.stderr  # no colours: stderr is a pipe
    assert any("library says hello" in line and "some.library" in line for line in lines)
    assert "ZeroDivisionError" in proc.stderr
    for line in lines:
        assert not line.startswith("{")


def test_coloured_console_on_a_terminal() -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", PROGRAM, "none", "info"],
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.communicate(timeout=60)
    finally:
        os.close(master)
    assert proc.returncode == 0
    text = b"".join(chunks).decode("utf-8", errors="replace")
    assert "\x1b[" in text  # ANSI colours
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert re.search(r"task claimed\s.*task_id=task-42", plain)
