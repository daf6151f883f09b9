"""Who is dead: the rules by which one daemon takes another for dead and takes over its work.

Guarantees (after Oban's Lifeline and River's leader election, tightened because every daemon
writes who it is into ``daemons``):

* **A silent daemon is dead** once its heartbeat is older than :data:`DEAD_AFTER_HEARTBEATS`
  of its own heartbeat intervals. Ages are measured in *database* time (the heartbeat is
  written with the database's clock and read against it), so the clocks of the hosts never
  matter. A live daemon beats every interval, so only a stall of more than one whole interval
  can make a live daemon look dead; it then finds its row marked ``dead`` at its next beat and
  stops (its work was taken over; see ``services/takeover.py``).
* **On the same host a crashed daemon is dead at once**: its pid no longer runs, or runs
  another process (pid reuse: the start time differs). This is only asked where a pid means the
  same thing as for the asking daemon — same host id, same boot, same pid namespace — and
  otherwise the heartbeat rule alone decides. A daemon seen running there is alive however late
  its heartbeat (a loaded machine delays beats; a hung daemon's leases still end by expiry).
* A daemon never judges itself, and a daemon that stopped cleanly (``stopped``) or was already
  taken for dead (``dead``) is not judged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: A daemon whose heartbeat is older than this many of its heartbeat intervals is dead.
DEAD_AFTER_HEARTBEATS = 2

#: What operators are told: ``monitor health`` and ``submit`` call a daemon running while its
#: last beat is at most this many of CONTENTHUB_HEARTBEAT_INTERVAL old (one beat of slack more
#: than the takeover rule, so a report never calls a daemon down that no one took over).
STALE_AFTER_HEARTBEATS = 3


class CauseOfDeath(StrEnum):
    SILENT = "no heartbeat"
    PROCESS_GONE = "its process is gone"
    PID_REUSED = "its pid runs another process"


@dataclass(frozen=True)
class DaemonLife:
    """What ``daemons`` says about a daemon that is not known to have stopped."""

    daemon_id: str
    host_id: str | None
    pid: int
    process_key: str | None  # ``<process scope>/<start time>``; None where it could not be read
    heartbeat_at: datetime
    heartbeat_seconds: float | None  # its own heartbeat interval; None: not recorded


@dataclass(frozen=True)
class Here:
    """The judging daemon: where it runs and what it can see."""

    daemon_id: str
    host_id: str
    process_scope: str | None  # boot id + pid namespace; None: pids cannot be probed here
    heartbeat_seconds: float


def process_key(scope: str, start_time: str) -> str:
    """The identity of a process: its scope (boot, pid namespace) and its start time."""
    return f"{scope}/{start_time}"


def scope_of(key: str) -> str:
    return key.rsplit("/", 1)[0]


def can_probe(life: DaemonLife, here: Here) -> bool:
    """True when ``life.pid`` names a process ``here`` can look at (same host, boot, pid namespace)."""
    return (
        life.daemon_id != here.daemon_id
        and here.process_scope is not None
        and life.host_id == here.host_id
        and life.process_key is not None
        and scope_of(life.process_key) == here.process_scope
    )


def dead_after(life: DaemonLife, here: Here) -> float:
    """Seconds of heartbeat silence after which ``life`` is dead (its own interval when known)."""
    return DEAD_AFTER_HEARTBEATS * (life.heartbeat_seconds or here.heartbeat_seconds)


def cause_of_death(
    life: DaemonLife, here: Here, *, now: datetime, running_key: str | None = None
) -> CauseOfDeath | None:
    """Why ``life`` is dead, or None while it may be alive.

    ``now`` is database time; ``running_key`` is the process key of the process that has
    ``life.pid`` now (None: no such process), and is only looked at when :func:`can_probe`.
    """
    if life.daemon_id == here.daemon_id:
        return None
    if can_probe(life, here):
        if running_key is None:
            return CauseOfDeath.PROCESS_GONE
        if running_key != life.process_key:
            return CauseOfDeath.PID_REUSED
        return None  # seen running: slow, not dead (its leases still end if it hangs)
    if (now - life.heartbeat_at).total_seconds() > dead_after(life, here):
        return CauseOfDeath.SILENT
    return None


def seconds_until_silent(life: DaemonLife, here: Here, *, now: datetime) -> float:
    """Seconds (database time) until ``life`` counts as silent if it does not beat again."""
    return dead_after(life, here) - (now - life.heartbeat_at).total_seconds()
