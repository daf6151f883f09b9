"""The health checks of ``monitor health`` and ``GET /api/v1/monitor/health``: the checks, their
levels and the exit code (docs/cli-json.md).

A check is ``ok``, ``degraded`` or ``unhealthy`` (``unknown`` when the database it reads is
unavailable). Unhealthy means no task can make progress; degraded means work goes on but
something needs a look:

======================  =========================================================  ==========
check                   fails when                                                 level
======================  =========================================================  ==========
``database``            unreachable, no contenthub tables, or not writable         unhealthy
``daemon``              no daemon row that is not stopped, or the freshest           unhealthy
                        heartbeat is older than 3 × CONTENTHUB_HEARTBEAT_INTERVAL
``processing``          the running daemon has processing switched off             degraded
                        (ASYNC_CONTENT_GENERATION_ENABLED=false) while due tasks
                        wait in the queue
``creator``             the running daemon's CREATOR_CLI_PATH (the shell's when    unhealthy
                        no daemon runs) cannot be started or does not answer
                        ``--version`` (every claimed task would fail)
``stuck_tasks``         submitted/processing tasks past ``timeout_at`` by more     degraded
                        than 2 × ASYNC_POLL_INTERVAL (the tracker missed them)
``failure_rate``        at least half of the tasks that finished in the last hour  degraded
                        failed or timed out (only once 3 or more finished)
``webhooks``            a webhook delivery is dead (gave up after its retry        degraded
                        horizon): `webhook list --status dead`, `webhook redeliver`
======================  =========================================================  ==========

Overall: the worst level; exit code 0 healthy, 1 degraded, 2 unhealthy.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from contenthub_async.domain.liveness import STALE_AFTER_HEARTBEATS
from contenthub_async.json_objects import utc_iso

if TYPE_CHECKING:
    from contenthub_async.config import Settings
    from contenthub_async.store.daemons import Heartbeat
    from contenthub_async.store.database import Database

#: Opens the database the checks read (refusing one without a current schema), closed on exit.
OpenDatabase = Callable[[], AbstractAsyncContextManager["Database"]]
#: Why the database cannot be used, in the operator's language; re-raises what it does not know.
ErrorText = Callable[[BaseException], str]

Level = Literal["ok", "degraded", "unhealthy", "unknown"]
Overall = Literal["healthy", "degraded", "unhealthy"]

EXIT_CODES: dict[Overall, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}
HEARTBEAT_STALE_FACTOR = STALE_AFTER_HEARTBEATS
STUCK_GRACE_FACTOR = 2
STUCK_IDS_SHOWN = 10
FAILURE_WINDOW_SECONDS = 3600
FAILURE_RATE_THRESHOLD = 0.5
FAILURE_RATE_MIN_FINISHED = 3
CREATOR_CHECK_TIMEOUT = 30.0
CHECK_ORDER = ("database", "daemon", "processing", "creator", "stuck_tasks", "failure_rate", "webhooks")


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    facts: dict[str, Any]  # JSON-ready, same keys whatever the level


@dataclass(frozen=True)
class Health:
    checked_at: datetime
    checks: dict[str, Check]

    @property
    def overall(self) -> Overall:
        levels = {check.level for check in self.checks.values()}
        if "unhealthy" in levels:
            return "unhealthy"
        if "degraded" in levels:
            return "degraded"
        return "healthy"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.overall]


# ---------------------------------------------------------------- database-side checks


def _daemon_check(heartbeat: Heartbeat | None, now: datetime, stale_after: float) -> Check:
    if heartbeat is None:
        return Check("daemon", "unhealthy", {"daemon_id": None, "heartbeat_at": None, "heartbeat_age_seconds": None,
                                             "stale_after_seconds": stale_after, "settings": None})
    age = (now - heartbeat.at).total_seconds()
    level: Level = "ok" if age <= stale_after else "unhealthy"
    return Check("daemon", level, {"daemon_id": heartbeat.daemon_id, "heartbeat_at": utc_iso(heartbeat.at),
                                   "heartbeat_age_seconds": round(age, 3), "stale_after_seconds": stale_after,
                                   "settings": heartbeat.settings})


def _processing_check(heartbeat: Heartbeat | None, due: int) -> Check:
    """Degraded when the daemon says it does not process while due tasks wait."""
    enabled = None if heartbeat is None or heartbeat.settings is None else heartbeat.settings.get("processing_enabled")
    level: Level = "degraded" if enabled is False and due > 0 else "ok"
    return Check("processing", level, {"enabled": enabled, "due_pending": due})


def _stuck_check(count: int, task_ids: list[str], grace: float) -> Check:
    return Check("stuck_tasks", "degraded" if count else "ok",
                 {"count": count, "task_ids": task_ids, "grace_seconds": grace})


def _failure_rate_check(finished: dict[str, int]) -> Check:
    failed = finished.get("failed", 0) + finished.get("timeout", 0)
    total = failed + finished.get("completed", 0)
    rate = failed / total if total else None
    bad = rate is not None and total >= FAILURE_RATE_MIN_FINISHED and rate >= FAILURE_RATE_THRESHOLD
    return Check("failure_rate", "degraded" if bad else "ok", {
        "window_seconds": FAILURE_WINDOW_SECONDS, "finished": total, "failed": failed,
        "rate": None if rate is None else round(rate, 4), "threshold": FAILURE_RATE_THRESHOLD,
        "min_finished": FAILURE_RATE_MIN_FINISHED,
    })


def _webhooks_check(deliveries: dict[str, int]) -> Check:
    dead = deliveries.get("dead", 0)
    return Check("webhooks", "degraded" if dead else "ok", {"dead": dead, "pending": deliveries.get("pending", 0)})


def _unknown(name: str, **facts: Any) -> Check:
    return Check(name, "unknown", facts)


def _unknown_readers(stale_after: float, grace: float) -> list[Check]:
    return [
        _unknown("daemon", daemon_id=None, heartbeat_at=None, heartbeat_age_seconds=None,
                 stale_after_seconds=stale_after, settings=None),
        _unknown("processing", enabled=None, due_pending=None),
        _unknown("stuck_tasks", count=None, task_ids=None, grace_seconds=grace),
        _unknown("failure_rate", window_seconds=FAILURE_WINDOW_SECONDS, finished=None, failed=None, rate=None,
                 threshold=FAILURE_RATE_THRESHOLD, min_finished=FAILURE_RATE_MIN_FINISHED),
        _unknown("webhooks", dead=None, pending=None),
    ]


async def _database_checks(config: Settings, now: datetime, open_database: OpenDatabase,
                           error_text: ErrorText) -> tuple[list[Check], Heartbeat | None]:
    """database, daemon, processing, stuck_tasks and failure_rate: one read snapshot, then the
    write probe; and the freshest daemon's heartbeat (whose settings the creator check uses)."""
    from contenthub_async.store import daemons as daemon_store
    from contenthub_async.store import metrics as metrics_store
    from contenthub_async.store import webhooks as webhook_store
    from contenthub_async.store.database import database_label, parse_database_url

    backend = parse_database_url(config.DATABASE_URL).backend
    label = database_label(config.DATABASE_URL)
    stale_after = HEARTBEAT_STALE_FACTOR * config.CONTENTHUB_HEARTBEAT_INTERVAL
    grace = STUCK_GRACE_FACTOR * config.ASYNC_POLL_INTERVAL
    try:
        async with open_database() as db:
            async with db.read() as conn:
                heartbeat = await daemon_store.latest_heartbeat(conn)
                due = await metrics_store.due_pending_count(conn, now=now)
                stuck_count, stuck_ids = await metrics_store.stuck_tasks(
                    conn, deadline_before=now - timedelta(seconds=grace), limit=STUCK_IDS_SHOWN)
                finished = await metrics_store.finished_since(
                    conn, since=now - timedelta(seconds=FAILURE_WINDOW_SECONDS))
                deliveries = await webhook_store.count_by_status(conn)
            daemon = _daemon_check(heartbeat, now, stale_after)
            running = heartbeat if daemon.level == "ok" else None
            readers = [daemon, _processing_check(running, due), _stuck_check(stuck_count, stuck_ids, grace),
                       _failure_rate_check(finished), _webhooks_check(deliveries)]
            try:
                async with db.write() as conn:
                    await metrics_store.write_probe(conn, now=now)
            except Exception as exc:  # noqa: BLE001 - error_text re-raises what it does not know
                return [Check("database", "unhealthy", {"backend": backend, "database": label, "writable": False,
                                                        "error": error_text(exc)}), *readers], running
    except Exception as exc:  # noqa: BLE001 - error_text re-raises what it does not know
        database = Check("database", "unhealthy",
                         {"backend": backend, "database": label, "writable": None, "error": error_text(exc)})
        return [database, *_unknown_readers(stale_after, grace)], None
    return [Check("database", "ok", {"backend": backend, "database": label, "writable": True, "error": None}),
            *readers], running


# ---------------------------------------------------------------- creator


async def _creator_check(config: Settings, daemon_settings: dict[str, Any] | None) -> Check:
    """``--version`` through the creator adapter, bounded by :data:`CREATOR_CHECK_TIMEOUT`: the
    command the running daemon recorded, else (no daemon runs) the one of this environment."""
    from contenthub_async.creator.cli import CliCreator
    from contenthub_async.creator.port import CreatorError

    recorded = daemon_settings or {}
    command = recorded.get("creator_cli_path") or config.CREATOR_CLI_PATH
    workdir = recorded.get("creator_workdir") if "creator_cli_path" in recorded else config.CREATOR_WORKDIR
    facts: dict[str, Any] = {"command": command, "source": "daemon" if "creator_cli_path" in recorded else "environment",
                             "version": None, "error": None}
    try:
        creator = CliCreator.from_command_line(
            command,
            workdir=workdir,
            extra_env=config.CONTENTHUB_CREATOR_ENV,
            call_timeout=min(config.CONTENTHUB_CREATOR_CALL_TIMEOUT, CREATOR_CHECK_TIMEOUT),
            max_processes=1,
        )
        facts["version"] = await creator.version()
    except (CreatorError, ValueError) as exc:  # ValueError: an empty or unparsable command line
        facts["error"] = str(exc) or type(exc).__name__
        return Check("creator", "unhealthy", facts)
    return Check("creator", "ok", facts)


async def check_health(config: Settings, now: datetime, *, open_database: OpenDatabase,
                       error_text: ErrorText) -> Health:
    """Every check; the database ones through ``open_database`` (the command line opens the
    configured database, contenthubd hands over its own)."""
    database_checks, running = await _database_checks(config, now, open_database, error_text)
    checks = [*database_checks, await _creator_check(config, running.settings if running else None)]
    by_name = {check.name: check for check in checks}
    return Health(checked_at=now, checks={name: by_name[name] for name in CHECK_ORDER})
