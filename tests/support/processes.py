"""Helpers for tests that start real processes: throwaway scripts, liveness, files they write,
and the processes a test left behind (found by a marker in their command line)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def write_script(path: Path, body: str) -> Path:
    """An executable Python script (run by this interpreter) with ``body``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body), encoding="utf-8")
    path.chmod(0o755)
    return path


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def wait_for_file(path: Path, within: float = 30.0) -> str:
    """The text of ``path`` once it exists and ends with a newline."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def kill_group(pgid: int) -> None:
    """SIGKILL every process left in process group ``pgid`` (none left: nothing to do)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_in_own_session(
    args: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` to completion in a session of its own, output captured as text.

    Whatever the command leaves behind in its process group (a daemon it started) is killed
    on every exit path: success, failure, ``timeout`` (which then raises ``TimeoutExpired``),
    or an interrupted test run.
    """
    with subprocess.Popen(
        list(args), env=None if env is None else dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            kill_group(proc.pid)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


_started: list[subprocess.Popen[Any]] = []


def started_in_own_session(args: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start ``args`` in a session of its own; ``reap_started`` kills its group when the test ends."""
    proc = subprocess.Popen(list(args), start_new_session=True, **popen)
    _started.append(proc)
    return proc


def started_count() -> int:
    """How many processes ``started_in_own_session`` are being watched (a mark for ``reap_started``)."""
    return len(_started)


def reap_started(since: int = 0) -> None:
    """Kill the process group of every process ``started_in_own_session`` after mark ``since``
    (processes of longer-lived fixtures, started before the mark, are theirs to stop)."""
    while len(_started) > since:
        proc = _started.pop()
        if proc.poll() is None:
            kill_group(proc.pid)
            proc.wait()


def survivors(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (this process excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


async def wait_dead(pids: list[int], within: float = 30.0) -> list[int]:
    """Wait until none of ``pids`` runs; the ones still running after ``within``.

    A process killed a moment ago can still be exiting (its command line already
    empty, not yet a zombie), so a check right after a kill must wait, not look once.
    """
    deadline = time.monotonic() + within
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return left


async def no_survivors(marker: str, within: float = 30.0) -> list[int]:
    """Wait until no process of this test is alive; the ones left after ``within``."""
    deadline = time.monotonic() + within
    while (left := survivors(marker)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return left


def kill_survivors(marker: str) -> None:
    """SIGKILL every live process whose command line contains ``marker``, and its group."""
    for pid in survivors(marker):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
