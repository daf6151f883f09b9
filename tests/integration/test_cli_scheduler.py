"""`contenthub-ctl scheduler ...` as operators run it (commands in-process, tests/support/cli.py; SQLite file)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from contenthub_async.clock import ManualClock
from contenthub_async.services.context import ServiceContext
from contenthub_async.services.scheduler import Scheduler
from contenthub_async.store import accounts as account_store
from contenthub_async.store.database import Database
from tests.integration.test_cli import ISO_Z, ZH, Ctl

SEED_PARAMS = '{"account_ids":[49,50,51],"count_per_account":3,"auto_approve":true,"priority":7}'


async def _seed_accounts(db: Database, clock: ManualClock) -> None:
    async with db.write() as conn:
        for account_id, category in ((49, "技术"), (50, "产品"), (51, None)):
            await account_store.insert_account(conn, name=f"acc{account_id}", category=category, now=clock.now(),
                                               account_id=account_id)


def _tick(ctl: Ctl, when: datetime) -> None:
    async def main() -> None:
        db = Database.open(ctl.url)
        try:
            ctx = ServiceContext(db=db, creator=None, clock=ManualClock(when), knobs=None,  # type: ignore[arg-type]
                                 daemon_id="test-daemon", log=structlog.get_logger("test"))
            await Scheduler(ctx).tick()
        finally:
            await db.close()

    with ctl.environment():  # the system zone of the CLI's runs (TZ=CST-8)
        asyncio.run(main())


def test_seed_example_through_the_cli(ctl: Ctl) -> None:
    ctl.store(_seed_accounts)
    created = ctl("scheduler", "create", "--name", "每日内容生成", "--type", "async_content_generation",
                  "--cron", "0 8 * * *", "--params", SEED_PARAMS, "--format", "json")
    assert created.code == 0, created.err
    job = created.json()
    assert job["id"] == 1 and job["is_active"] and job["timezone"] is None
    assert job["params"] == {"account_ids": [49, 50, 51], "count_per_account": 3, "auto_approve": True,
                             "priority": 7}
    assert len(job["next_runs"]) == 3 and all(ISO_Z.match(t) for t in job["next_runs"])
    # TZ=CST-8: 08:00 local is 00:00 UTC.
    assert all(t.endswith("T00:00:00.000Z") for t in job["next_runs"])

    human = ctl("scheduler", "list")
    assert human.code == 0 and "每日内容生成" in human.out and "08:00:00 CST" in human.out

    first = datetime.fromisoformat(job["next_run_at"].replace("Z", "+00:00"))
    _tick(ctl, first + timedelta(seconds=1))
    _tick(ctl, first + timedelta(days=1, seconds=1))
    rows = ctl.rows("SELECT scheduled_job_run_id, count(*), count(DISTINCT topic) FROM content_generation_tasks "
                    "WHERE source = 'scheduler' GROUP BY scheduled_job_run_id ORDER BY 1")
    assert [(r[1], r[2]) for r in rows] == [(9, 9), (9, 9)]

    history = ctl("scheduler", "history", "1", "--format", "json").json()
    assert [(r["status"], r["trigger"], r["submitted"], r["refused"]) for r in history] == [
        ("succeeded", "cron", 9, 0), ("succeeded", "cron", 9, 0)]
    assert history[0]["duration_seconds"] is not None
    table = ctl("scheduler", "history", "每日内容生成")
    assert table.code == 0 and "9/0" in table.out and "succeeded" in table.out


def test_validation_errors_exit_2_with_the_field(ctl: Ctl) -> None:
    ctl.store(_seed_accounts)
    base = ["scheduler", "create", "--name", "x", "--type", "async_content_generation"]
    bad_cron = ctl(*base, "--cron", "61 * * * *", "--params", '{"account_ids":[49]}')
    assert bad_cron.code == 2 and "--cron" in bad_cron.err and "out of range" in bad_cron.err
    bad_field = ctl(*base, "--cron", "0 8 * * *", "--params", '{"account_ids":[49],"priority":11}')
    assert bad_field.code == 2 and "priority" in bad_field.err
    nested = ctl(*base, "--cron", "0 8 * * *", "--params", '{"account_ids":[49],"topics":[{"tone":"x"}]}')
    assert nested.code == 2 and "topics.0.topic" in nested.err
    not_json = ctl(*base, "--cron", "0 8 * * *", "--params", "{oops")
    assert not_json.code == 2 and "JSON" in not_json.err
    bad_tz = ctl(*base, "--cron", "0 8 * * *", "--params", '{"account_ids":[49]}', "--timezone", "Mars/X")
    assert bad_tz.code == 2 and "--timezone" in bad_tz.err
    bad_type = ctl("scheduler", "create", "--name", "x", "--type", "nope", "--cron", "0 8 * * *")
    assert bad_type.code == 2 and "cleanup" in bad_type.err
    assert ctl.rows("SELECT count(*) FROM scheduled_jobs") == [(0,)]
    zh = ctl(*base, "--cron", "61 * * * *", "--params", '{"account_ids":[49]}', lang=ZH)
    assert zh.code == 2 and "错误" in zh.err
    assert ctl("scheduler", "show", "missing").code == 1


def test_pause_resume_trigger_update_delete(ctl: Ctl) -> None:
    ctl.store(_seed_accounts)
    assert ctl("scheduler", "create", "--name", "clean", "--type", "cleanup", "--cron", "0 3 * * *",
               "--params", '{"days": 7}', "--timezone", "Asia/Shanghai").code == 0
    dup = ctl("scheduler", "create", "--name", "clean", "--type", "cleanup", "--cron", "0 3 * * *")
    assert dup.code == 2
    paused = ctl("scheduler", "pause", "clean", "--format", "json").json()
    assert paused["is_active"] is False and paused["next_run_at"] is None
    resumed = ctl("scheduler", "resume", "1", "--format", "json").json()
    assert resumed["is_active"] is True and resumed["next_run_at"].endswith("T19:00:00.000Z")
    run = ctl("scheduler", "trigger", "clean", "--format", "json").json()
    assert run["status"] == "pending" and run["trigger"] == "manual"
    _tick(ctl, datetime.now(UTC))  # the daemon starts later: it runs the queued trigger
    [done] = ctl("scheduler", "history", "clean", "--format", "json").json()
    assert done["status"] == "succeeded" and done["result"]["deleted_tasks"] == 0
    updated = ctl("scheduler", "update", "clean", "--cron", "30 4 * * *", "--params", '{"days": 3}',
                  "--format", "json").json()
    assert updated["cron"] == "30 4 * * *" and updated["params"] == {"days": 3}
    assert updated["next_run_at"].endswith("T20:30:00.000Z")
    assert ctl("scheduler", "update", "clean").code == 2
    assert ctl("scheduler", "update", "clean", "--params", '{"days": 0}').code == 2
    shown = ctl("scheduler", "show", "clean")
    assert shown.code == 0 and "Asia/Shanghai" in shown.out
    assert ctl("scheduler", "delete", "clean").code == 0
    assert ctl("scheduler", "list", "--format", "json").json() == []
    assert ctl("scheduler", "list").code == 0


def test_list_and_show_name_the_system_zone(ctl: Ctl) -> None:
    ctl.store(_seed_accounts)
    assert ctl("scheduler", "create", "--name", "clean", "--type", "cleanup", "--cron", "0 3 * * *",
               "--params", '{"days": 30}').code == 0
    r = ctl("scheduler", "list", lang=ZH, env={"TZ": "Asia/Shanghai", "COLUMNS": "200"})
    assert r.code == 0 and "系统时区（Asia/Shanghai）" in r.out, r.out
    r = ctl("scheduler", "show", "clean", env={"TZ": "CST-8"})
    assert r.code == 0 and "system (CST, UTC+08:00)" in r.out, r.out


def test_executions_lists_the_runs_of_every_job(ctl: Ctl) -> None:
    ctl.store(_seed_accounts)
    for name in ("清理一", "清理二"):
        assert ctl("scheduler", "create", "--name", name, "--type", "cleanup", "--cron", "0 3 * * *",
                   "--params", '{"days": 30}').code == 0
        assert ctl("scheduler", "trigger", name).code == 0
    _tick(ctl, datetime.now(UTC))
    runs = ctl("scheduler", "executions", "--format", "json").json()
    assert isinstance(runs, list)
    assert sorted((r["job_id"], r["job_name"], r["status"], r["trigger"]) for r in runs) == [
        (1, "清理一", "succeeded", "manual"), (2, "清理二", "succeeded", "manual")]
    assert ctl("scheduler", "executions", "--limit", "1", "--format", "json").json()[0]["id"] == max(  # type: ignore[index]
        r["id"] for r in runs)
    table = ctl("scheduler", "executions", lang=ZH, env={"COLUMNS": "200"})
    assert table.code == 0 and "1 清理一" in table.out and "2 清理二" in table.out and "定时任务" in table.out
