"""Where this daemon runs: its host id and the identity of processes (for ``domain/liveness``).

* The host id is ``CONTENTHUB_HOST_ID`` when set, else ``/etc/machine-id``, else the hostname.
* A process is identified by its *scope* — the kernel's boot id and the pid namespace, so a pid
  means the same process to everyone sharing the scope — and its start time (field 22 of
  ``/proc/<pid>/stat``, in clock ticks since boot): a reused pid has another start time.
  Without ``/proc`` there is no scope and liveness falls back to heartbeats.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from contenthub_async.domain.liveness import process_key

PROC = Path("/proc")


def host_id(configured: str = "") -> str:
    """The host id of this machine (``configured`` wins when not blank)."""
    if configured.strip():
        return configured.strip()
    try:
        machine_id = Path("/etc/machine-id").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        machine_id = ""
    return machine_id or socket.gethostname()


def process_scope() -> str | None:
    """Boot id and pid namespace of this process, or None where they cannot be read."""
    try:
        boot_id = (PROC / "sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.readlink(PROC / "self/ns/pid")
    except (OSError, UnicodeDecodeError):
        return None
    return f"{boot_id}:{namespace}"


def running_process_key(pid: int, scope: str | None = None) -> str | None:
    """The process key of the live process ``pid`` now, or None (no such process, a zombie,
    or no ``/proc``)."""
    scope = scope if scope is not None else process_scope()
    if scope is None:
        return None
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return process_key(scope, fields[19])  # field 22 of the whole line: starttime
