"""Statements on ``accounts``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from contenthub_async.domain.entities import Account
from contenthub_async.store.connection import Connection
from contenthub_async.store.dialect import dialect_of
from contenthub_async.store.everyday import account_from_row as account_from_row
from contenthub_async.store.everyday import get_account as get_account
from contenthub_async.store.everyday import get_accounts as get_accounts
from contenthub_async.store.tables import accounts

A = accounts.c


async def insert_account(
    conn: Connection,
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
    if account_id is not None:
        await dialect_of(conn).after_explicit_ids(conn, accounts)
    return account_from_row(row)


async def get_account_by_name(conn: Connection, name: str) -> Account | None:
    row = (await conn.execute(select(*accounts.c).where(A.name == name))).first()
    return account_from_row(row) if row else None


async def list_accounts(conn: Connection, *, include_inactive: bool = True) -> list[Account]:
    query = select(*accounts.c).order_by(A.id)
    if not include_inactive:
        query = query.where(A.is_active.is_(True))
    return [account_from_row(r) for r in (await conn.execute(query)).all()]


async def set_account_active(conn: Connection, account_id: int, active: bool, *, now: datetime) -> bool:
    result = await conn.execute(
        update(accounts).where(A.id == account_id).values(is_active=active, updated_at=now)
    )
    return result.rowcount == 1


async def update_account(conn: Connection, account_id: int, values: dict[str, Any], *, now: datetime) -> bool:
    """Change the given columns of one account (e.g. ``publisher``, ``credentials_ref``)."""
    result = await conn.execute(update(accounts).where(A.id == account_id).values(updated_at=now, **values))
    return result.rowcount == 1
