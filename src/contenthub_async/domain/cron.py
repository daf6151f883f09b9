"""Cron arithmetic and the misfire decision. Pure: no I/O, no clock (callers pass "now").

* Expressions: five fields (``min hour dom mon dow``), or six with the seconds first
  (``sec min hour dom mon dow``, croniter's ``second_at_beginning``).
* Evaluated in the job's time zone (an IANA name; ``None`` = the system's, read from ``TZ``
  or ``/etc/localtime`` as a real zone, so DST rules apply). All inputs and outputs are aware
  UTC datetimes. Across DST transitions we do what croniter documents: a wall time that does
  not exist (spring forward) fires at the first valid time after it (02:30 → 03:00); a wall
  time that exists twice (fall back) fires at both instants, an hour apart (croniter 7's
  behaviour, pinned by tests/unit/test_cron.py). Firings are always strictly increasing in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contenthub_async.domain.vocabulary import JobRunTrigger, MisfirePolicy
from contenthub_async.domain.zones import system_zone

if TYPE_CHECKING:  # croniter (and dateutil) are imported at the first cron computation: a daemon
    from croniter import croniter  # with no scheduled job never needs them

MISFIRE_POLICIES: tuple[str, ...] = tuple(MisfirePolicy)
DEFAULT_GRACE_SECONDS = 3600
#: A firing handled this late or less counts as on time (trigger ``cron``, runs under both policies).
ON_TIME_SECONDS = 30.0


class CronError(ValueError):
    """An invalid cron expression or time zone; the message says why."""


def _fields(expr: str) -> list[str]:
    return expr.split()


def validate_cron(expr: str) -> str:
    """The normalised expression (single spaces), or :class:`CronError` with croniter's reason."""
    fields = _fields(expr)
    if len(fields) not in (5, 6):
        raise CronError(f"{expr!r}: expected 5 fields (minute hour day month weekday) or 6 (seconds first), "
                        f"got {len(fields)}")
    normalised = " ".join(fields)
    from croniter import CroniterError, croniter

    try:
        schedule = croniter(normalised, datetime(2026, 1, 1, tzinfo=UTC), second_at_beginning=len(fields) == 6)
    except (CroniterError, ValueError, KeyError) as exc:
        raise CronError(f"{expr!r}: {exc}") from None
    try:  # valid fields can still name no date at all (0 0 30 2 *: February the 30th)
        schedule.get_next(datetime)
    except CroniterError:
        raise CronError(f"{expr!r}: never fires (no date matches all of its fields)") from None
    return normalised


@lru_cache(maxsize=1)
def zone(name: str | None) -> tzinfo:
    if name is None or name == "":
        return system_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from None


def validate_timezone(name: str | None) -> str | None:
    if name is None or name.strip() == "":
        return None
    zone(name.strip())
    return name.strip()


def _iter(expr: str, tz: tzinfo, after: datetime) -> croniter:
    if after.tzinfo is None:
        raise ValueError("naive datetime: use timezone-aware UTC")
    from croniter import croniter

    fields = _fields(expr)
    return croniter(" ".join(fields), after.astimezone(tz), second_at_beginning=len(fields) == 6)


def next_firing(expr: str, tz: tzinfo, after: datetime) -> datetime:
    """The first firing strictly after ``after`` (UTC in, UTC out)."""
    return _iter(expr, tz, after).get_next(datetime).astimezone(UTC)


def next_firings(expr: str, tz: tzinfo, after: datetime, count: int) -> list[datetime]:
    it = _iter(expr, tz, after)
    return [it.get_next(datetime).astimezone(UTC) for _ in range(count)]


def firings_between(expr: str, tz: tzinfo, start: datetime, end: datetime, *, limit: int) -> Iterator[datetime]:
    """Firings in ``[start, end]`` (both inclusive), at most ``limit`` of them, in order."""
    it = _iter(expr, tz, start - timedelta(microseconds=1))
    for _ in range(limit):
        when = it.get_next(datetime).astimezone(UTC)
        if when > end:
            return
        yield when


@dataclass(frozen=True)
class Decision:
    scheduled_for: datetime
    action: Literal["run", "missed"]
    trigger: JobRunTrigger = JobRunTrigger.CRON


def decide_misfires(
    due: Sequence[datetime],
    now: datetime,
    *,
    policy: str,
    grace_seconds: float,
    on_time_seconds: float = ON_TIME_SECONDS,
) -> list[Decision]:
    """What to do with the firings that are due (``scheduled_for <= now``), oldest first.

    Guarantees (APScheduler's ``misfire_grace_time`` + ``coalesce``):

    * every due firing gets exactly one decision, in input order;
    * at most one firing runs: the latest one;
    * it runs when it is on time (late by at most ``on_time_seconds``, trigger ``cron``), or, under
      ``run_once``, late by at most ``grace_seconds`` (trigger ``catch_up``);
    * every other firing is ``missed`` (recorded, never run).
    """
    if policy not in MISFIRE_POLICIES:
        raise ValueError(f"unknown misfire policy {policy!r}")
    ordered = sorted(due)
    decisions = [Decision(when, "missed") for when in ordered]
    if not ordered:
        return decisions
    latest = ordered[-1]
    lateness = (now - latest).total_seconds()
    if lateness <= on_time_seconds:
        decisions[-1] = Decision(latest, "run", JobRunTrigger.CRON)
    elif policy == "run_once" and lateness <= grace_seconds:
        decisions[-1] = Decision(latest, "run", JobRunTrigger.CATCH_UP)
    return decisions
