"""How ``monitor metrics|stats|health`` look to people (their JSON objects: ``json_objects``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contenthub_async.cli.output import Column, display_width, or_dash, print_fields, print_lines, print_table
from contenthub_async.texts.messages import note_text, status_word, text

if TYPE_CHECKING:
    from contenthub_async.services.health import Check, Health
    from contenthub_async.services.monitor_reports import DayStats, Metrics, Stats


# ---------------------------------------------------------------- human helpers


def duration_text(seconds: float) -> str:
    """``45.2 s``, ``12 min 5 s``, ``3 h 2 min``, ``2 d 3 h`` (Chinese: ``45.2秒``, ``12分5秒``, ...)."""
    if seconds < 60:
        return text("monitor.duration.seconds", seconds=seconds)
    whole = int(seconds)
    if whole < 3600:
        return text("monitor.duration.minutes", minutes=whole // 60, seconds=whole % 60)
    if whole < 86400:
        return text("monitor.duration.hours", hours=whole // 3600, minutes=whole % 3600 // 60)
    return text("monitor.duration.days", days=whole // 86400, hours=whole % 86400 // 3600)


def percent_text(rate: float | None) -> str:
    return text("word.none") if rate is None else text("monitor.value.percent", value=rate * 100)


def _duration_or_dash(seconds: float | None) -> str:
    return text("word.none") if seconds is None else duration_text(seconds)


def _heading(title: str) -> list[str]:
    return [title, "=" * display_width(title)]


# ---------------------------------------------------------------- metrics


def print_metrics(metrics: Metrics) -> None:
    """The user guide's layout: title, counts, then rates and times."""
    print_lines(_heading(text("monitor.metrics.title")))
    counts = [(text("monitor.label.total"), str(metrics.total))]
    counts += [(status_word(status), str(count)) for status, count in metrics.by_status.items()]
    print_fields(counts)
    print_lines([""])
    completion = metrics.completion
    queue = ", ".join(
        text("monitor.value.queue_item", priority=priority, count=count)
        for priority, count in metrics.queue_depth.items()
    )
    oldest = metrics.oldest_pending
    age = metrics.oldest_pending_age
    rows = [
        (text("monitor.label.success_rate"), percent_text(metrics.success_rate)),
        (text("monitor.label.avg_completion"), _duration_or_dash(completion.average)),
        (text("monitor.label.p50_completion"), _duration_or_dash(completion.p50)),
        (text("monitor.label.p95_completion"), _duration_or_dash(completion.p95)),
        (text("monitor.label.completion_sample"), text("monitor.value.sample", count=completion.sample_size)),
        (text("monitor.label.in_flight"),
         text("monitor.value.in_flight", count=metrics.in_flight, limit=metrics.max_concurrent)),
        (text("monitor.label.queue_depth"), or_dash(queue)),
        (text("monitor.label.oldest_pending"),
         text("monitor.value.oldest_pending", task_id=oldest.task_id, age=duration_text(max(age, 0.0)))
         if oldest is not None and age is not None else text("word.none")),
        (text("monitor.label.webhooks"), text("monitor.value.webhooks", **metrics.webhook_deliveries)),
    ]
    print_fields(rows)


# ---------------------------------------------------------------- stats


def print_stats(stats: Stats) -> None:
    print_lines(_heading(text("monitor.stats.title", first=stats.days[0].day, last=stats.days[-1].day, zone=stats.zone)))
    columns = [
        Column(text("monitor.stats.col.day")),
        *(Column(text(f"monitor.stats.col.{name}"), right=True)
          for name in ("submitted", "completed", "failed", "timeout", "success_rate")),
    ]

    def row(label: str, day: DayStats) -> list[tuple[str, str | None]]:
        return [
            (label, None),
            (str(day.submitted), None),
            (str(day.completed), "green" if day.completed else None),
            (str(day.failed), "red" if day.failed else None),
            (str(day.timeout), "red" if day.timeout else None),
            (percent_text(day.success_rate), None),
        ]

    rows = [row(day.day, day) for day in stats.days]
    rows.append(row(text("monitor.stats.total"), stats.totals))
    print_table(columns, rows)
    print_lines(["", *_heading(text("monitor.stats.reasons_title"))])
    if not stats.failure_reasons:
        print_lines([text("monitor.stats.no_failures")])
        return
    print_table(
        [Column(text("monitor.stats.col.count"), right=True),
         Column(text("monitor.stats.col.reason"), shrink=20, fold=True)],
        [[(str(r.count), None), (note_text(r.note, r.message) or text("monitor.stats.no_reason"), None)]
         for r in stats.failure_reasons],
    )


# ---------------------------------------------------------------- health

LEVEL_STYLES = {"ok": "green", "degraded": "yellow", "unhealthy": "red", "unknown": "dim"}


def _detail(check: Check) -> str:
    """One line on what a check found."""
    facts = check.facts
    if check.level == "unknown":
        return text("monitor.detail.unknown")
    if check.name == "database":
        if check.level == "ok":
            return text("monitor.detail.database_ok", backend=facts["backend"], database=facts["database"])
        return text("monitor.detail.database_failed", database=facts["database"], error=facts["error"])
    if check.name == "daemon":
        if facts["daemon_id"] is None:
            return text("monitor.detail.daemon_none")
        age = duration_text(max(facts["heartbeat_age_seconds"], 0.0))
        if check.level == "ok":
            return text("monitor.detail.daemon_ok", age=age, daemon_id=facts["daemon_id"])
        return text("monitor.detail.daemon_stale", age=age, daemon_id=facts["daemon_id"],
                    limit=duration_text(facts["stale_after_seconds"]))
    if check.name == "processing":
        if facts["enabled"] is False:
            return text("monitor.detail.processing_off", count=facts["due_pending"])
        return text("monitor.detail.processing_ok", count=facts["due_pending"])
    if check.name == "creator":
        if check.level == "ok":
            return text("monitor.detail.creator_ok", command=facts["command"], version=facts["version"])
        return str(facts["error"])
    if check.name == "stuck_tasks":
        if not facts["count"]:
            return text("monitor.detail.stuck_none")
        return text("monitor.detail.stuck", count=facts["count"], task_ids=", ".join(facts["task_ids"]))
    if check.name == "webhooks":
        return text("monitor.detail.webhooks", dead=facts["dead"], pending=facts["pending"])
    if not facts["finished"]:
        return text("monitor.detail.failure_none")
    return text("monitor.detail.failure_rate", failed=facts["failed"], finished=facts["finished"],
                rate=percent_text(facts["rate"]), threshold=percent_text(facts["threshold"]))


def print_health(health: Health) -> None:
    print_lines([text("monitor.health.title", status=text(f"monitor.overall.{health.overall}")), ""])
    columns = [
        Column(text("monitor.col.check")),
        Column(text("monitor.col.level")),
        Column(text("monitor.col.detail"), shrink=20, fold=True),
    ]
    rows = [
        [
            (text(f"monitor.check.{name}"), None),
            (text(f"monitor.level.{check.level}"), LEVEL_STYLES[check.level]),
            (_detail(check), None),
        ]
        for name, check in health.checks.items()
    ]
    print_table(columns, rows)
