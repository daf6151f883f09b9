"""Statements on ``daemons`` (heartbeats, liveness) and ``leases`` (singleton duties).

Times that decide ownership — heartbeats, lease terms — are database time
(:func:`database_now`), read in the transaction that uses them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from contenthub_async.domain.liveness import DaemonLife
from contenthub_async.domain.vocabulary import DaemonStatus
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of
from contenthub_async.store.everyday import Heartbeat as Heartbeat
from contenthub_async.store.everyday import latest_heartbeat as latest_heartbeat
from contenthub_async.store.prepared import Prepared, PreparedConnection
from contenthub_async.store.tables import daemons, leases

D = daemons.c
L = leases.c
_HEARTBEAT = Prepared("heartbeat")
_TAKE_LEASE = Prepared("take_lease")


@dataclass(frozen=True)
class DaemonRow:
    id: str
    hostname: str
    pid: int
    version: str
    status: str
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    host_id: str | None = None
    process_key: str | None = None
    heartbeat_seconds: float | None = None
    settings: dict[str, Any] | None = None  # what the daemon runs with (see daemon/runner.py)


async def database_now(conn: Connection | PreparedConnection) -> datetime:
    """The database's clock now: the time every daemon judges heartbeats and leases by."""
    return await dialect_of(conn).database_now(conn)


async def register_daemon(
    conn: Connection,
    *,
    daemon_id: str,
    hostname: str,
    pid: int,
    version: str,
    now: datetime,
    host_id: str | None = None,
    process_key: str | None = None,
    heartbeat_seconds: float | None = None,
    settings: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(daemons).values(
            id=daemon_id, hostname=hostname, pid=pid, version=version, status=DaemonStatus.RUNNING,
            started_at=now, heartbeat_at=now, host_id=host_id, process_key=process_key,
            heartbeat_seconds=heartbeat_seconds, settings=settings,
        )
    )


async def heartbeat(
    conn: PreparedConnection, daemon_id: str, *, now: datetime, status: str = DaemonStatus.RUNNING
) -> bool:
    """Beat; False when the row is gone or marked ``dead`` (another daemon took over its work)."""
    beat = await conn.execute(_HEARTBEAT, {"daemon_id": daemon_id, "set_heartbeat_at": now, "set_status": status})
    return bool(beat.rowcount == 1)


async def mark_stopped(conn: Connection, daemon_id: str, *, now: datetime) -> None:
    """A clean stop (a row already marked ``dead`` stays so)."""
    await conn.execute(
        update(daemons)
        .where(D.id == daemon_id, D.status != DaemonStatus.DEAD)
        .values(status=DaemonStatus.STOPPED, stopped_at=now, heartbeat_at=now)
    )


async def possibly_alive(conn: Connection) -> list[DaemonLife]:
    """Every daemon neither stopped nor already taken for dead."""
    rows = await conn.execute(
        select(D.id, D.host_id, D.pid, D.process_key, D.heartbeat_at, D.heartbeat_seconds)
        .where(D.status.in_((DaemonStatus.RUNNING, DaemonStatus.STOPPING)))
        .order_by(D.id)
    )
    return [
        DaemonLife(daemon_id=r.id, host_id=r.host_id, pid=r.pid, process_key=r.process_key,
                   heartbeat_at=r.heartbeat_at, heartbeat_seconds=r.heartbeat_seconds)
        for r in rows
    ]


async def mark_dead(conn: Connection, life: DaemonLife, *, now: datetime) -> bool:
    """Mark ``life`` dead unless it beat (or stopped) since it was read; True when marked.

    The guard on the heartbeat read makes a judgement on stale facts change nothing, and makes
    two daemons judging at once agree on one winner."""
    marked = await conn.execute(
        update(daemons)
        .where(
            D.id == life.daemon_id,
            D.status.in_((DaemonStatus.RUNNING, DaemonStatus.STOPPING)),
            D.heartbeat_at == life.heartbeat_at,
        )
        .values(status=DaemonStatus.DEAD, stopped_at=now)
    )
    return marked.rowcount == 1


async def list_daemons(conn: Connection) -> list[DaemonRow]:
    rows = (await conn.execute(select(*daemons.c).order_by(D.heartbeat_at.desc()))).all()
    return [DaemonRow(**dict(r._mapping)) for r in rows]


async def recent_daemons(conn: Connection, *, stopped_since: datetime, limit: int) -> list[DaemonRow]:
    """Daemons running or stopping, and those that stopped (or were taken for dead) from
    ``stopped_since`` on, freshest first."""
    query = (
        select(*daemons.c)
        .where(or_(D.status.in_((DaemonStatus.RUNNING, DaemonStatus.STOPPING)), D.heartbeat_at >= stopped_since))
        .order_by(D.heartbeat_at.desc())
        .limit(limit)
    )
    return [DaemonRow(**dict(r._mapping)) for r in (await conn.execute(query)).all()]


async def try_acquire_lease(
    conn: Connection, name: str, *, owner: str, now: datetime, ttl_seconds: float
) -> bool:
    """Take or renew lease ``name`` for ``owner`` unless someone else holds an unexpired one."""
    if await renew_lease(conn, name, owner=owner, now=now, ttl_seconds=ttl_seconds):
        return True
    expires = now + timedelta(seconds=ttl_seconds)
    held = (await conn.execute(select(L.owner).where(L.name == name))).first()
    if held is not None:
        return False
    try:
        async with conn.begin_nested():
            await conn.execute(insert(leases).values(name=name, owner=owner, acquired_at=now, expires_at=expires))
    except IntegrityError:
        return False
    return True


async def renew_lease(
    conn: PreparedConnection, name: str, *, owner: str, now: datetime, ttl_seconds: float
) -> bool:
    """Renew lease ``name`` for ``owner`` (or take it when its term ended); False when the lease
    row is missing or another owner holds an unexpired term."""
    renewed = await conn.execute(_TAKE_LEASE, {
        "lease_name": name, "now": now, "set_owner": owner, "set_acquired_at": now,
        "set_expires_at": now + timedelta(seconds=ttl_seconds),
    })
    return bool(renewed.rowcount == 1)


async def release_lease(conn: Connection, name: str, *, owner: str) -> None:
    await conn.execute(delete(leases).where(L.name == name, L.owner == owner))


async def release_leases_of(conn: Connection, owners: Sequence[str]) -> list[str]:
    """Release every singleton lease held by ``owners`` (dead daemons); the lease names."""
    if not owners:
        return []
    rows = await conn.execute(delete(leases).where(L.owner.in_(list(owners))).returning(L.name))
    return sorted(r.name for r in rows)


async def lease_holder(conn: Connection, name: str) -> tuple[str, datetime] | None:
    """(owner, expiry) of lease ``name``, or None."""
    row = (await conn.execute(select(L.owner, L.expires_at).where(L.name == name))).first()
    return (row.owner, row.expires_at) if row else None
