"""Conformance, webhook outbox: the event row lives and dies with the state change that
causes it; deliveries are claimed under a lease and outcomes recorded only by the holder;
redelivery puts finished deliveries back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import DeliveryStatus, WebhookEventType
from contenthub_async.store import tasks as task_store
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import webhook_events
from tests.conformance.support import add_account, claim, submit

S = TaskStatus
D = DeliveryStatus


async def test_a_rolled_back_change_announces_nothing(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 5)
    [task] = await claim(db, clock, 1)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with db.write() as conn:
            assert await task_store.transition(conn, task, S.FAILED, now=clock.now(), actor="t") is not None
            assert len(await webhook_store.events_to_fan_out(conn, limit=10)) == 1
            raise Rollback
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(webhook_events))).scalar_one() == 0


async def test_a_lease_expiry_that_cancels_announces_task_cancelled(db: Database, clock: ManualClock) -> None:
    from contenthub_async.services import task_commands

    account = await add_account(db, clock)
    [task_id] = await submit(db, clock, account, 5)
    await claim(db, clock, 1)
    await task_commands.cancel_task(db, task_id, clock=clock, actor="cli")
    clock.advance(61)
    async with db.write() as conn:
        await task_store.expire_leases(conn, now=clock.now(), actor="janitor")
        [event] = await webhook_store.events_to_fan_out(conn, limit=10)
    assert event.event_type == WebhookEventType.TASK_CANCELLED


async def failed_event(db: Database, clock: ManualClock, urls: list[str]) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 5)
    [task] = await claim(db, clock, 1)
    async with db.write() as conn:
        await task_store.transition(conn, task, S.FAILED, now=clock.now(), actor="t")
        [event] = await webhook_store.events_to_fan_out(conn, limit=10)
        await webhook_store.fan_out(conn, event, urls, now=clock.now())
        await webhook_store.fan_out(conn, event, urls, now=clock.now())  # twice: nothing more
        assert await webhook_store.events_to_fan_out(conn, limit=10) == []


async def test_claims_hold_a_lease_and_only_the_holder_records(db: Database, clock: ManualClock) -> None:
    await failed_event(db, clock, ["http://a/", "http://b/", "http://a/"])
    async with db.write() as conn:
        first = await webhook_store.claim_deliveries(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=40)
        second = await webhook_store.claim_deliveries(conn, owner="d2", limit=5, now=clock.now(), lease_seconds=40)
        assert await webhook_store.claim_deliveries(conn, owner="d3", limit=5, now=clock.now(), lease_seconds=40) == []
    assert len(first) == 1 and len(second) == 1 and first[0].delivery_id != second[0].delivery_id
    assert first[0].event_id == second[0].event_id and first[0].attempt == 1
    clock.advance(41)
    async with db.write() as conn:
        [again] = await webhook_store.claim_deliveries(conn, owner="d3", limit=1, now=clock.now(), lease_seconds=40)
        assert not await webhook_store.record_attempt(
            conn, again, owner="d1" if again.delivery_id == first[0].delivery_id else "d2", now=clock.now(),
            status_code=200, error=None, duration_ms=5, delivered=True, retry_at=None)
        assert await webhook_store.record_attempt(
            conn, again, owner="d3", now=clock.now(), status_code=None, error="refused", duration_ms=5,
            delivered=False, retry_at=None)
        dead = await webhook_store.get_delivery(conn, again.delivery_id)
        assert dead is not None and dead.status == D.DEAD and dead.attempts == 1 and dead.last_error == "refused"
        assert await webhook_store.count_by_status(conn) == {"pending": 1, "dead": 1}


async def test_redeliver_puts_dead_and_delivered_back(db: Database, clock: ManualClock) -> None:
    await failed_event(db, clock, ["http://a/"])
    async with db.write() as conn:
        [claimed] = await webhook_store.claim_deliveries(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=40)
        await webhook_store.record_attempt(conn, claimed, owner="d1", now=clock.now(), status_code=500,
                                           error="HTTP 500", duration_ms=5, delivered=False, retry_at=None)
        assert await webhook_store.redeliver(conn, delivery_ids=[claimed.delivery_id + 99], now=clock.now()) == []
        assert await webhook_store.redeliver(conn, all_dead=True, now=clock.now()) == [claimed.delivery_id]
        assert await webhook_store.redeliver(conn, delivery_ids=[claimed.delivery_id], now=clock.now()) == []
        [back] = await webhook_store.claim_deliveries(conn, owner="d2", limit=1, now=clock.now(), lease_seconds=40)
    assert back.attempt == 2 and back.event_id == claimed.event_id


async def test_a_failed_job_run_is_announced_in_its_transaction(db: Database, clock: ManualClock) -> None:
    from contenthub_async.domain.vocabulary import JobRunStatus
    from contenthub_async.store import jobs as job_store

    async with db.write() as conn:
        job = await job_store.insert_job(conn, name="nightly", job_type="cleanup", cron="0 3 * * *", timezone=None,
                                         params={}, misfire_policy="run_once", misfire_grace_seconds=60,
                                         next_run_at=None, now=clock.now())
        failing = await job_store.insert_manual_run(conn, job.id, now=clock.now())
        assert failing is not None
        assert await job_store.claim_run(conn, failing, daemon_id="d1", now=clock.now())
        assert await job_store.finish_run(conn, failing, status=JobRunStatus.FAILED, now=clock.now(), error="disk full")
        [event] = await webhook_store.events_to_fan_out(conn, limit=10)
        data = (await conn.execute(select(webhook_events.c.data))).scalar_one()
    assert event.event_type == WebhookEventType.JOB_RUN_FAILED
    assert data["run_id"] == failing and data["job_name"] == "nightly" and data["error"] == "disk full"
    assert data["status"] == "failed"
    clock.advance(1)
    async with db.write() as conn:
        succeeding = await job_store.insert_manual_run(conn, job.id, now=clock.now())
        assert succeeding is not None and await job_store.claim_run(conn, succeeding, daemon_id="d1", now=clock.now())
        assert await job_store.finish_run(conn, succeeding, status=JobRunStatus.SUCCEEDED, now=clock.now())
        assert len(await webhook_store.events_to_fan_out(conn, limit=10)) == 1  # nothing for a success
