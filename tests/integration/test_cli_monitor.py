"""``contenthub-ctl monitor ...`` as operators and cron jobs run it (commands in-process, a real
process for the cron pipeline and the start-up imports) against a SQLite file whose rows were written in-process through the store API, at times relative to the real clock
(the command reads the wall clock). Times are asserted against what the command itself reports
(``generated_at``, dates it lists), never against how long anything took.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.store import accounts as account_store
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store.database import Database
from tests.support.cli import CTL, EN, ZH, Ctl
from tests.support.daemons import FAKE_CREATOR, fake_knobs
from tests.support.task_states import place_task

S = TaskStatus


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _account(db: Database, now: datetime) -> int:
    async with db.write() as conn:
        return (await account_store.insert_account(conn, name="main", now=now, account_id=1)).id


async def _queue(db: Database, _clock: ManualClock) -> dict[str, object]:
    """10 completed (10, 20, ..., 100 s), 2 failed, 1 timeout, 1 cancelled, 3 pending (priorities 8, 8, 3;
    the priority-3 one waiting longest, since 2 h ago), 1 submitted, 1 processing: 19 tasks."""
    now = datetime.now(UTC)
    account = await _account(db, now)
    async with db.write() as conn:
        for i, seconds in enumerate(range(10, 101, 10)):
            created = now - timedelta(hours=5) + timedelta(minutes=i)
            await place_task(conn, account_id=account, status=S.COMPLETED, created=created,
                             finished=created + timedelta(seconds=seconds), topic=f"done {i}")
        for error in ("creator said no", "creator said no"):
            await place_task(conn, account_id=account, status=S.FAILED, created=now - timedelta(hours=4),
                             finished=now - timedelta(hours=3), error=error, topic="broken")
        await place_task(conn, account_id=account, status=S.TIMEOUT, created=now - timedelta(hours=4),
                         finished=now - timedelta(hours=3), error="no result within 1800 s", topic="slow")
        await place_task(conn, account_id=account, status=S.CANCELLED, created=now - timedelta(hours=4),
                         finished=now - timedelta(hours=3))
        oldest = await place_task(conn, account_id=account, status=S.PENDING, created=now - timedelta(hours=2),
                                  priority=3, topic="waiting longest")
        first = await place_task(conn, account_id=account, status=S.PENDING, created=now - timedelta(hours=1),
                                 priority=8, topic="first of eight")
        second = await place_task(conn, account_id=account, status=S.PENDING, created=now - timedelta(minutes=30),
                                  priority=8, topic="second of eight")
        for status in (S.SUBMITTED, S.PROCESSING):
            await place_task(conn, account_id=account, status=status, created=now - timedelta(minutes=10))
    return {"oldest": oldest.task_id, "pending_order": [first.task_id, second.task_id, oldest.task_id]}


# ---------------------------------------------------------------- metrics


def test_metrics_json_counts_rates_percentiles_queue(ctl: Ctl) -> None:
    fixture = ctl.store(_queue)
    assert isinstance(fixture, dict)

    r = ctl("monitor", "metrics", "--format", "json", env={"ASYNC_MAX_CONCURRENT_TASKS": "7"})
    assert r.code == 0, r.err
    data = r.json()
    assert isinstance(data, dict)
    counts = {"pending": 3, "submitting": 0, "submitted": 1, "processing": 1, "completed": 10, "failed": 2,
              "timeout": 1, "cancelled": 1}
    assert data["by_status"] == counts
    assert {status: data[f"{status}_count"] for status in counts} == counts
    assert data["total_count"] == 19
    assert data["success_rate"] == round(10 / 13, 4)  # completed / (completed + failed + timeout)
    assert (data["avg_completion_seconds"], data["p50_completion_seconds"], data["p95_completion_seconds"]) == (
        55.0, 55.0, 95.5)
    assert data["completion_sample_size"] == 10
    assert (data["in_flight"], data["max_concurrent"]) == (2, 7)
    assert data["queue_depth_by_priority"] == {"8": 2, "3": 1}
    assert list(data["queue_depth_by_priority"]) == ["8", "3"]
    assert data["oldest_pending_task_id"] == fixture["oldest"]
    generated, created = parse_utc(data["generated_at"]), parse_utc(data["oldest_pending_created_at"])
    assert data["oldest_pending_age_seconds"] == (generated - created).total_seconds()
    assert data["oldest_pending_age_seconds"] >= 7200


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_user_guides_alert_script_reads_failed_count(ctl: Ctl) -> None:
    ctl.store(_queue)
    script = f"{CTL} monitor metrics --format json | jq '.failed_count'"
    proc = subprocess.run(["bash", "-c", script], cwd=ctl.cwd, env=ctl.env(ZH, None), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "2\n"


def test_metrics_human_in_chinese_and_english(ctl: Ctl) -> None:
    ctl.store(_queue)

    r = ctl("monitor", "metrics", lang=ZH)
    assert r.code == 0, r.err
    assert r.out.startswith("系统指标\n========\n")
    for label, value in (("总任务数", "19"), ("待处理", "3"), ("处理中", "1"), ("已完成", "10"), ("失败", "2"),
                         ("成功率", "76.9%"), ("平均完成时间", "55.0秒"), ("完成时间 P95", "1分35秒"),
                         ("并发任务 / 上限", "2 / 5"), ("队列（按优先级）", "P8: 2, P3: 1")):
        assert re.search(rf"^{re.escape(label)}:\s+{re.escape(value)}$", r.out, re.M), (label, r.out)
    assert re.search(r"^最早的待处理任务:\s+task-[0-9a-f]{12}，已等待 2小时\d+分$", r.out, re.M), r.out

    r = ctl("monitor", "metrics", lang=EN)
    assert r.code == 0, r.err
    assert r.out.startswith("System metrics\n==============\n")
    for label, value in (("Total tasks", "19"), ("failed", "2"), ("Success rate", "76.9%"),
                         ("Average completion time", "55.0 s"), ("Median completion time (p50)", "55.0 s")):
        assert re.search(rf"^{re.escape(label)}:\s+{re.escape(value)}$", r.out, re.M), (label, r.out)
    assert "成功率" not in r.out


# ---------------------------------------------------------------- recent, failed, pending


def test_recent_failed_pending_reuse_the_task_views(ctl: Ctl) -> None:
    fixture = ctl.store(_queue)
    assert isinstance(fixture, dict)
    listed = ctl("list", "--limit", "3", "--format", "json").json()

    recent = ctl("monitor", "recent", "--limit", "3", "--format", "json").json()
    assert recent == listed, "recent is the newest tasks, as `list` shows them"

    failed = ctl("monitor", "failed", "--format", "json").json()
    assert isinstance(failed, list)
    assert sorted((t["status"], t["error_message"]) for t in failed) == [
        ("failed", "creator said no"), ("failed", "creator said no"), ("timeout", "no result within 1800 s")]
    assert set(failed[0]) == set(listed[0])  # type: ignore[index]

    pending = ctl("monitor", "pending", "--format", "json").json()
    assert isinstance(pending, list)
    assert [t["task_id"] for t in pending] == fixture["pending_order"]
    assert [t["task_id"] for t in ctl("monitor", "pending", "--limit", "1", "--format", "json").json()] == (
        fixture["pending_order"][:1])  # type: ignore[index]

    r = ctl("monitor", "failed", lang=ZH)
    assert r.code == 0, r.err
    assert "错误信息" in r.out and "creator said no" in r.out and "超时" in r.out
    assert "共 3 个失败或超时的任务" in r.out
    r = ctl("monitor", "pending")
    assert r.code == 0, r.err
    assert r.out.index("first of eight") < r.out.index("second of eight") < r.out.index("waiting longest")
    assert "3 pending task(s) in queue order" in r.out

    for args in (["recent", "--limit", "0"], ["failed", "--limit", "10001"], ["pending", "--limit", "x"]):
        r = ctl("monitor", *args)
        assert r.code == 2 and r.out == "", (args, r)
        assert r.err.startswith("contenthub-ctl: error: ") and "--limit" in r.err, (args, r.err)


# ---------------------------------------------------------------- stats


#: The zone of the CLI's environment in these tests (TZ=CST-8).
CST = timezone(timedelta(hours=8))


async def _two_days(db: Database, _clock: ManualClock) -> dict[str, str]:
    """Local days (UTC+8). Yesterday: 3 submitted, 2 completed, 1 failed ("boom"). Today: 3 submitted,
    1 failed ("boom"), 1 timeout ("too slow"), 1 pending. Eight days ago: 1 failed ("ancient"), out of a
    7-day window."""
    now = datetime.now(CST)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)  # local midnight
    yesterday = today - timedelta(days=1)
    account = await _account(db, now)
    async with db.write() as conn:
        ancient = today - timedelta(days=8)
        await place_task(conn, account_id=account, status=S.FAILED, created=ancient,
                         finished=ancient + timedelta(minutes=1), error="ancient")
        for minutes in (60, 120):
            created = yesterday + timedelta(minutes=minutes)
            await place_task(conn, account_id=account, status=S.COMPLETED, created=created,
                             finished=created + timedelta(minutes=2))
        await place_task(conn, account_id=account, status=S.FAILED, created=yesterday + timedelta(hours=3),
                         finished=yesterday + timedelta(hours=4), error="boom")
        await place_task(conn, account_id=account, status=S.FAILED, created=today, finished=today + timedelta(
            seconds=1), error="boom")
        await place_task(conn, account_id=account, status=S.TIMEOUT, created=today, finished=today + timedelta(
            seconds=2), error="too slow")
        await place_task(conn, account_id=account, status=S.PENDING, created=today + timedelta(seconds=3))
    return {"today": today.strftime("%Y-%m-%d"), "yesterday": yesterday.strftime("%Y-%m-%d")}


def test_stats_per_local_day_with_grouped_failure_reasons(ctl: Ctl) -> None:
    days = ctl.store(_two_days)
    assert isinstance(days, dict)

    r = ctl("monitor", "stats", "--days", "7", "--format", "json")
    assert r.code == 0, r.err
    data = r.json()
    assert isinstance(data, dict)
    assert data["days"] == 7 and len(data["per_day"]) == 7
    dates = [d["date"] for d in data["per_day"]]
    first_midnight = datetime.fromisoformat(dates[0]).replace(tzinfo=CST)
    assert dates == sorted(dates) and data["since"] == first_midnight.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert data["timezone"] == "CST"
    by_date = {d.pop("date"): d for d in data["per_day"]}
    assert by_date[days["yesterday"]] == {"submitted": 3, "completed": 2, "failed": 1, "timeout": 0,
                                          "success_rate": round(2 / 3, 4)}
    assert by_date[days["today"]] == {"submitted": 3, "completed": 0, "failed": 1, "timeout": 1,
                                      "success_rate": 0.0}
    assert data["totals"] == {"submitted": 6, "completed": 2, "failed": 2, "timeout": 1, "success_rate": 0.4}
    assert data["failure_reasons"] == [{"reason": "boom", "count": 2}, {"reason": "too slow", "count": 1}]

    one_day = ctl("monitor", "stats", "--days", "1", "--format", "json").json()
    assert isinstance(one_day, dict)
    assert [d["date"] for d in one_day["per_day"]] == [days["today"]]
    assert one_day["failure_reasons"] == [{"reason": "boom", "count": 1}, {"reason": "too slow", "count": 1}]

    r = ctl("monitor", "stats", "--days", "2", lang=ZH)
    assert r.code == 0, r.err
    assert f"每日任务统计：{days['yesterday']} 至 {days['today']}（CST）" in r.out
    assert "日期" in r.out and "主要失败原因" in r.out
    assert re.search(rf"^{days['yesterday']}\s+3\s+2\s+1\s+0\s+66\.7%\s*$", r.out, re.M), r.out
    assert re.search(r"^合计\s+6\s+2\s+2\s+1\s+40\.0%\s*$", r.out, re.M), r.out
    assert re.search(r"^\s*2\s+boom\s*$", r.out, re.M) and re.search(r"^\s*1\s+too slow\s*$", r.out, re.M)

    r = ctl("monitor", "stats", "--days", "2")
    assert r.code == 0 and "Tasks per day" in r.out and "(CST)" in r.out and "Top failure reasons" in r.out

    for value in ("0", "367", "x"):
        r = ctl("monitor", "stats", "--days", value)
        assert r.code == 2 and r.out == "" and "--days" in r.err, (value, r)


def test_stats_without_failures_says_so(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _account(db, clock.now()))
    r = ctl("monitor", "stats", "--days", "1")
    assert r.code == 0, r.err
    assert "No failures." in r.out
    assert ctl("monitor", "stats", "--format", "json").json()["failure_reasons"] == []  # type: ignore[index]


# ---------------------------------------------------------------- health


def _creator_env(ctl: Ctl, path: str = str(FAKE_CREATOR)) -> dict[str, str]:
    return {
        "CREATOR_CLI_PATH": path,
        "CONTENTHUB_CREATOR_ENV": json.dumps(fake_knobs(ctl.cwd / "creator-state")),
        "CONTENTHUB_HEARTBEAT_INTERVAL": "60",  # stale after 180 s
        "ASYNC_POLL_INTERVAL": "30",  # stuck 60 s past timeout_at
    }


def _heartbeat(age: timedelta, daemon_id: str = "host:1:ab", settings: dict | None = None):  # type: ignore[no-untyped-def, type-arg]
    async def action(db: Database, _clock: ManualClock) -> None:
        beat = datetime.now(UTC) - age
        async with db.write() as conn:
            await daemon_store.register_daemon(conn, daemon_id=daemon_id, hostname="host", pid=1, version="1",
                                               now=beat, settings=settings)
    return action


def health(ctl: Ctl, env: dict[str, str], lang: str = EN) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = ctl("monitor", "health", "--format", "json", env=env, lang=lang)
    assert r.err == "", r.err
    data = r.json()
    assert isinstance(data, dict) and data["exit_code"] == r.code
    return r.code, data


def levels(data: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {name: check["status"] for name, check in data["checks"].items()}


def test_health_exit_codes(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _account(db, clock.now()))
    env = _creator_env(ctl)

    code, data = health(ctl, env)
    assert (code, data["status"]) == (2, "unhealthy"), "no daemon row: unhealthy"
    assert levels(data) == {"database": "ok", "daemon": "unhealthy", "processing": "ok", "creator": "ok", "stuck_tasks": "ok",
                            "failure_rate": "ok", "webhooks": "ok"}
    assert data["checks"]["daemon"]["daemon_id"] is None

    ctl.store(_heartbeat(timedelta(hours=1), "host:0:old"))
    code, data = health(ctl, env)
    assert code == 2 and data["checks"]["daemon"]["status"] == "unhealthy", "a stale heartbeat is no daemon"
    assert data["checks"]["daemon"]["daemon_id"] == "host:0:old"
    assert data["checks"]["daemon"]["heartbeat_age_seconds"] >= 3600

    ctl.store(_heartbeat(timedelta(seconds=1)))
    code, data = health(ctl, env)
    assert (code, data["status"]) == (0, "healthy"), data
    assert set(levels(data).values()) == {"ok"}
    assert data["checks"]["daemon"]["daemon_id"] == "host:1:ab"
    assert data["checks"]["creator"]["version"] == "0.1.0"
    assert data["checks"]["database"] == {"status": "ok", "backend": "sqlite", "database": str(ctl.path),
                                          "writable": True, "error": None}
    assert ctl.rows("SELECT count(*) FROM leases") == [(0,)], "the write probe leaves nothing behind"

    r = ctl("monitor", "health", env=env, lang=ZH)
    assert r.code == 0 and r.out.startswith("系统状态: 健康\n") and "守护进程" in r.out and "正常" in r.out
    assert f"{ctl.path}（sqlite）" in r.out.replace("\n", "")

    code, data = health(ctl, {**env, "CREATOR_CLI_PATH": str(ctl.cwd / "no-such-creator")})
    assert (code, data["status"]) == (2, "unhealthy"), "a missing creator fails every claimed task"
    assert data["checks"]["creator"]["status"] == "unhealthy" and "no-such-creator" in data["checks"]["creator"][
        "error"]
    r = ctl("monitor", "health", env={**env, "CREATOR_CLI_PATH": str(ctl.cwd / "no-such-creator")})
    assert r.code == 2 and "System health: unhealthy" in r.out and "no-such-creator" in r.out


async def _stuck_then_failing(db: Database, _clock: ManualClock) -> str:
    now = datetime.now(UTC)
    async with db.write() as conn:
        task = await place_task(conn, account_id=1, status=S.PROCESSING, created=now - timedelta(hours=2),
                                timeout_at=now - timedelta(hours=1))
    return task.task_id


async def _failures_last_hour(db: Database, _clock: ManualClock) -> None:
    now = datetime.now(UTC)
    async with db.write() as conn:
        for status in (S.FAILED, S.FAILED, S.COMPLETED):
            await place_task(conn, account_id=1, status=status, created=now - timedelta(minutes=20),
                             finished=now - timedelta(minutes=10), error="boom" if status == S.FAILED else None)


def test_health_degraded_by_stuck_tasks_and_failure_rate(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _account(db, clock.now()))
    ctl.store(_heartbeat(timedelta(seconds=1)))
    env = _creator_env(ctl)
    stuck = ctl.store(_stuck_then_failing)

    code, data = health(ctl, env)
    assert (code, data["status"]) == (1, "degraded"), data
    assert levels(data) == {"database": "ok", "daemon": "ok", "processing": "ok", "creator": "ok", "stuck_tasks": "degraded",
                            "failure_rate": "ok", "webhooks": "ok"}
    assert data["checks"]["stuck_tasks"]["count"] == 1 and data["checks"]["stuck_tasks"]["task_ids"] == [stuck]
    r = ctl("monitor", "health", env=env, lang=ZH)
    assert r.code == 1 and r.out.startswith("系统状态: 降级\n") and stuck in r.out

    ctl.store(_failures_last_hour)
    code, data = health(ctl, env)
    assert code == 1 and data["checks"]["failure_rate"]["status"] == "degraded"
    assert (data["checks"]["failure_rate"]["failed"], data["checks"]["failure_rate"]["finished"]) == (2, 3)
    assert data["checks"]["failure_rate"]["rate"] == round(2 / 3, 4)


def test_health_without_a_database_is_unhealthy_and_creates_nothing(ctl: Ctl) -> None:
    code, data = health(ctl, _creator_env(ctl))
    assert (code, data["status"]) == (2, "unhealthy")
    assert levels(data) == {"database": "unhealthy", "daemon": "unknown", "processing": "unknown", "creator": "ok",
                            "stuck_tasks": "unknown", "failure_rate": "unknown", "webhooks": "unknown"}
    assert "db init" in data["checks"]["database"]["error"] and data["checks"]["database"]["database"] == str(ctl.path)
    assert not ctl.path.exists()


# ---------------------------------------------------------------- imports


def test_submit_does_not_load_the_monitor_modules(ctl: Ctl) -> None:
    ctl.store(lambda db, clock: _account(db, clock.now()))
    probe = (
        "import sys\n"
        "from contenthub_async.cli.main import run_cli\n"
        "code = run_cli(['submit', '-a', '1', '-t', 'lean'])\n"
        "print(code, sorted(m for m in sys.modules if 'monitor' in m or m.endswith('store.metrics')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ctl.cwd, env=ctl.env(EN, None),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "0 []"


def test_health_judges_the_running_daemons_settings(ctl: Ctl) -> None:
    """The daemon records what it runs with; health reads that, not the shell's environment."""
    ctl.store(lambda db, clock: _account(db, clock.now()))
    env = _creator_env(ctl)
    r = ctl("submit", "-a", "1", "-t", "排队中", "--format", "json", env=env, lang=ZH)
    assert r.code == 0 and "没有运行中的守护进程" in r.json()["message"]  # type: ignore[index]

    switched_off = {"processing_enabled": False, "creator_cli_path": str(FAKE_CREATOR), "creator_workdir": None}
    ctl.store(_heartbeat(timedelta(seconds=1), "host:1:off", switched_off))
    code, data = health(ctl, env)
    assert code == 1 and levels(data)["processing"] == "degraded", data
    assert data["checks"]["processing"] == {"status": "degraded", "enabled": False, "due_pending": 1}
    assert data["checks"]["daemon"]["settings"] == switched_off
    assert data["checks"]["creator"]["source"] == "daemon"
    r = ctl("monitor", "health", env=env, lang=ZH)
    assert r.code == 1 and "守护进程已关闭任务处理" in r.out

    r = ctl("submit", "-a", "1", "-t", "有守护进程", "--format", "json", env=env, lang=ZH)
    assert r.json()["message"] == "任务已提交，正在处理中"  # type: ignore[index]

    # the daemon's creator command is broken, the shell's works: unhealthy, naming the daemon's
    broken = {"processing_enabled": True, "creator_cli_path": str(ctl.cwd / "daemon-creator"), "creator_workdir": None}
    ctl.store(_heartbeat(timedelta(seconds=0), "host:2:new", broken))
    code, data = health(ctl, env)
    assert code == 2 and levels(data)["creator"] == "unhealthy" and levels(data)["processing"] == "ok", data
    assert data["checks"]["creator"]["command"] == str(ctl.cwd / "daemon-creator")
