"""contenthub-ctl and webhooks, as operators use them: ``submit --callback-url`` and the CSV
column, ``webhook list|show|redeliver|test`` (with --format json), and dead deliveries in
``monitor metrics`` and ``monitor health``. Deliveries are made by the real deliverer to a real
receiver on loopback."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog
from standardwebhooks.webhooks import Webhook

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.webhook_events import ANNOUNCED_EVENTS
from contenthub_async.domain.webhook_signing import parse_secret_keys
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.services.webhook_deliverer import WebhookConfig, WebhookDeliverer
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from tests.support.cli import ZH, Ctl
from tests.support.receiver import running_receiver

SECRET = "whsec_" + base64.b64encode(b"cli-test-secret-0123456789abcdef").decode()


def fail_all_and_deliver_once(ctl: Ctl, horizon: float) -> None:
    """Fail every pending task (as the daemon would) and make one delivery attempt of each event."""

    async def action(db: Database, _: ManualClock) -> None:
        clock = ManualClock(datetime.now(UTC))  # tasks were submitted by contenthub-ctl just now
        async with db.write() as conn:
            await task_store.lock_claims(conn)
            claimed = await task_store.claim_tasks(conn, owner="d", limit=100, now=clock.now(), lease_seconds=60)
            for task in claimed:
                await task_store.transition(conn, task, TaskStatus.FAILED, now=clock.now(), actor="d",
                                            values={"error_message": "boom", "completed_at": clock.now()})
        config = WebhookConfig(webhook_url=None, wanted=frozenset(ANNOUNCED_EVENTS), keys=parse_secret_keys(SECRET),
                               timeout=10, concurrency=2, retry_base=10, retry_horizon=horizon, allow_private=True)
        ctx = ServiceContext(db=db, creator=None, clock=clock, knobs=None, daemon_id="d",  # type: ignore[arg-type]
                             log=structlog.get_logger("test"))
        deliverer = WebhookDeliverer(ctx, Wakeup(), replace(config), config.sender())
        await deliverer.fan_out_once()
        clock.advance(1)
        for delivery in await deliverer.claim_once():
            await deliverer.deliver(delivery)
        await deliverer.sender.aclose()

    ctl.store(action)


def test_callback_url_is_validated_stored_and_shown(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _noop())
    assert ctl("account", "add", "--name", "acc", "--id", "1").code == 0
    for bad in ("ftp://example.com/x", "not a url", "http://"):
        r = ctl("submit", "-a", "1", "-t", "topic", "--callback-url", bad)
        assert r.code == 2 and "--callback-url" in r.err and "http" in r.err
    r = ctl("submit", "-a", "1", "-t", "topic", "--callback-url", "ftp://x/", lang=ZH)
    assert r.code == 2 and "回调地址" in r.err
    assert ctl.count() == (0, 0)
    r = ctl("submit", "-a", "1", "-t", "topic", "--callback-url", "https://hooks.example.com/cb?x=1", "--format", "json")
    task_id = r.json()["task_id"]  # type: ignore[index]
    status: Any = ctl("status", task_id, "--format", "json").json()
    assert status["callback_url"] == "https://hooks.example.com/cb?x=1"
    (ctl.cwd / "tasks.csv").write_text(
        "account_id,topic,callback_url\n1,with,http://cms.example.com/hook\n1,without,\n", encoding="utf-8")
    assert ctl("import", "tasks.csv").code == 0
    assert ctl.rows("SELECT topic, callback_url FROM content_generation_tasks ORDER BY id")[1:] == [
        ("with", "http://cms.example.com/hook"), ("without", None)]
    (ctl.cwd / "bad.csv").write_text("account_id,topic,callback_url\n1,bad,gopher://x\n", encoding="utf-8")
    r = ctl("import", "bad.csv")
    assert r.code == 2 and "callback" in r.err


def test_list_show_monitor_and_redeliver_a_dead_delivery(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _noop())
    assert ctl("account", "add", "--name", "acc", "--id", "1").code == 0
    with running_receiver(default=500) as receiver:
        r = ctl("submit", "-a", "1", "-t", "topic", "--callback-url", receiver.url, "--format", "json")
        task_id = r.json()["task_id"]  # type: ignore[index]
        assert ctl("webhook", "list").out.strip() == "No webhook deliveries."
        fail_all_and_deliver_once(ctl, horizon=0.001)  # the first failure is past the horizon: dead
    [request] = receiver.received
    Webhook(SECRET).verify(request.body, request.headers)

    listed: Any = ctl("webhook", "list", "--format", "json").json()
    assert len(listed) == 1
    delivery = listed[0]
    assert delivery["status"] == "dead" and delivery["event_type"] == "task.failed" and delivery["task_id"] == task_id
    assert delivery["last_status_code"] == 500 and delivery["event_id"] == request.headers["webhook-id"]
    assert ctl("webhook", "list", "--status", "delivered", "--format", "json").json() == []
    assert ctl("webhook", "list", "--task", task_id, "--format", "json").json() == listed
    shown: Any = ctl("webhook", "show", str(delivery["delivery_id"]), "--format", "json").json()
    assert [a["status_code"] for a in shown["attempt_log"]] == [500] and shown["attempt_log"][0]["daemon_id"] == "d"
    human = ctl("webhook", "show", str(delivery["delivery_id"]), lang=ZH)
    assert human.code == 0 and "已失效（dead）" in human.out and "500" in human.out
    assert ctl("webhook", "list", lang=ZH).code == 0

    metrics: Any = ctl("monitor", "metrics", "--format", "json").json()
    assert metrics["webhook_dead_count"] == 1 and metrics["webhook_deliveries"]["dead"] == 1
    health = ctl("monitor", "health", "--format", "json", env={"CREATOR_CLI_PATH": "/bin/true"})
    webhooks = health.json()["checks"]["webhooks"]  # type: ignore[index]
    assert webhooks["status"] == "degraded" and webhooks["dead"] == 1

    assert ctl("webhook", "redeliver").code == 2
    assert ctl("webhook", "redeliver", "1", "--dead").code == 2
    assert ctl("webhook", "show", "999").code == 1
    r = ctl("webhook", "redeliver", "--dead", "--format", "json")
    assert r.code == 0 and r.json() == {"redelivered": [delivery["delivery_id"]]}
    again: Any = ctl("webhook", "list", "--format", "json").json()
    assert again[0]["status"] == "pending" and again[0]["attempts"] == 1
    assert ctl("monitor", "metrics", "--format", "json").json()["webhook_dead_count"] == 0  # type: ignore[index]


def test_webhook_test_sends_a_signed_ping(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _noop())
    with running_receiver() as receiver:
        r = ctl("webhook", "test", "--url", receiver.url, "--format", "json", env={"WEBHOOK_SECRET_KEY": SECRET})
        assert r.code == 0
        answer: Any = r.json()
        assert answer["delivered"] and answer["status_code"] == 200 and answer["signed"]
        [ping] = receiver.received
        body = Webhook(SECRET).verify(ping.body, ping.headers)
        assert body["type"] == "ping" and body["id"] == answer["event_id"] == ping.headers["webhook-id"]
        r = ctl("webhook", "test", env={"WEBHOOK_URL": receiver.url}, lang=ZH)
        assert r.code == 0 and "200" in r.out and "未签名" in r.out
    with running_receiver(default=503) as failing:
        r = ctl("webhook", "test", "--url", failing.url)
        assert r.code == 1 and "503" in r.out
    r = ctl("webhook", "test")
    assert r.code == 2 and "WEBHOOK_URL" in r.err
    assert ctl("webhook", "test", "--url", "file:///etc/passwd").code == 2


async def _noop() -> None:
    return None
