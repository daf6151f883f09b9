"""The janitor's round (services/janitor.py) on both backends: it rescues what expired, and a
round with nothing to rescue writes nothing but its heartbeat (every write takes the write lock
that submissions and the other loops wait for, and wakes every loop of every daemon)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy import event

from contenthub_async.clock import ManualClock
from contenthub_async.domain.liveness import Here
from contenthub_async.domain.states import TaskStatus
from contenthub_async.services.context import Knobs, ServiceContext
from contenthub_async.services.janitor import Janitor
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.conformance.support import add_account, claim, submit

KNOBS = Knobs(max_concurrent_tasks=5, task_timeout=60, poll_interval=1, retry_backoff=1, retry_backoff_max=10,
              lease_seconds=60, list_limit=100, heartbeat_interval=1, janitor_interval=1, shutdown_grace=1,
              wakeup_interval=0.05)
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements_of(db: Database) -> Iterator[list[str]]:
    """Every statement ``db`` runs inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


async def janitor_of(db: Database, clock: ManualClock, daemon_id: str = "d1") -> Janitor:
    async with db.write() as conn:
        await daemon_store.register_daemon(conn, daemon_id=daemon_id, hostname="h", pid=1, version="t",
                                           now=await daemon_store.database_now(conn))
    ctx = ServiceContext(db=db, creator=None, clock=clock, knobs=KNOBS, daemon_id=daemon_id,  # type: ignore[arg-type]
                         log=structlog.get_logger("test"))
    return Janitor(ctx, Here(daemon_id=daemon_id, host_id="host-a", process_scope=None, heartbeat_seconds=1))


async def test_a_round_with_nothing_to_rescue_writes_only_its_heartbeat_then_one_rescues(
    db: Database, clock: ManualClock
) -> None:
    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    await claim(db, clock, 1)  # leased for 60 s
    janitor = await janitor_of(db, clock)
    with statements_of(db) as seen:
        await janitor.run_once()
    writes = [s for s in seen if s.startswith(WRITES)]
    assert len(writes) == 1 and writes[0].startswith("UPDATE daemons SET"), writes

    clock.advance(61)  # the lease expired
    await janitor.run_once()
    async with db.read() as conn:
        task = await task_store.get_task(conn, task_id)
    assert task is not None and task.status == TaskStatus.PENDING and task.lease_owner is None
