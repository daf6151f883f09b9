"""contenthubd as a real process: tasks finish while the webhook receiver is down, the daemon is
killed with SIGKILL before it could deliver, the receiver comes back, and after a restart every
finished task is delivered, signed, with its type."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from contenthub_async.domain.submission import NewTask
from tests.support.daemons import (
    daemon_environment,
    daemon_process,
    kill_dash_nine,
    prepare,
    sqlite_rows,
    status_counts,
    submit,
    wait_until,
)
from tests.support.receiver import received_async, running_receiver

SECRET = "whsec_" + base64.b64encode(b"crash-test-secret-0123456789abcd").decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_kill_9_before_delivery_then_delivered_after_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    db_url = f"sqlite:///{db_path}"
    await prepare(db_url)
    task_ids = await submit(db_url, [NewTask(account_id=49, topic=f"topic {i}") for i in range(2)])
    port = free_port()
    env = daemon_environment(db_url, tmp_path / "fake", WEBHOOK_ENABLED="true",
                             WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", WEBHOOK_SECRET_KEY=SECRET,
                             CONTENTHUB_WEBHOOK_RETRY_BASE="0.2", WEBHOOK_TIMEOUT="5",
                             CONTENTHUB_WEBHOOK_EVENTS="task.completed")  # not the articles' publication
    with daemon_process(env, tmp_path / "first.log") as first:
        # The receiver is down: the tasks finish, their events are written, attempts fail.
        await wait_until(lambda: status_counts(db_path).get("completed") == 2, timeout=120)
        await wait_until(lambda: sqlite_rows(db_path, "SELECT count(*) FROM webhook_attempts")[0][0] >= 2,
                         timeout=120)
        kill_dash_nine(first)
    assert sqlite_rows(db_path, "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")[0][0] == 0
    with running_receiver(port=port) as receiver, daemon_process(env, tmp_path / "second.log"):
        requests = await received_async(receiver, 2, timeout=120)
        # The receiver records a request before it answers; the daemon records the answer after.
        await wait_until(lambda: sqlite_rows(
            db_path, "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")[0][0] == 2, timeout=60)
    bodies = [Webhook(SECRET).verify(r.body, r.headers) for r in receiver.received]
    assert sorted(b["data"]["task_id"] for b in bodies) == sorted(task_ids)
    assert {b["type"] for b in bodies} == {"task.completed"}
    assert len({r.headers["webhook-id"] for r in requests}) == 2
