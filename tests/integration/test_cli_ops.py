"""contenthub-ctl retry --failed --since and cleanup against a SQLite file (commands in-process; the cleanup
prompt on a real terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from contenthub_async.clock import ManualClock
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.tables import content_generation_tasks
from tests.integration.test_cli import _accounts, one_line
from tests.support.cli import CTL, EN, ZH, Ctl


async def _set(db: Database, task_id: str, **values: object) -> None:
    async with db.write() as conn:
        await conn.execute(update(content_generation_tasks)
                           .where(content_generation_tasks.c.task_id == task_id).values(**values))


def ago(**delta: float) -> datetime:
    """A completed_at relative to the real now (the CLI runs on the wall clock)."""
    return datetime.now(UTC) - timedelta(**delta)


async def _finished_tasks(db: Database, clock: ManualClock) -> list[str]:
    """failed 10 min ago, failed 3 h ago, timeout 10 min ago, cancelled 10 min ago, completed, pending."""
    await _accounts(db, clock)
    ids = await task_commands.submit_tasks(db, [NewTask(account_id=1, topic=f"t{i}") for i in range(6)],
                                           clock=clock, actor="cli")
    for task_id, status, when in zip(ids, ("failed", "failed", "timeout", "cancelled", "completed"),
                                     (ago(minutes=10), ago(hours=3), ago(minutes=10), ago(minutes=10),
                                      ago(minutes=10)), strict=False):
        await _set(db, task_id, status=status, completed_at=when, retry_count=3, error_message="boom")
    return ids


def statuses(ctl: Ctl, ids: list[str]) -> list[str]:
    found = dict(ctl.rows("SELECT task_id, status FROM content_generation_tasks"))
    return [found.get(t, "deleted") for t in ids]


def test_bulk_retry_of_failed_tasks_within_the_window(ctl: Ctl) -> None:
    ids = ctl.store(_finished_tasks)
    assert isinstance(ids, list)
    recent_failed, old_failed, recent_timeout, recent_cancelled, completed, pending = ids
    before = ctl.count()

    for args in (["retry"], ["retry", recent_failed, "--failed", "--since", "1h"], ["retry", "--failed"],
                 ["retry", "--since", "1h"], ["retry", "--failed", "--since", "1 hour"],
                 ["retry", "--failed", "--since", "0m"], ["retry", recent_failed, "--since", "1h"]):
        r = ctl(*args)
        assert r.code == 2 and r.out == "", (args, r)
        assert one_line(r.err).startswith("contenthub-ctl: error: "), args
    assert ctl.count() == before

    r = ctl("retry", "--failed", "--since", "1h", "--format", "json")
    assert r.code == 0, r.err
    assert r.json() == {"retried": 1, "task_ids": [recent_failed], "statuses": ["failed"], "since": "1h",
                        "message": r.json()["message"]}  # type: ignore[index]
    assert statuses(ctl, ids) == ["pending", "failed", "timeout", "cancelled", "completed", "pending"]
    [(retry_count, completed_at, error)] = ctl.rows(
        "SELECT retry_count, completed_at, error_message FROM content_generation_tasks WHERE task_id = ?",
        recent_failed)
    assert (retry_count, completed_at, error) == (0, None, "boom")
    events = ctl.rows("SELECT e.from_status, e.to_status, e.actor FROM task_events e JOIN content_generation_tasks t"
                      " ON t.id = e.generation_task_id WHERE t.task_id = ? ORDER BY e.id", recent_failed)
    assert events[-1] == ("failed", "pending", "cli")

    r = ctl("retry", "--failed", "--timeout", "--cancelled", "--since", "4h", lang=ZH)
    assert r.code == 0 and "3" in r.out, r.err
    assert statuses(ctl, ids) == ["pending"] * 4 + ["completed", "pending"]
    r = ctl("retry", "--failed", "--since", "2d")
    assert r.code == 0 and "No tasks to retry" in r.out
    assert ctl.count() == (before[0], before[1] + 4)

    r = ctl("task", "retry", completed)
    assert r.code == 1 and "completed" in one_line(r.err)


async def _old_and_new(db: Database, clock: ManualClock) -> list[str]:
    """Finished 40 days ago: completed (with an article in the publish pool), failed, cancelled;
    failed 1 day ago; in flight and pending since 40 days ago."""
    await _accounts(db, clock)
    ids = await task_commands.submit_tasks(db, [NewTask(account_id=1, topic=f"t{i}") for i in range(6)],
                                           clock=clock, actor="cli")
    old = ago(days=40)
    for task_id, status in zip(ids, ("completed", "failed", "cancelled"), strict=False):
        await _set(db, task_id, status=status, completed_at=old)
    await _set(db, ids[3], status="failed", completed_at=ago(days=1))
    await _set(db, ids[4], status="processing", creator_task_id="c-1", started_at=old, completed_at=old)
    async with db.write() as conn:
        task = await task_store.get_task(conn, ids[0])
        assert task is not None
        content_id = await content_store.insert_content(conn, content_store.NewContent(
            account_id=1, generation_task_id=task.id, title="保留的文章", body_markdown="正文", summary=None,
            images=[], word_count=2, category=None, tags=None, approved=True), now=clock.now())
        await pool_store.insert_entry(conn, content_id=content_id, account_id=1, priority=5, now=clock.now(), actor="test")
    await _set(db, ids[0], content_id=content_id)
    return ids


def run_on_terminal(ctl: Ctl, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run contenthub-ctl with a terminal on stdin that has ``answer`` typed in."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode())
        return subprocess.run([str(CTL), *args], cwd=ctl.cwd, env=ctl.env(EN, None), stdin=terminal,
                              capture_output=True, text=True, timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)


def test_cleanup_asks_or_needs_yes_and_keeps_articles(ctl: Ctl) -> None:
    ids = ctl.store(_old_and_new)
    assert isinstance(ids, list)
    before = ctl.count()

    r = ctl("cleanup", "--days", "30")  # stdin is not a terminal, no --yes
    assert r.code == 2 and r.out == "" and "--yes" in one_line(r.err) and "3" in r.err
    for bad in (["cleanup"], ["cleanup", "--days", "0"], ["cleanup", "--days", "x"]):
        assert ctl(*bad).code == 2, bad
    assert ctl.count() == before

    r = run_on_terminal(ctl, "n\n", "cleanup", "--days", "30")
    assert r.returncode == 1 and "[y/N]" in r.stderr and "Nothing deleted" in r.stderr, r
    assert ctl.count() == before

    r = run_on_terminal(ctl, "y\n", "cleanup", "--days", "30")
    assert r.returncode == 0, r
    assert "3 finished task(s)" in r.stderr and "1 article(s) are kept" in r.stderr
    assert "Deleted 3" in r.stdout
    assert statuses(ctl, ids) == ["deleted"] * 3 + ["failed", "processing", "pending"]
    assert ctl.rows("SELECT count(*) FROM task_events WHERE generation_task_id NOT IN"
                    " (SELECT id FROM content_generation_tasks)") == [(0,)]
    assert ctl.rows("SELECT title, generation_task_id FROM contents") == [("保留的文章", None)]
    assert ctl.rows("SELECT count(*) FROM publish_pool") == [(1,)]

    r = ctl("cleanup", "--days", "30", "--format", "json")  # nothing left to delete: no question asked
    assert r.code == 0 and r.json()["deleted_tasks"] == 0  # type: ignore[index]


def test_cleanup_with_yes_deletes_without_asking(ctl: Ctl) -> None:
    ids = ctl.store(_old_and_new)
    assert isinstance(ids, list)
    _, events_before = ctl.count()

    r = ctl("cleanup", "--days", "30", "--yes", "--format", "json")
    assert r.code == 0, r.err
    report = r.json()
    assert isinstance(report, dict)
    assert (report["deleted_tasks"], report["deleted_by_status"], report["deleted_events"],
            report["kept_contents"]) == (3, {"cancelled": 1, "completed": 1, "failed": 1}, 3, 1)
    assert ctl.count() == (3, events_before - 3)

    r = ctl("cleanup", "--days", "1", "-y", lang=ZH)  # the task that failed a day ago is older than 1 day
    assert r.code == 0 and "已删除 1 个" in r.out, r
    assert statuses(ctl, ids) == ["deleted"] * 4 + ["processing", "pending"]


def test_task_cleanup_and_task_stats_are_the_original_spellings(ctl: Ctl) -> None:
    ids = ctl.store(_old_and_new)
    assert isinstance(ids, list)
    r = ctl("task", "cleanup", "--days", "30", "--yes", "--format", "json")
    assert r.code == 0, r.err
    assert r.json()["deleted_tasks"] == 3  # type: ignore[index]
    assert statuses(ctl, ids) == ["deleted"] * 3 + ["failed", "processing", "pending"]

    stats = ctl("task", "stats", "--format", "json")
    metrics = ctl("monitor", "metrics", "--format", "json")
    assert stats.code == metrics.code == 0, stats.err
    keep = ("total_count", "by_status", "success_rate", "in_flight", "queue_depth_by_priority")
    assert {k: stats.json()[k] for k in keep} == {k: metrics.json()[k] for k in keep}  # type: ignore[index]
    assert stats.json()["total_count"] == 3  # type: ignore[index]
    human = ctl("task", "stats", lang=ZH)
    assert human.code == 0 and human.out.startswith("系统指标") and "总任务数" in human.out
