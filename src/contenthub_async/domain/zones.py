"""Time zones and calendar days of the operator (pure; no I/O beyond reading the system zone)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def system_zone() -> tzinfo:
    """The system's zone with its DST rules: ``TZ`` (an IANA name), else ``/etc/localtime``, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            # POSIX strings such as "CST-8": fixed offset from the C library.
            return datetime.now().astimezone().tzinfo or UTC
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except OSError:
        return datetime.now().astimezone().tzinfo or UTC


def zone_name(zone: tzinfo, at: datetime) -> str:
    """An IANA name when the zone has a real one (``Asia/Shanghai``), else its abbreviation at ``at``."""
    key = getattr(zone, "key", None)
    if key and key != "localtime":
        return str(key)
    return at.astimezone(zone).tzname() or "UTC"


@dataclass(frozen=True)
class CalendarDay:
    """One calendar day in a zone: its date and the UTC instants [start, end) it spans."""

    day: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return self.day.isoformat()


def calendar_days(now: datetime, count: int, zone: tzinfo) -> list[CalendarDay]:
    """The ``count`` calendar days in ``zone`` ending with the one ``now`` falls on, oldest first.

    Days are cut at local midnight, so a day with a DST change is 23 or 25 hours long.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    today = now.astimezone(zone).date()
    dates = [today - timedelta(days=count - 1 - i) for i in range(count + 1)]
    starts = [datetime.combine(d, time(), tzinfo=zone).astimezone(UTC) for d in dates]
    return [CalendarDay(dates[i], starts[i], starts[i + 1]) for i in range(count)]
