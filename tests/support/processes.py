"""Helpers for tests that start real processes: throwaway scripts, liveness, files they write,
and the processes a test left behind (found by a marker in their command line)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import textwrap
import time
from pathlib import Path


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
