"""Webhooks end to end inside one process, on both backends, with a real HTTP receiver on
loopback: the outbox written with the state change, fan-out, signed delivery (verified with
the independent ``standardwebhooks`` library), retries with the same ``webhook-id``, dead
after the horizon, a receiver that is down for a while, bounded concurrency with a slow
receiver, callback URLs and the address guard, and redirects."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook

from contenthub_async.clock import Clock, ManualClock, SystemClock
from contenthub_async.creator.port import CreatorResult
from contenthub_async.domain.entities import Task
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import DeliveryStatus, WebhookEventType
from contenthub_async.domain.webhook_events import ANNOUNCED_EVENTS
from contenthub_async.domain.webhook_signing import parse_secret_keys
from contenthub_async.services.context import Knobs, ServiceContext
from contenthub_async.services.results import finish_task
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.services.webhook_deliverer import IDLE_RECHECK_SECONDS, WebhookConfig, WebhookDeliverer
from contenthub_async.store import tasks as task_store
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.conformance.support import add_account, claim, submit
from tests.support.receiver import Receiver, received_async, running_receiver

S = TaskStatus
D = DeliveryStatus
SECRET = "whsec_" + base64.b64encode(b"integration-test-secret-0123456789").decode()
KNOBS = Knobs(max_concurrent_tasks=5, task_timeout=60, poll_interval=1, retry_backoff=1, retry_backoff_max=10,
              lease_seconds=60, list_limit=100, heartbeat_interval=1, janitor_interval=1, shutdown_grace=1,
              wakeup_interval=0.05)


def config(webhook_url: str | None, **changes: Any) -> WebhookConfig:
    base = WebhookConfig(webhook_url=webhook_url, wanted=frozenset(ANNOUNCED_EVENTS), keys=parse_secret_keys(SECRET),
                         timeout=10, concurrency=4, retry_base=0.05, retry_horizon=3600, allow_private=False)
    return replace(base, **changes)


def deliverer_for(db: Database, clock: Clock, cfg: WebhookConfig, name: str = "d1") -> WebhookDeliverer:
    ctx = ServiceContext(db=db, creator=None, clock=clock, knobs=KNOBS, daemon_id=name,  # type: ignore[arg-type]
                         log=structlog.get_logger("test"))
    return WebhookDeliverer(ctx, Wakeup(), cfg, cfg.sender())


@pytest.fixture
def now_clock() -> ManualClock:
    """A manual clock at the real time: receivers check signature timestamps against it."""
    return ManualClock(datetime.now(UTC))


async def move(db: Database, task: Task, to: TaskStatus, clock: Clock, **values: Any) -> Task:
    async with db.write() as conn:
        moved = await task_store.transition(conn, task, to, now=clock.now(), actor="test", values=values)
    assert moved is not None
    return moved


async def one_of_each(db: Database, clock: Clock) -> dict[str, str]:
    """Four tasks, one in each terminal status, reached the way the daemon reaches them."""
    account = await add_account(db, clock)
    ids = await submit(db, clock, account, 5, 5, 5, 5)
    tasks = {t.task_id: t for t in await claim(db, clock, 3)}
    done, failed, late = (tasks[i] for i in ids[:3])
    done = await move(db, done, S.SUBMITTED, clock, creator_task_id="c-1")
    ctx = ServiceContext(db=db, creator=None, clock=clock, knobs=KNOBS, daemon_id="d",  # type: ignore[arg-type]
                         log=structlog.get_logger("test"))
    assert await finish_task(ctx, done, CreatorResult("c-1", "# 标题\n\n正文", 2, ())) is not None
    await move(db, failed, S.FAILED, clock, error_message="boom", completed_at=clock.now())
    late = await move(db, late, S.SUBMITTED, clock, creator_task_id="c-3")
    await move(db, late, S.TIMEOUT, clock, completed_at=clock.now())
    from contenthub_async.services import task_commands

    await task_commands.cancel_task(db, ids[3], clock=clock, actor="cli")
    return {"task.completed": ids[0], "task.failed": ids[1], "task.timeout": ids[2], "task.cancelled": ids[3]}


async def deliver_all(deliverer: WebhookDeliverer) -> int:
    """Fan out and make one attempt of every due delivery; return how many attempts."""
    await deliverer.fan_out_once()
    attempts = 0
    while claimed := await deliverer.claim_once():
        for delivery in claimed:
            await deliverer.deliver(delivery)
            attempts += 1
    return attempts


async def deliveries(db: Database) -> list[Any]:
    async with db.read() as conn:
        return await webhook_store.list_deliveries(conn, limit=1000)


# ---------------------------------------------------------------- the outbox


async def test_every_finished_task_is_announced_once_with_its_type_and_verifies(
    db: Database, now_clock: ManualClock
) -> None:
    expected = await one_of_each(db, now_clock)
    with running_receiver() as receiver:
        assert await deliver_all(deliverer_for(db, now_clock, config(receiver.url))) == 4
        assert await deliver_all(deliverer_for(db, now_clock, config(receiver.url))) == 0  # nothing twice
    assert len(receiver.received) == 4
    seen = {}
    for request in receiver.received:
        body = Webhook(SECRET).verify(request.body, request.headers)  # raises unless the signature verifies
        assert request.headers["webhook-id"] == body["id"] and body["id"].startswith("evt_")
        assert request.headers["content-type"] == "application/json"
        seen[body["type"]] = body["data"]
    assert {kind: data["task_id"] for kind, data in seen.items()} == expected
    completed = seen["task.completed"]
    assert completed["status"] == "completed" and completed["content"]["title"] == "标题"
    assert completed["events"][-1]["to"] == "completed" and completed["account_name"] == "acc"
    assert seen["task.failed"]["error_message"] == "boom"
    assert all(d.status == D.DELIVERED and d.attempts == 1 and d.last_status_code == 200 for d in await deliveries(db))


async def test_without_a_destination_events_are_fanned_out_to_nothing(db: Database, clock: ManualClock) -> None:
    await one_of_each(db, clock)
    deliverer = deliverer_for(db, clock, config(None))
    assert await deliverer.fan_out_once() == 4
    assert await deliverer.fan_out_once() == 0
    assert await deliveries(db) == []


async def test_a_round_with_nothing_to_do_opens_no_write_transaction(
    db: Database, now_clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most rounds are woken by commits that concern other loops (a claim, a submission)."""
    writes = 0
    write = db.write

    def counting_write() -> Any:
        nonlocal writes
        writes += 1
        return write()

    monkeypatch.setattr(db, "write", counting_write)
    with running_receiver() as receiver:
        deliverer = deliverer_for(db, now_clock, config(receiver.url, allow_private=True, concurrency=8))
        async with anyio.create_task_group() as sending:
            deliverer._sending = sending
            assert await deliverer.run_once() == IDLE_RECHECK_SECONDS  # an empty outbox
            assert writes == 0
            events = await one_of_each(db, now_clock)
            writes = 0
            assert await deliverer.run_once() == 0  # fanned out and claimed: at once again
            assert writes == 2
            await received_async(receiver, len(events))
            with anyio.fail_after(60):
                while deliverer._in_progress:  # each attempt is recorded after its answer
                    await anyio.sleep(0.01)
            writes = 0
            assert await deliverer.run_once() == IDLE_RECHECK_SECONDS  # all delivered
            assert writes == 0
    assert {d.status for d in await deliveries(db)} == {D.DELIVERED}


async def test_the_event_filter_limits_what_is_sent(db: Database, now_clock: ManualClock) -> None:
    await one_of_each(db, now_clock)
    with running_receiver() as receiver:
        cfg = config(receiver.url, wanted=frozenset({WebhookEventType.TASK_FAILED, WebhookEventType.TASK_TIMEOUT}))
        assert await deliver_all(deliverer_for(db, now_clock, cfg)) == 2
    assert sorted(r.json["type"] for r in receiver.received) == ["task.failed", "task.timeout"]


# ---------------------------------------------------------------- publishing outcomes


async def generated_article(db: Database, clock: Clock, account: int, callback_url: str | None = None) -> str:
    """A task that completed with an article, auto-approved into the publish pool; its id."""
    [task_id] = await submit(db, clock, account, 5)  # type: ignore[arg-type]
    if callback_url:
        async with db.write() as conn:
            await conn.execute(update(content_generation_tasks).where(content_generation_tasks.c.task_id == task_id)
                               .values(callback_url=callback_url))
    [task] = await claim(db, clock, 1)  # type: ignore[arg-type]
    task = await move(db, task, S.SUBMITTED, clock, creator_task_id=f"c-{task_id}")
    ctx = ServiceContext(db=db, creator=None, clock=clock, knobs=KNOBS, daemon_id="d",  # type: ignore[arg-type]
                         log=structlog.get_logger("test"))
    assert await finish_task(ctx, task, CreatorResult(f"c-{task_id}", f"# 文章 {task_id}\n\n正文", 2, ())) is not None
    return task_id


async def test_publishing_outcomes_are_announced_with_the_pool_entry(
    db: Database, now_clock: ManualClock, tmp_path: Path
) -> None:
    """``content.published`` and ``content.publish_failed`` are written with the outcome, carry the
    pool entry, pass the event filter and reach the generating task's callback URL too."""
    from contenthub_async.publishers.registry import Publishers
    from contenthub_async.services.publishing import Publishing, PublishPolicy, publish_batch
    from contenthub_async.store import accounts as account_store
    from tests.support.processes import write_script

    refusing = write_script(tmp_path / "refuse.py", 'import sys; sys.stdin.read(); print("违规内容", file=sys.stderr); sys.exit(65)\n')
    good = await add_account(db, now_clock, name="good")
    bad = await add_account(db, now_clock, name="bad")
    async with db.write() as conn:
        await account_store.update_account(conn, bad, {"publisher": f"exec:{refusing}"}, now=now_clock.now())
    wanted = frozenset({WebhookEventType.CONTENT_PUBLISHED, WebhookEventType.CONTENT_PUBLISH_FAILED})
    with running_receiver() as receiver, running_receiver() as callback:
        published_task = await generated_article(db, now_clock, good)
        failed_task = await generated_article(db, now_clock, bad, callback_url=callback.url)
        cfg = config(receiver.url, wanted=wanted, allow_private=True)
        assert await deliver_all(deliverer_for(db, now_clock, cfg)) == 0  # task.completed: filtered out
        p = Publishing(db=db, clock=now_clock, actor="d1",
                       publishers=Publishers(f"dir:{tmp_path / 'out'}", api_key=None, timeout=20),
                       policy=PublishPolicy(max_attempts=3, backoff=10, backoff_max=100, lease_seconds=60))
        result = await publish_batch(p, limit=10, concurrency=2)
        assert result["success_count"] == 1 and result["failed_count"] == 1
        assert await deliver_all(deliverer_for(db, now_clock, cfg)) == 3
    seen = {}
    for request in receiver.received:
        body = Webhook(SECRET).verify(request.body, request.headers)
        assert request.headers["webhook-id"] == body["id"]
        seen[body["type"]] = body["data"]
    assert set(seen) == {"content.published", "content.publish_failed"}
    done, refused = seen["content.published"], seen["content.publish_failed"]
    assert (done["task_id"], done["status"], done["attempts"]) == (published_task, "published", 1)
    assert done["external_id"] and done["published_at"] and done["last_error"] is None
    assert done["content"]["publish_status"] == "published" and done["content"]["pool_status"] == "published"
    assert (refused["task_id"], refused["status"], refused["last_error"]) == (failed_task, "failed", "违规内容")
    assert refused["content"]["publish_status"] == "failed" and refused["title"] == f"文章 {failed_task}"
    [to_callback] = callback.received
    assert Webhook(SECRET).verify(to_callback.body, to_callback.headers)["type"] == "content.publish_failed"
    async with db.read() as conn:
        listed = await webhook_store.list_deliveries(conn, task_id=failed_task)
    assert sorted(d.url for d in listed) == sorted([receiver.url, callback.url])
    assert {d.event_type for d in listed} == {"content.publish_failed"}


async def test_a_publishing_outcome_that_rolls_back_announces_nothing(
    db: Database, now_clock: ManualClock
) -> None:
    from contenthub_async.domain.vocabulary import PoolStatus
    from contenthub_async.store import pool as pool_store

    await generated_article(db, now_clock, await add_account(db, now_clock))
    async with db.write() as conn:
        [entry] = await pool_store.claim_entries(conn, owner="d1", limit=1, now=now_clock.now(), lease_seconds=60)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with db.write() as conn:
            assert await pool_store.transition(conn, entry, PoolStatus.PUBLISHED, now=now_clock.now(), actor="d1",
                                               values={"external_id": "x-1", "published_at": now_clock.now()}, lease_owner="d1")
            raise Rollback
    deliverer = deliverer_for(db, now_clock, config(None))
    assert await deliverer.fan_out_once() == 1  # task.completed only
    async with db.write() as conn:
        assert await pool_store.transition(conn, entry, PoolStatus.PUBLISHED, now=now_clock.now(), actor="d1",
                                           values={"external_id": "x-1", "published_at": now_clock.now()}, lease_owner="d1")
    assert await deliverer.fan_out_once() == 1  # content.published, committed with the outcome


async def test_a_failed_scheduled_run_is_announced(db: Database, now_clock: ManualClock, tmp_path: Path) -> None:
    """A job whose executor raises, run by the scheduler: ``job_run.failed`` arrives, signed, with the run."""
    from contenthub_async.services import executors
    from contenthub_async.services import job_commands as jobs
    from contenthub_async.services.executors import RunContext
    from tests.integration.test_scheduler import CounterParams, make_scheduler

    class Boom:
        name = "test_webhook_boom"
        params_model = CounterParams

        async def execute(self, ctx: RunContext, params: Any) -> dict[str, Any]:
            raise RuntimeError("磁盘已满")

    executors.register(Boom(), replace=True)
    try:
        job = await jobs.create_job(db, name="nightly", job_type=Boom.name, cron_expr="0 3 * * *", timezone=None,
                                    params={}, clock=now_clock)
        await jobs.trigger_job(db, job.id, clock=now_clock)
        await make_scheduler(db, now_clock, tmp_path).tick()  # type: ignore[arg-type]
    finally:
        executors.unregister(Boom.name)
    with running_receiver() as receiver:
        assert await deliver_all(deliverer_for(db, now_clock, config(receiver.url))) == 1
    [request] = receiver.received
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert body["type"] == "job_run.failed" and request.headers["webhook-id"] == body["id"]
    run = body["data"]
    assert (run["job_id"], run["job_name"], run["status"], run["trigger"]) == (job.id, "nightly", "failed", "manual")
    assert "磁盘已满" in run["error"]


# ---------------------------------------------------------------- retries


async def test_a_failed_attempt_is_retried_later_with_the_same_webhook_id(db: Database, now_clock: ManualClock) -> None:
    account = await add_account(db, now_clock)
    await submit(db, now_clock, account, 5)
    [task] = await claim(db, now_clock, 1)
    await move(db, task, S.FAILED, now_clock)
    with running_receiver(answers=[500]) as receiver:
        deliverer = deliverer_for(db, now_clock, config(receiver.url, retry_base=30))
        assert await deliver_all(deliverer) == 1
        [delivery] = await deliveries(db)
        assert delivery.status == D.PENDING and delivery.last_status_code == 500 and delivery.attempts == 1
        assert "HTTP 500" in (delivery.last_error or "")
        assert await deliver_all(deliverer) == 0  # not yet due
        now_clock.advance(31)
        assert await deliver_all(deliverer) == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert int(second.headers["webhook-timestamp"]) >= int(first.headers["webhook-timestamp"]) + 30
    Webhook(SECRET).verify(second.body, second.headers)
    [delivery] = await deliveries(db)
    assert delivery.status == D.DELIVERED and delivery.attempts == 2
    async with db.read() as conn:
        attempts = await webhook_store.attempts_of(conn, delivery.id)
    assert [a.status_code for a in attempts] == [500, 200]


async def test_past_the_horizon_a_delivery_is_dead(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 5)
    [task] = await claim(db, clock, 1)
    await move(db, task, S.FAILED, clock)
    with running_receiver(default=503) as receiver:
        deliverer = deliverer_for(db, clock, config(receiver.url, retry_base=60, retry_horizon=600))
        attempts = 0
        for _ in range(50):
            attempts += await deliver_all(deliverer)
            [delivery] = await deliveries(db)
            if delivery.status == D.DEAD:
                break
            clock.advance(120)
    assert delivery.status == D.DEAD and delivery.attempts == attempts == len(receiver.received)
    assert 3 <= attempts <= 8  # 60, 120, 240, then capped by the 600 s horizon


async def test_a_receiver_that_is_down_gets_the_event_when_it_comes_back(db: Database, now_clock: ManualClock) -> None:
    account = await add_account(db, now_clock)
    await submit(db, now_clock, account, 5)
    [task] = await claim(db, now_clock, 1)
    await move(db, task, S.FAILED, now_clock)
    receiver = Receiver()
    receiver.start()
    port = receiver.port
    receiver.stop()  # down: nothing listens on the port
    deliverer = deliverer_for(db, now_clock, config(f"http://127.0.0.1:{port}/hook", retry_base=10))
    for _ in range(3):
        assert await deliver_all(deliverer) == 1
        now_clock.advance(100)
    [delivery] = await deliveries(db)
    assert delivery.status == D.PENDING and delivery.last_status_code is None and delivery.last_error
    with running_receiver(port=port) as back:
        assert await deliver_all(deliverer) == 1
    assert len(back.received) == 1 and back.received[0].json["type"] == "task.failed"
    [delivery] = await deliveries(db)
    assert delivery.status == D.DELIVERED and delivery.attempts == 4


# ---------------------------------------------------------------- two claimers


async def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_expires(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    await submit(db, clock, account, 5)
    [task] = await claim(db, clock, 1)
    await move(db, task, S.FAILED, clock)
    first = deliverer_for(db, clock, config("http://127.0.0.1:9/hook"), name="d1")
    second = deliverer_for(db, clock, config("http://127.0.0.1:9/hook"), name="d2")
    await first.fan_out_once()
    [claimed] = await first.claim_once()
    assert await second.claim_once() == []
    clock.advance(first.config.timeout + 31)
    [again] = await second.claim_once()
    assert again.delivery_id == claimed.delivery_id
    async with db.write() as conn:  # the first claimer's late outcome is refused
        assert not await webhook_store.record_attempt(
            conn, claimed, owner="d1", now=clock.now(), status_code=200, error=None, duration_ms=1,
            delivered=True, retry_at=None)
        assert await webhook_store.record_attempt(
            conn, again, owner="d2", now=clock.now(), status_code=200, error=None, duration_ms=1,
            delivered=True, retry_at=None)


# ---------------------------------------------------------------- the loop, concurrency


async def test_a_slow_receiver_holds_one_slot_and_nothing_else(db: Database) -> None:
    """Deliveries to a receiver that does not answer yet wait in their own slot: the others
    (concurrency 2: one slot left) are all delivered meanwhile."""
    import threading

    clock = SystemClock()
    release = threading.Event()
    with running_receiver(hold=release) as slow, running_receiver() as fast:
        first = await callback_task(db, clock, slow.url)
        account = await add_account(db, clock, name="other")  # type: ignore[arg-type]
        await submit(db, clock, account, *[5] * 6)  # type: ignore[arg-type]
        for task in await claim(db, clock, 6):  # type: ignore[arg-type]
            await move(db, task, S.FAILED, clock)
        deliverer = deliverer_for(db, clock, config(fast.url, concurrency=2, allow_private=True, timeout=120))
        stopping = anyio.Event()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(deliverer.run, stopping)
                await received_async(slow, 1)
                started = anyio.current_time()
                await received_async(fast, 7)  # the callback task's event goes to WEBHOOK_URL too
                fast_seconds = anyio.current_time() - started
                assert len(slow.received) == 1
                [held] = [d for d in await deliveries(db) if d.url == slow.url]
                assert held.status == D.PENDING and held.attempts == 0  # still in flight
                release.set()
                with anyio.fail_after(60):
                    while [d.status for d in await deliveries(db) if d.url == slow.url] != [D.DELIVERED]:
                        await anyio.sleep(0.05)
                stopping.set()
        finally:
            release.set()
    assert slow.received[0].json["data"]["task_id"] == first
    print(f"7 deliveries through the one free slot took {fast_seconds:.2f} s while the other was held")


# ---------------------------------------------------------------- callback URLs and the address guard


async def callback_task(db: Database, clock: Clock, url: str) -> str:
    account = await add_account(db, clock)  # type: ignore[arg-type]
    [task_id] = await submit(db, clock, account, 5)  # type: ignore[arg-type]
    async with db.write() as conn:
        await conn.execute(update(content_generation_tasks).where(content_generation_tasks.c.task_id == task_id)
                           .values(callback_url=url))
    [task] = await claim(db, clock, 1)  # type: ignore[arg-type]
    await move(db, task, S.FAILED, clock)
    return task_id


async def test_a_callback_to_loopback_is_refused_unless_private_addresses_are_allowed(
    db: Database, now_clock: ManualClock
) -> None:
    with running_receiver() as receiver:
        task_id = await callback_task(db, now_clock, receiver.url)
        assert await deliver_all(deliverer_for(db, now_clock, config(None))) == 1
        [delivery] = await deliveries(db)
        assert delivery.status == D.PENDING and "loopback" in (delivery.last_error or "")
        assert receiver.received == []
        now_clock.advance(60)
        assert await deliver_all(deliverer_for(db, now_clock, config(None, allow_private=True))) == 1
    [request] = receiver.received
    assert request.json["data"]["task_id"] == task_id and request.json["data"]["callback_url"] == receiver.url


async def test_a_callback_to_the_metadata_address_is_refused(db: Database, now_clock: ManualClock) -> None:
    await callback_task(db, now_clock, "http://169.254.169.254/latest/meta-data/")
    assert await deliver_all(deliverer_for(db, now_clock, config(None))) == 1
    [delivery] = await deliveries(db)
    assert "link-local" in (delivery.last_error or "") and delivery.last_status_code is None


async def test_a_redirect_to_another_host_is_not_followed(db: Database, now_clock: ManualClock) -> None:
    with running_receiver() as elsewhere, running_receiver(answers=[307], redirect_to="") as first:
        first.redirect_to = elsewhere.url.replace("127.0.0.1", "localhost")
        await callback_task(db, now_clock, first.url)
        assert await deliver_all(deliverer_for(db, now_clock, config(None, allow_private=True))) == 1
    assert elsewhere.received == []
    [delivery] = await deliveries(db)
    assert delivery.last_status_code == 307 and "not followed" in (delivery.last_error or "")


async def test_a_redirect_to_the_same_host_is_followed(db: Database, now_clock: ManualClock) -> None:
    with running_receiver(answers=[308]) as receiver:
        receiver.redirect_to = "/moved"
        await callback_task(db, now_clock, receiver.url)
        assert await deliver_all(deliverer_for(db, now_clock, config(None, allow_private=True))) == 1
    assert [r.path for r in receiver.received] == ["/hook", "/moved"]
    assert receiver.received[0].body == receiver.received[1].body
    [delivery] = await deliveries(db)
    assert delivery.status == D.DELIVERED


async def test_only_the_start_of_a_huge_answer_is_read(db: Database, now_clock: ManualClock) -> None:
    from contenthub_async.services.webhook_sender import ERROR_TEXT_CAP, RESPONSE_CAP

    await callback_task(db, now_clock, "http://127.0.0.1:1/placeholder")
    with running_receiver(answers=[500], answer_size=20 * 1024 * 1024) as receiver:
        sender = config(None, allow_private=True).sender()
        try:
            outcome = await sender.send(receiver.url, "evt_x", b"{}", guarded=True, timestamp=0)
        finally:
            await sender.aclose()
    assert outcome.status_code == 500 and len(outcome.body) <= RESPONSE_CAP
    assert outcome.error is not None and len(outcome.error) <= ERROR_TEXT_CAP + 20


# ---------------------------------------------------------------- the README's receiver


def readme_receiver() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Webhooks"):]
    return section[section.index("```python\n") + len("```python\n"):section.index("```\n\n", section.index("```python"))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_readme_receiver_verifies_our_signatures(db: Database, now_clock: ManualClock, tmp_path: Path) -> None:
    code = readme_receiver()
    assert len(code.strip().splitlines()) <= 12
    account = await add_account(db, now_clock)
    await submit(db, now_clock, account, 5, 5)
    tasks = await claim(db, now_clock, 2)
    for task in tasks:
        await move(db, task, S.FAILED, now_clock)
    port = free_port()
    out = tmp_path / "receiver.out"
    with out.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PORT": str(port)},
                                   stdout=sink, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}/"
            key = "whsec_c2VjcmV0LWtleS1vZi1hdC1sZWFzdC0yNC1ieXRlcw=="
            with anyio.fail_after(60):
                while True:  # until the receiver listens
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=1):
                            break
                    except OSError:
                        await anyio.sleep(0.05)
            signed = deliverer_for(db, now_clock, config(url, keys=parse_secret_keys(key)))
            wrong = deliverer_for(db, now_clock, config(url, keys=parse_secret_keys("whsec_" + "A" * 40)))
            await signed.fan_out_once()
            [first, second] = await signed.claim_once()
            assert (await signed.deliver(first)).status_code == 204
            assert (await wrong.deliver(second)).status_code == 401
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    lines = out.read_text().splitlines()
    assert lines == [f"verified task.failed {tasks[0].task_id}", f"REJECTED task.failed {tasks[1].task_id}"] or \
        lines == [f"verified task.failed {tasks[1].task_id}", f"REJECTED task.failed {tasks[0].task_id}"]
