"""Two contenthubd processes on one PostgreSQL database share the webhook outbox: a slow
receiver that refuses each event's first request sees every event delivered, signed, with its
type, and never one ``webhook-id`` arriving while another request with it is being answered —
whichever daemon made the first attempt and whichever the retry."""

from __future__ import annotations

import base64
from pathlib import Path

import anyio
import pytest
from standardwebhooks.webhooks import Webhook

from contenthub_async.domain.submission import NewTask
from contenthub_async.domain.vocabulary import DeliveryStatus
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.database import Database
from tests.support.daemons import daemon_environment, daemon_process, prepare, submit
from tests.support.receiver import received_async, running_receiver

SECRET = "whsec_" + base64.b64encode(b"two-daemons-secret-0123456789abc").decode()
TASKS = 10


async def until(db: Database, check: object, timeout: float) -> None:
    """Wait (a generous deadline on a loaded machine) until ``await check(conn)`` is true."""
    with anyio.fail_after(timeout):
        while True:
            async with db.read() as conn:
                if await check(conn):  # type: ignore[operator]
                    return
            await anyio.sleep(0.3)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_daemons_never_deliver_one_event_at_the_same_time(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    db = Database.open(db_url)
    try:
        with running_receiver(delay=0.5, fail_first=True) as receiver:
            env = daemon_environment(
                db_url, tmp_path / "fake", WEBHOOK_ENABLED="true", WEBHOOK_URL=receiver.url,
                WEBHOOK_SECRET_KEY=SECRET, WEBHOOK_TIMEOUT="60", CONTENTHUB_WEBHOOK_RETRY_BASE="0.2",
                CONTENTHUB_WEBHOOK_CONCURRENCY="3", CONTENTHUB_HEARTBEAT_INTERVAL="5",
            )
            with daemon_process(env, tmp_path / "first.log"), daemon_process(env, tmp_path / "second.log"):

                async def both_running(conn: object) -> bool:
                    rows = await daemon_store.list_daemons(conn)  # type: ignore[arg-type]
                    return sum(1 for d in rows if d.status == "running") == 2

                await until(db, both_running, timeout=120)
                task_ids = await submit(db_url, [NewTask(account_id=49, topic=f"topic {i}") for i in range(TASKS)])
                # Each task announces its completion and its article's publication; each event is
                # refused once, then accepted.
                await received_async(receiver, 4 * TASKS, timeout=300)

                async def all_delivered(conn: object) -> bool:
                    counts = await webhook_store.count_by_status(conn)  # type: ignore[arg-type]
                    return counts == {DeliveryStatus.DELIVERED.value: 2 * TASKS}

                await until(db, all_delivered, timeout=120)
        async with db.read() as conn:
            deliveries = await webhook_store.list_deliveries(conn, limit=1000)
            attempts = {d.id: await webhook_store.attempts_of(conn, d.id) for d in deliveries}
    finally:
        await db.close()

    assert receiver.overlapping == [], "one webhook-id was being delivered twice at the same time"
    assert len(receiver.received) == 4 * TASKS
    bodies = [Webhook(SECRET).verify(r.body, r.headers) for r in receiver.received]
    by_id: dict[str, list[str]] = {}
    for body in bodies:
        by_id.setdefault(body["id"], []).append(body["type"])
    assert all(len(types) == 2 for types in by_id.values())  # refused once, then delivered
    types = [types[0] for types in by_id.values()]
    assert sorted(types) == sorted(["task.completed"] * TASKS + ["content.published"] * TASKS)
    assert {b["data"]["task_id"] for b in bodies} == set(task_ids)
    assert all(d.attempts == 2 and d.last_status_code == 200 for d in deliveries)
    assert all([a.status_code for a in attempts[d.id]] == [500, 200] for d in deliveries)
    senders = {a.daemon_id for tried in attempts.values() for a in tried}
    assert len(senders) == 2, "both daemons delivered"
