"""Taking over the work of dead daemons: who is dead (``domain/liveness.py``), and one function
per kind of owned work that hands it back (``domain/rescue.py`` says what each guarantees).

A starting daemon runs :func:`take_over_dead` before its loops start, and the janitor of every
daemon runs it each round. Everything happens in one write transaction: a daemon is marked
``dead`` (guarded on the heartbeat that was judged, so two judges agree on one winner) and all
its work is handed back together, or nothing happens.

To add a kind of owned work (another lease), write a :data:`Handback` for it and add it to
:data:`HANDBACKS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contenthub_async.domain.liveness import CauseOfDeath, Here, can_probe, cause_of_death, seconds_until_silent
from contenthub_async.host import running_process_key
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import jobs as job_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.connection import Connection
from contenthub_async.store.database import Database

#: Hands back one kind of work of the daemons ``dead`` (already marked), in the caller's
#: transaction, at database time ``now``, in the name of ``actor``; returns what was handed back.
Handback = Callable[[Connection, Sequence[str], datetime, str], Awaitable[list[str]]]


async def _singleton_leases(conn: Connection, dead: Sequence[str], now: datetime, actor: str) -> list[str]:
    return await daemon_store.release_leases_of(conn, dead)


async def _leased_tasks(conn: Connection, dead: Sequence[str], now: datetime, actor: str) -> list[str]:
    return await task_store.release_tasks_of(conn, dead, now=now, actor=actor)


async def _job_runs(conn: Connection, dead: Sequence[str], now: datetime, actor: str) -> list[str]:
    return [str(run_id) for run_id in await job_store.requeue_runs_of(conn, dead)]


async def _publishing_entries(conn: Connection, dead: Sequence[str], now: datetime, actor: str) -> list[str]:
    return [str(entry_id) for entry_id in await pool_store.release_entries_of(conn, dead, now=now, actor=actor)]


async def _webhook_deliveries(conn: Connection, dead: Sequence[str], now: datetime, actor: str) -> list[str]:
    return [str(delivery_id) for delivery_id in await webhook_store.release_deliveries_of(conn, dead, now=now)]


#: Every kind of work a daemon owns, by the name it is logged under.
HANDBACKS: dict[str, Handback] = {
    "leases": _singleton_leases,
    "leased_tasks": _leased_tasks,  # submitting, and processing in sync creator mode
    "job_runs": _job_runs,
    "publishing_entries": _publishing_entries,
    "webhook_deliveries": _webhook_deliveries,
}


@dataclass(frozen=True)
class Takeover:
    """What one round found: the daemons taken for dead, what came back, and when to look again."""

    dead: dict[str, CauseOfDeath] = field(default_factory=dict)
    handed_back: dict[str, list[str]] = field(default_factory=dict)
    #: seconds until the next daemon would count as silent (None: nobody to watch)
    next_due: float | None = None

    @property
    def anything(self) -> bool:
        return any(self.handed_back.values())


async def take_over_dead(db: Database, here: Here, *, actor: str) -> Takeover:
    """Judge every daemon that may be alive; mark the dead ones and hand back all they owned."""
    async with db.write() as conn:
        now = await daemon_store.database_now(conn)
        dead: dict[str, CauseOfDeath] = {}
        next_due: float | None = None
        for life in await daemon_store.possibly_alive(conn):
            if life.daemon_id == here.daemon_id:
                continue
            probed = can_probe(life, here)
            running_key = running_process_key(life.pid, here.process_scope) if probed else None
            cause = cause_of_death(life, here, now=now, running_key=running_key)
            if cause is not None:
                if await daemon_store.mark_dead(conn, life, now=now):
                    dead[life.daemon_id] = cause
            elif not probed:  # a daemon seen running here is not watched for silence
                due = seconds_until_silent(life, here, now=now)
                next_due = due if next_due is None else min(next_due, due)
        handed_back = {}
        if dead:
            handed_back = {name: await handback(conn, list(dead), now, actor) for name, handback in HANDBACKS.items()}
    return Takeover(dead=dead, handed_back=handed_back, next_due=next_due)

