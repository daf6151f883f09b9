"""The operator's calendar days (monitor stats)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from contenthub_async.domain.zones import calendar_days, zone_name


def test_calendar_days_are_cut_at_local_midnight_dst_included() -> None:
    new_york = ZoneInfo("America/New_York")
    # 2026-11-01: clocks fall back at 02:00 EDT, a 25-hour day; 2026-11-02 is an ordinary one.
    days = calendar_days(datetime(2026, 11, 2, 20, 0, tzinfo=UTC), 2, new_york)
    assert [d.label for d in days] == ["2026-11-01", "2026-11-02"]
    assert days[0].start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # midnight EDT
    assert [d.end - d.start for d in days] == [timedelta(hours=25), timedelta(hours=24)]
    assert days[0].end == days[1].start
    # 2026-03-08: spring forward, a 23-hour day.
    [spring] = calendar_days(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), 1, new_york)
    assert spring.end - spring.start == timedelta(hours=23)
    # 01:30 UTC on the 22nd is still the 21st in New York.
    [late] = calendar_days(datetime(2026, 11, 22, 1, 30, tzinfo=UTC), 1, new_york)
    assert late.label == "2026-11-21"


def test_zone_name_prefers_the_iana_key() -> None:
    at = datetime(2026, 11, 22, tzinfo=UTC)
    assert zone_name(ZoneInfo("Asia/Shanghai"), at) == "Asia/Shanghai"
    assert zone_name(UTC, at) == "UTC"
