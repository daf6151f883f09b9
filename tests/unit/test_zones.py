"""The operator's calendar days (monitor stats)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from contenthub_async.domain.zones import calendar_days, localtime_key, zone_label, zone_name


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


def test_zone_label_names_the_zone_or_its_offset() -> None:
    at = datetime(2026, 11, 22, tzinfo=UTC)
    assert zone_label(ZoneInfo("Asia/Shanghai"), at) == "Asia/Shanghai"
    assert zone_label(UTC, at) == "UTC"
    assert zone_label(timezone(timedelta(hours=8), "CST"), at) == "CST, UTC+08:00"
    assert zone_label(timezone(timedelta(hours=-5, minutes=-30)), at).endswith("UTC-05:30")


def test_localtime_link_gives_the_iana_name(tmp_path: Path) -> None:
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Asia/Shanghai")
    assert localtime_key(str(link)) == "Asia/Shanghai"
    copy = tmp_path / "copied"
    copy.write_bytes(b"TZif")
    assert localtime_key(str(copy)) is None
