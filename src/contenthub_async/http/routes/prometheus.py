"""``GET /metrics``: Prometheus text format.

Per-daemon counters and histograms come from ``contenthub_async.telemetry``. Database-wide
gauges (tasks by status, due queue depth, in flight and the limit) are read at scrape time and
reported only by the daemon holding the tracker lease (``contenthub_queue_gauges_reported`` is 1
there, 0 elsewhere): scrape every daemon and sum, and each task is counted once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from contenthub_async import telemetry
from contenthub_async.http.context import Api, api_of
from contenthub_async.services.monitor_reports import QueueGauges, queue_gauges_if_tracker

router = APIRouter(tags=["monitoring"])


def _queue_registry(gauges: QueueGauges | None, max_concurrent: int) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    Gauge("contenthub_queue_gauges_reported", "1 when this daemon reports the database-wide gauges (it holds the "
          "tracker lease), else 0.", registry=registry).set(0 if gauges is None else 1)
    if gauges is None:
        return registry
    by_status = Gauge("contenthub_tasks", "Tasks in the database, by status.", ["status"], registry=registry)
    for status, count in gauges.by_status.items():
        by_status.labels(status).set(count)
    Gauge("contenthub_queue_depth", "Pending tasks that are due now.", registry=registry).set(gauges.due_pending)
    Gauge("contenthub_tasks_in_flight", "Tasks submitting, submitted or processing, across all daemons.",
          registry=registry).set(gauges.in_flight)
    Gauge("contenthub_tasks_in_flight_limit", "ASYNC_MAX_CONCURRENT_TASKS.", registry=registry).set(max_concurrent)
    return registry


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(api: Annotated[Api, Depends(api_of)]) -> Response:
    gauges = await queue_gauges_if_tracker(api.db, daemon_id=api.daemon_id)
    body = generate_latest(telemetry.REGISTRY) + generate_latest(
        _queue_registry(gauges, api.settings.ASYNC_MAX_CONCURRENT_TASKS))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
