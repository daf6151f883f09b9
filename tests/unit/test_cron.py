"""domain.cron and domain.topics: pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contenthub_async.domain import cron
from contenthub_async.domain.topics import TEMPLATES, generate_topics

T0 = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def test_every_minute_over_a_day_is_1440_firings() -> None:
    firings = list(cron.firings_between("* * * * *", ZoneInfo("UTC"), T0, T0 + timedelta(days=1) - timedelta(seconds=1),
                                        limit=10_000))
    assert len(firings) == 1440 and len(set(firings)) == 1440
    assert firings[0] == T0 and firings[-1] == T0 + timedelta(minutes=1439)


def test_invalid_expressions_say_why() -> None:
    with pytest.raises(cron.CronError, match="out of range"):
        cron.validate_cron("61 * * * *")
    with pytest.raises(cron.CronError, match="expected 5 fields"):
        cron.validate_cron("* * *")
    assert cron.validate_cron(" 0  8 * * * ") == "0 8 * * *"
    with pytest.raises(cron.CronError, match="unknown time zone"):
        cron.zone("Mars/Olympus")


def test_six_fields_have_seconds_first() -> None:
    start = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)
    assert cron.next_firings("*/2 * * * * *", ZoneInfo("UTC"), start, 3) == [
        start + timedelta(seconds=2), start + timedelta(seconds=4), start + timedelta(seconds=6)
    ]


def test_daily_at_8_in_shanghai() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    [first, second] = cron.next_firings("0 8 * * *", tz, datetime(2026, 11, 22, 1, 0, tzinfo=UTC), 2)
    assert first == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 CST
    assert second - first == timedelta(days=1)


def test_dst_spring_forward_and_fall_back_new_york() -> None:
    tz = ZoneInfo("America/New_York")
    # 2026-03-08 02:30 does not exist: croniter fires at the first valid time after it (03:00 EDT).
    firings = cron.next_firings("30 2 * * *", tz, datetime(2026, 3, 7, 12, 0, tzinfo=tz), 3)
    local = [f.astimezone(tz) for f in firings]
    assert [(d.day, d.hour, d.minute) for d in local] == [(8, 3, 0), (9, 2, 30), (10, 2, 30)]
    # Daily 08:00 stays 08:00 local across the change: 23 h between the two days around it.
    daily = cron.next_firings("0 8 * * *", tz, datetime(2026, 3, 7, 0, 0, tzinfo=tz), 2)
    assert daily[1] - daily[0] == timedelta(hours=23)
    assert all(d.astimezone(tz).hour == 8 for d in daily)
    # 2026-11-01 01:30 exists twice (EDT, then EST): croniter fires at both instants, an hour
    # apart, never twice at the same instant.
    autumn = list(cron.firings_between("30 1 * * *", tz, datetime(2026, 10, 31, 12, tzinfo=tz),
                                       datetime(2026, 11, 2, 12, tzinfo=tz), limit=10))
    assert autumn == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
                      datetime(2026, 11, 2, 6, 30, tzinfo=UTC)]
    # Hourly over the fall-back day: 25 distinct UTC firings, strictly increasing.
    day = list(cron.firings_between("0 * * * *", tz, datetime(2026, 11, 1, 0, tzinfo=tz),
                                    datetime(2026, 11, 1, 23, 59, tzinfo=tz), limit=100))
    assert day == sorted(set(day))
    assert len(day) in (24, 25)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_misfire_on_time_runs() -> None:
    [d] = cron.decide_misfires([_at(0)], _at(0.1), policy="run_once", grace_seconds=3600)
    assert (d.action, d.trigger) == ("run", "cron")
    [d] = cron.decide_misfires([_at(0)], _at(0.1), policy="skip", grace_seconds=0)
    assert d.action == "run"


def test_misfire_within_grace_runs_once_latest_older_missed() -> None:
    due = [_at(0), _at(10), _at(20)]
    decisions = cron.decide_misfires(due, _at(50), policy="run_once", grace_seconds=3600)
    assert [d.action for d in decisions] == ["missed", "missed", "run"]
    assert decisions[-1].trigger == "catch_up" and decisions[-1].scheduled_for == _at(20)


def test_misfire_beyond_grace_all_missed_and_skip_policy() -> None:
    decisions = cron.decide_misfires([_at(0)], _at(120), policy="run_once", grace_seconds=3600)
    assert [d.action for d in decisions] == ["missed"]
    decisions = cron.decide_misfires([_at(0), _at(10)], _at(15), policy="skip", grace_seconds=3600)
    assert [d.action for d in decisions] == ["missed", "missed"]
    assert cron.decide_misfires([], _at(0), policy="skip", grace_seconds=0) == []


def test_topics_follow_category_and_never_repeat() -> None:
    day = date(2026, 11, 22)
    topics = generate_topics(category="技术", count=3, taken=(), day=day)
    assert [t.split("·")[1] for t in topics] == list(TEMPLATES["技术"])
    again = generate_topics(category="技术", count=3, taken=topics, day=day)
    assert not set(again) & set(topics) and len(set(again)) == 3
    other = generate_topics(category="美食", count=4, taken=(), day=day)
    assert len(set(other)) == 4 and "深度解析" in other[0]
    many = generate_topics(category=None, count=40, taken=(), day=day, keywords="AI, 客服")
    assert len(set(many)) == 40 and many[0].startswith("AI·")
