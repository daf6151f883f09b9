"""Time zones and calendar days of the operator (pure; no I/O beyond reading the system zone)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALTIME = "/etc/localtime"


def system_zone() -> tzinfo:
    """The system's zone with its DST rules: ``TZ`` (an IANA name), else ``/etc/localtime``, else UTC.

    The zone is named (``Asia/Shanghai``) when ``/etc/localtime`` links into a zoneinfo tree.
    """
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            # POSIX strings such as "CST-8": fixed offset from the C library.
            return datetime.now().astimezone().tzinfo or UTC
    key = localtime_key()
    if key:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open(LOCALTIME, "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except OSError:
        return datetime.now().astimezone().tzinfo or UTC


def localtime_key(path: str = LOCALTIME) -> str | None:
    """The IANA name ``path`` links to (``/usr/share/zoneinfo/Asia/Shanghai`` → ``Asia/Shanghai``)."""
    target = os.path.realpath(path)
    _, found, key = target.partition("/zoneinfo/")
    return key if found and key and target != path else None


def zone_name(zone: tzinfo, at: datetime) -> str:
    """An IANA name when the zone has a real one (``Asia/Shanghai``), else its abbreviation at ``at``."""
    key = getattr(zone, "key", None)
    if key and key != "localtime":
        return str(key)
    return at.astimezone(zone).tzname() or "UTC"


def zone_label(zone: tzinfo, at: datetime) -> str:
    """``Asia/Shanghai``; a zone without an IANA name as its abbreviation and offset, ``CST, UTC+08:00``."""
    name = zone_name(zone, at)
    if "/" in name or name == "UTC":
        return name
    offset = at.astimezone(zone).strftime("%z") or "+0000"
    return f"{name}, UTC{offset[:3]}:{offset[3:]}"


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
