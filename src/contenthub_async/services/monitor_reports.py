"""What ``monitor metrics`` and ``monitor stats`` report, read from one snapshot each.

Definitions (also in docs/cli-json.md):

* success rate: completed / (completed + failed + timeout); cancelled tasks are left out,
  and it is None when nothing has finished;
* completion time: ``completed_at`` − ``created_at`` of completed tasks (queue wait, retries
  and generation included), over the most recent :data:`~contenthub_async.store.metrics.COMPLETION_SAMPLE`
  completions; percentiles interpolate linearly between the two nearest ranks;
* days are calendar days in the operator's time zone (``TZ``, else the system's), cut at local
  midnight; ``--days N`` covers today and the N − 1 days before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import DeliveryStatus
from contenthub_async.domain.zones import calendar_days, zone_name
from contenthub_async.store import metrics as metrics_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store import webhooks as webhook_store
from contenthub_async.store.database import Database
from contenthub_async.store.metrics import FailureReason, OldestPending

S = TaskStatus
TOP_FAILURE_REASONS = 10


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` quantile (0–1) of ``values``, linear between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def success_rate(completed: int, failed: int, timeout: int) -> float | None:
    finished = completed + failed + timeout
    return completed / finished if finished else None


@dataclass(frozen=True)
class CompletionTimes:
    sample_size: int
    average: float | None
    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, durations: list[float]) -> CompletionTimes:
        average = sum(durations) / len(durations) if durations else None
        return cls(len(durations), average, percentile(durations, 0.5), percentile(durations, 0.95))


@dataclass(frozen=True)
class Metrics:
    generated_at: datetime
    by_status: dict[str, int]  # every status, zeros included
    in_flight: int
    max_concurrent: int
    completion: CompletionTimes
    queue_depth: dict[int, int]  # priority → pending tasks, highest priority first
    oldest_pending: OldestPending | None
    webhook_deliveries: dict[str, int] = field(default_factory=dict)  # pending/delivered/dead, zeros included

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def success_rate(self) -> float | None:
        counts = self.by_status
        return success_rate(counts[S.COMPLETED], counts[S.FAILED], counts[S.TIMEOUT])

    @property
    def oldest_pending_age(self) -> float | None:
        if self.oldest_pending is None:
            return None
        return (self.generated_at - self.oldest_pending.created_at).total_seconds()


async def load_metrics(db: Database, *, now: datetime, max_concurrent: int) -> Metrics:
    """The metrics as of ``now``, cut to milliseconds so that the reported ``generated_at`` and the
    ages derived from it agree exactly."""
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    async with db.read() as conn:
        counts = await task_store.count_by_status(conn)
        in_flight = await task_store.count_in_flight(conn)
        durations = await metrics_store.completion_durations(conn)
        queue_depth = await metrics_store.pending_by_priority(conn)
        oldest = await metrics_store.oldest_pending(conn)
        deliveries = await webhook_store.count_by_status(conn)
    return Metrics(
        generated_at=now,
        by_status={s.value: counts.get(s.value, 0) for s in TaskStatus},
        in_flight=in_flight,
        max_concurrent=max_concurrent,
        completion=CompletionTimes.of(durations),
        queue_depth=queue_depth,
        oldest_pending=oldest,
        webhook_deliveries={s.value: deliveries.get(s.value, 0) for s in DeliveryStatus},
    )


@dataclass(frozen=True)
class DayStats:
    day: str  # YYYY-MM-DD in the operator's time zone
    submitted: int
    completed: int
    failed: int
    timeout: int

    @property
    def success_rate(self) -> float | None:
        return success_rate(self.completed, self.failed, self.timeout)


@dataclass(frozen=True)
class Stats:
    since: datetime
    until: datetime
    zone: str  # the time zone the days are in, e.g. Asia/Shanghai
    days: list[DayStats]  # oldest first, one per day of the window
    failure_reasons: list[FailureReason]

    @property
    def totals(self) -> DayStats:
        return DayStats(
            day="",
            submitted=sum(d.submitted for d in self.days),
            completed=sum(d.completed for d in self.days),
            failed=sum(d.failed for d in self.days),
            timeout=sum(d.timeout for d in self.days),
        )


async def load_stats(db: Database, *, now: datetime, days: int, zone: tzinfo) -> Stats:
    """The last ``days`` calendar days in ``zone`` (today included)."""
    window = calendar_days(now, days, zone)
    async with db.read() as conn:
        submitted = await metrics_store.submitted_per_day(conn, days=window)
        finished = await metrics_store.finished_per_day(conn, days=window)
        reasons = await metrics_store.failure_reasons(conn, since=window[0].start, limit=TOP_FAILURE_REASONS)
    per_day = [
        DayStats(
            day=day.label,
            submitted=submitted.get(day.label, 0),
            completed=finished.get((day.label, S.COMPLETED.value), 0),
            failed=finished.get((day.label, S.FAILED.value), 0),
            timeout=finished.get((day.label, S.TIMEOUT.value), 0),
        )
        for day in window
    ]
    return Stats(since=window[0].start, until=now, zone=zone_name(zone, now), days=per_day, failure_reasons=reasons)


@dataclass(frozen=True)
class QueueGauges:
    """Database-wide numbers for ``/metrics``: one snapshot, reported by one daemon only."""

    by_status: dict[str, int]  # every status, zeros included
    due_pending: int
    in_flight: int


async def queue_gauges_if_tracker(db: Database, *, daemon_id: str) -> QueueGauges | None:
    """The queue's numbers if ``daemon_id`` holds the tracker lease now (else None), so that of
    several daemons on one database exactly one reports them and a sum over daemons counts each
    task once. (A moment without a holder reports nothing rather than twice.)"""
    from contenthub_async.services.tracker import LEASE_NAME
    from contenthub_async.store import daemons as daemon_store

    async with db.read() as conn:
        now = await daemon_store.database_now(conn)
        holder = await daemon_store.lease_holder(conn, LEASE_NAME)
        if holder is None or holder[0] != daemon_id or holder[1] <= now:
            return None
        counts = await task_store.count_by_status(conn)
        due = await metrics_store.due_pending(conn, now=now)
        in_flight = await task_store.count_in_flight(conn)
    return QueueGauges({s.value: counts.get(s.value, 0) for s in TaskStatus}, due, in_flight)
