"""Statements on ``daemons`` (heartbeats) and ``leases`` (singleton duties)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from contenthub_async.domain.vocabulary import DaemonStatus
from contenthub_async.store.tables import daemons, leases

D = daemons.c
L = leases.c


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


async def register_daemon(
    conn: AsyncConnection, *, daemon_id: str, hostname: str, pid: int, version: str, now: datetime
) -> None:
    await conn.execute(
        insert(daemons).values(
            id=daemon_id, hostname=hostname, pid=pid, version=version, status=DaemonStatus.RUNNING,
            started_at=now, heartbeat_at=now,
        )
    )


async def heartbeat(conn: AsyncConnection, daemon_id: str, *, now: datetime, status: str = DaemonStatus.RUNNING) -> None:
    await conn.execute(update(daemons).where(D.id == daemon_id).values(heartbeat_at=now, status=status))


async def mark_stopped(conn: AsyncConnection, daemon_id: str, *, now: datetime) -> None:
    await conn.execute(
        update(daemons).where(D.id == daemon_id).values(status=DaemonStatus.STOPPED, stopped_at=now, heartbeat_at=now)
    )


async def list_daemons(conn: AsyncConnection) -> list[DaemonRow]:
    rows = (await conn.execute(select(*daemons.c).order_by(D.heartbeat_at.desc()))).all()
    return [DaemonRow(**dict(r._mapping)) for r in rows]


async def recent_daemons(conn: AsyncConnection, *, stopped_since: datetime, limit: int) -> list[DaemonRow]:
    """Daemons not marked stopped, and those that stopped from ``stopped_since`` on, freshest first."""
    query = (
        select(*daemons.c)
        .where(or_(D.status != DaemonStatus.STOPPED, D.heartbeat_at >= stopped_since))
        .order_by(D.heartbeat_at.desc())
        .limit(limit)
    )
    return [DaemonRow(**dict(r._mapping)) for r in (await conn.execute(query)).all()]


async def try_acquire_lease(
    conn: AsyncConnection, name: str, *, owner: str, now: datetime, ttl_seconds: float
) -> bool:
    """Take or renew lease ``name`` for ``owner`` unless someone else holds an unexpired one."""
    expires = now + timedelta(seconds=ttl_seconds)
    renewed = await conn.execute(
        update(leases)
        .where(L.name == name, or_(L.owner == owner, L.expires_at < now))
        .values(owner=owner, acquired_at=now, expires_at=expires)
    )
    if renewed.rowcount == 1:
        return True
    held = (await conn.execute(select(L.owner).where(L.name == name))).first()
    if held is not None:
        return False
    try:
        async with conn.begin_nested():
            await conn.execute(insert(leases).values(name=name, owner=owner, acquired_at=now, expires_at=expires))
    except IntegrityError:
        return False
    return True


async def release_lease(conn: AsyncConnection, name: str, *, owner: str) -> None:
    await conn.execute(delete(leases).where(L.name == name, L.owner == owner))
