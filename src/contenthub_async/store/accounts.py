"""Statements on ``accounts``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contenthub_async.store.batches import chunks
from contenthub_async.store.tables import accounts

A = accounts.c


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    platform: str | None
    category: str | None
    tone: str | None
    description: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Account:
        data = dict(row._mapping)
        data["is_active"] = bool(data["is_active"])
        return cls(**data)


async def insert_account(
    conn: AsyncConnection,
    *,
    name: str,
    now: datetime,
    account_id: int | None = None,
    platform: str | None = None,
    category: str | None = None,
    tone: str | None = None,
    description: str | None = None,
) -> Account:
    values: dict[str, Any] = dict(
        name=name, platform=platform, category=category, tone=tone, description=description,
        is_active=True, created_at=now, updated_at=now,
    )
    if account_id is not None:
        values["id"] = account_id
    row = (await conn.execute(insert(accounts).values(**values).returning(*accounts.c))).one()
    if account_id is not None and conn.dialect.name == "postgresql":
        # Keep the serial ahead of explicitly chosen ids.
        await conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))"
        )
    return Account.from_row(row)


async def get_account(conn: AsyncConnection, account_id: int) -> Account | None:
    row = (await conn.execute(select(*accounts.c).where(A.id == account_id))).first()
    return Account.from_row(row) if row else None


async def get_accounts(conn: AsyncConnection, account_ids: Iterable[int]) -> dict[int, Account]:
    """The accounts with these ids that exist (any number of ids: the IN list is chunked)."""
    ids = sorted(set(account_ids))
    found: dict[int, Account] = {}
    for chunk in chunks(ids):
        query = select(*accounts.c).where(A.id.in_(chunk))
        found.update({row.id: Account.from_row(row) for row in (await conn.execute(query)).all()})
    return found


async def list_accounts(conn: AsyncConnection, *, include_inactive: bool = True) -> list[Account]:
    query = select(*accounts.c).order_by(A.id)
    if not include_inactive:
        query = query.where(A.is_active.is_(True))
    return [Account.from_row(r) for r in (await conn.execute(query)).all()]


async def set_account_active(conn: AsyncConnection, account_id: int, active: bool, *, now: datetime) -> bool:
    result = await conn.execute(
        update(accounts).where(A.id == account_id).values(is_active=active, updated_at=now)
    )
    return result.rowcount == 1
