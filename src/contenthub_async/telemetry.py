"""What this daemon counts for Prometheus (``GET /metrics``, docs/api.md).

The counters and histograms here are per process: each daemon counts its own claims,
transitions, creator calls, tracking cycles and HTTP requests, so summing them over daemons is
right. Database-wide gauges (tasks by status, queue depth, in flight) are not kept here; the
``/metrics`` handler reads them from the database at scrape time, and only in the daemon that
holds the tracker lease (``http/metrics.py``), so a sum over daemons never counts a task twice.

The metrics live in their own registry (not prometheus-client's global one).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CLAIMS = Counter("contenthub_task_claims", "Tasks this daemon claimed (pending → submitting).", registry=REGISTRY)
COMPLETIONS = Counter("contenthub_task_completions", "Tasks this daemon completed.", registry=REGISTRY)
FAILURES = Counter("contenthub_task_failures", "Tasks this daemon moved to failed (no retries left, or permanent).",
                   registry=REGISTRY)
RETRIES = Counter("contenthub_task_retries", "Failed or timed-out attempts this daemon sent back to the queue.",
                  registry=REGISTRY)
TIMEOUTS = Counter("contenthub_task_timeouts", "Tasks this daemon moved to timeout.", registry=REGISTRY)
CREATOR_CALL_SECONDS = Histogram(
    "contenthub_creator_call_duration_seconds", "Duration of content-creator calls, by command.",
    labelnames=("command",), registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, float("inf")),
)
TRACKING_CYCLE_SECONDS = Histogram(
    "contenthub_tracking_cycle_duration_seconds", "Duration of the tracking cycles this daemon ran.",
    registry=REGISTRY, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, float("inf")),
)
HTTP_REQUESTS = Counter(
    "contenthub_http_requests", "HTTP requests answered, by method, route template and status.",
    labelnames=("method", "route", "status"), registry=REGISTRY,
)
SUBMISSION_BATCH_SIZE = Histogram(
    "contenthub_submission_batch_size", "Submissions committed together in one transaction (HTTP group commit).",
    registry=REGISTRY, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, float("inf")),
)
HEARTBEAT = Gauge("contenthub_daemon_heartbeat_timestamp_seconds", "Unix time of this daemon's last heartbeat.",
                  registry=REGISTRY)

#: the counter moved by a transition into each status (``pending`` only counts when it is a retry)
_BY_TARGET = {"completed": COMPLETIONS, "failed": FAILURES, "timeout": TIMEOUTS}
_AT_CREATOR_OR_CLAIMED = frozenset({"submitting", "submitted", "processing"})


def count_transition(from_status: str, to_status: str) -> None:
    """Count one task transition made by this daemon."""
    counter = _BY_TARGET.get(to_status)
    if counter is not None:
        counter.inc()
    elif to_status == "pending" and from_status in _AT_CREATOR_OR_CLAIMED:
        RETRIES.inc()
