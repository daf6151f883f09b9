"""The HTTP API's monitoring, scheduler, import, /metrics and /docs, on a real contenthubd over
loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from contenthub_async.clock import SystemClock
from contenthub_async.services import job_commands
from contenthub_async.store.database import Database
from tests.integration.test_http_api import SUBMIT, TASKS, count_rows, wait_for_status
from tests.support.cli import Ctl
from tests.support.daemons import prepare
from tests.support.http import http_daemon

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: httpx.Client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.slow
async def test_metrics_monitor_docs_and_health(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url, (49,))
    ctl = Ctl(tmp_path / "unused.db", tmp_path)
    with http_daemon(db_url, tmp_path) as daemon, daemon.client() as client:
        before = scrape(client)
        ids = [client.post(SUBMIT, json={"account_id": 49, "topic": f"指标 {i}"}).json()["task_id"] for i in range(2)]
        for task_id in ids:
            wait_for_status(client, task_id, "completed")
        deadline = time.monotonic() + 60
        # The queue gauges come from the tracker lease holder; the cycle that completed the tasks
        # is timed when it ends (its last phase may still run when the tasks read completed).
        while True:
            after = scrape(client)
            cycle_ended = value(after, "contenthub_tracking_cycle_duration_seconds_count") >= 1
            if (value(after, "contenthub_queue_gauges_reported") == 1 and cycle_ended) or time.monotonic() > deadline:
                break
            time.sleep(0.2)

        assert value(after, "contenthub_task_claims_total") - value(before, "contenthub_task_claims_total") == 2
        assert value(after, "contenthub_task_completions_total") - value(before, "contenthub_task_completions_total") == 2
        assert value(after, "contenthub_creator_call_duration_seconds_count", command="create") >= 2
        assert value(after, "contenthub_creator_call_duration_seconds_count", command="result") >= 2
        assert value(after, "contenthub_tracking_cycle_duration_seconds_count") >= 1
        assert value(after, "contenthub_http_requests_total", method="POST", route=SUBMIT, status="202") == 2
        assert value(after, "contenthub_daemon_heartbeat_timestamp_seconds") > 0
        assert value(after, "contenthub_queue_gauges_reported") == 1
        assert value(after, "contenthub_tasks", status="completed") == 2
        assert value(after, "contenthub_tasks", status="pending") == 0
        assert value(after, "contenthub_tasks_in_flight_limit") == 5

        # The monitor objects are the CLI's.
        http_metrics = client.get("/api/v1/monitor/metrics").json()
        cli_metrics = json.loads(ctl("monitor", "metrics", "--format", "json", env={"DATABASE_URL": db_url}).out)
        assert set(http_metrics) == set(cli_metrics)
        assert http_metrics["by_status"] == cli_metrics["by_status"] and http_metrics["completed_count"] == 2
        stats = client.get("/api/v1/monitor/stats", params={"days": 3}).json()
        assert stats["days"] == 3 and stats["totals"]["completed"] == 2
        assert client.get("/api/v1/monitor/stats", params={"days": 0}).status_code == 422
        health = client.get("/api/v1/monitor/health")
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["daemon"]["status"] == "ok"
        assert health.json()["checks"]["database"]["status"] == "ok"
        content_health = client.get("/api/v1/content/health")
        assert content_health.status_code == 200 and content_health.json()["status"] == "healthy"

        # OpenAPI, and /docs with its assets served by the daemon itself (no other host named).
        spec = client.get("/openapi.json").json()
        assert {SUBMIT, f"{TASKS}/{{task_id}}", "/api/v1/scheduler/executions", "/metrics"} <= set(spec["paths"])
        page = client.get("/docs").text
        assert "/docs/assets/swagger-ui-bundle.js" in page and "/openapi.json" in page
        assert "http://" not in page and "https://" not in page
        script = client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
        assert client.get("/docs/assets/swagger-ui.css").status_code == 200


CSV = "account_id,topic,keywords,priority,auto_approve\n49,\"AI技术\",\"AI,机器学习\",8,true\n50,区块链应用,,7,false\n"


async def test_scheduler_and_import(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url, (49, 50))
    db = Database.open(db_url)
    try:
        job = await job_commands.create_job(db, name="每日清理", job_type="cleanup", cron_expr="0 3 * * *",
                                            timezone="Asia/Shanghai", params={"days": 30}, clock=SystemClock())
    finally:
        await db.close()
    with http_daemon(db_url, tmp_path, ASYNC_CONTENT_GENERATION_ENABLED="false") as daemon, daemon.client() as client:
        jobs = client.get("/api/v1/scheduler/tasks").json()
        assert [j["name"] for j in jobs] == ["每日清理"]
        shown = client.get(f"/api/v1/scheduler/tasks/{job.id}").json()
        assert shown["id"] == job.id and len(shown["next_runs"]) == 3
        assert client.get("/api/v1/scheduler/tasks/每日清理").json()["id"] == job.id
        paused = client.post(f"/api/v1/scheduler/tasks/{job.id}/pause").json()
        assert paused["is_active"] is False and paused["next_runs"] == []
        assert client.post(f"/api/v1/scheduler/tasks/{job.id}/resume").json()["is_active"] is True
        run = client.post(f"/api/v1/scheduler/tasks/{job.id}/trigger")
        assert run.status_code == 202 and run.json()["trigger"] == "manual" and run.json()["job_id"] == job.id
        deadline = time.monotonic() + 60
        while True:
            executions = client.get("/api/v1/scheduler/executions").json()
            if executions and executions[0]["status"] == "succeeded" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert executions[0]["id"] == run.json()["id"] and executions[0]["job_name"] == "每日清理"
        assert executions[0]["status"] == "succeeded"
        missing = client.post("/api/v1/scheduler/tasks/999/trigger")
        assert missing.status_code == 404 and missing.json()["error"] == "job_not_found"

        # Import: all or nothing, a problem per line, then the same file with the bad line skipped.
        before = await count_rows(db_url)
        bad = CSV + "777,未知账号,,5,true\n50,,,5,true\n"
        refused = client.post("/api/v1/content/import", content=bad.encode(), headers={"Content-Type": "text/csv"})
        assert refused.status_code == 422 and refused.json()["error"] == "import_refused"
        assert refused.json()["imported"] == 0
        assert [(e["line"], e["field"]) for e in refused.json()["errors"]] == [(4, "account_id"), (5, "topic")]
        assert await count_rows(db_url) == before, "nothing written"
        skipped = client.post("/api/v1/content/import", params={"skip_invalid": "true"}, content=bad.encode(),
                              headers={"Content-Type": "text/csv"})
        assert skipped.status_code == 202 and skipped.json()["imported"] == 2 and skipped.json()["skipped_rows"] == 2
        gbk = client.post("/api/v1/content/import", content=CSV.encode("gbk"), headers={"Content-Type": "text/csv"})
        assert gbk.status_code == 202 and gbk.json()["encoding"] in ("gbk", "gb18030")
        imported = client.get(f"{TASKS}/{gbk.json()['task_ids'][0]}").json()
        assert imported["topic"] == "AI技术" and imported["source"] == "import"
        empty = client.post("/api/v1/content/import", content=b"", headers={"Content-Type": "text/csv"})
        assert empty.status_code == 422
