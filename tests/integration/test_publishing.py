"""Publishing pool entries with real publishers, on SQLite and PostgreSQL: the review gate,
retries with backoff then ``failed`` with the message, schedules, lost leases, the
``publishing`` job's summary, and the daemon's publisher loop end to end."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

from contenthub_async.clock import ManualClock
from contenthub_async.domain.entities import Job, JobRun
from contenthub_async.domain.submission import NewTask
from contenthub_async.domain.vocabulary import JobRunStatus, JobRunTrigger
from contenthub_async.publishers.port import PublishError
from contenthub_async.publishers.registry import Publishers
from contenthub_async.services import publishing
from contenthub_async.services.context import Knobs, ServiceContext
from contenthub_async.services.executors import RunContext, executor_for, parse_params
from contenthub_async.services.publishing import Publishing, PublishPolicy, publish_batch
from contenthub_async.services.review import approve_contents
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database
from tests.support.daemons import prepare, running_daemon, settings_for, submit, wait_until
from tests.support.processes import write_script


async def setup(db: Database, clock: ManualClock, *, articles: int = 1, publisher: str | None = None) -> list[int]:
    """Account 49 (with ``publisher``) and ``articles`` articles awaiting review."""
    async with db.write() as conn:
        await account_store.insert_account(conn, name="科技前沿", now=clock.now(), account_id=49)
        if publisher:
            await account_store.update_account(conn, 49, {"publisher": publisher}, now=clock.now())
        return [
            await content_store.insert_content(conn, content_store.NewContent(
                account_id=49, generation_task_id=None, title=f"文章 {i}", body_markdown=f"# 文章 {i}\n\n正文。",
                summary=None, images=[], word_count=3, category=None, tags="AI", approved=False), now=clock.now())
            for i in range(articles)
        ]


def publishing_for(db: Database, clock: ManualClock, root: Path, actor: str = "d1", attempts: int = 3) -> Publishing:
    return Publishing(db=db, clock=clock, actor=actor, publishers=Publishers(f"dir:{root}", api_key=None, timeout=20),
                      policy=PublishPolicy(max_attempts=attempts, backoff=10, backoff_max=100, lease_seconds=60))


async def entries(db: Database) -> list[Any]:
    async with db.read() as conn:
        return await pool_store.list_entries(conn)


async def test_only_approved_articles_are_published_by_dir(db: Database, clock: ManualClock, tmp_path: Path) -> None:
    approved, waiting = await setup(db, clock, articles=2)
    await approve_contents(db, [approved], clock=clock, actor="cli")
    p = publishing_for(db, clock, tmp_path / "out")
    result = await publish_batch(p, limit=10, concurrency=2)
    assert (result["total_count"], result["success_count"], result["failed_count"], result["skipped_count"]) == (
        1, 1, 0, 0)
    [published] = result["results"]
    assert published["status"] == "published" and (tmp_path / "out" / published["external_id"]).is_file()
    async with db.read() as conn:
        assert (await content_store.get_content(conn, approved))["publish_status"] == "published"  # type: ignore[index]
        assert (await content_store.get_content(conn, waiting))["publish_status"] == "draft"  # type: ignore[index]
    assert (await publish_batch(p, limit=10, concurrency=2))["total_count"] == 0  # published once, never again


async def test_retryable_failures_back_off_then_fail_with_the_message(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    script = write_script(tmp_path / "post.py", 'import sys; sys.stdin.read(); sys.stderr.write("平台维护中\\n"); sys.exit(3)\n')
    [content_id] = await setup(db, clock, publisher=f"exec:{script}")
    await approve_contents(db, [content_id], clock=clock, actor="cli")
    p = publishing_for(db, clock, tmp_path / "out")
    for attempt, wait in ((1, 10), (2, 20)):
        result = await publish_batch(p, limit=10, concurrency=1)
        assert result["results"][0]["status"] == "pending" and result["failed_count"] == 1
        [entry] = await entries(db)
        assert entry.attempts == attempt and entry.last_error == "平台维护中"
        assert clock.now() + timedelta(seconds=wait * 0.8) <= entry.due_at <= clock.now() + timedelta(seconds=wait)
        assert (await publish_batch(p, limit=10, concurrency=1))["total_count"] == 0  # not due yet
        clock.advance(wait)
    result = await publish_batch(p, limit=10, concurrency=1)
    assert result["results"][0] == {"pool_id": entry.id, "content_id": content_id, "status": "failed",
                                    "external_id": None, "url": None, "error": "平台维护中"}
    [entry] = await entries(db)
    assert (entry.status, entry.attempts, entry.last_error) == ("failed", 3, "平台维护中")
    async with db.read() as conn:
        events = await pool_store.events_of(conn, entry.id)
        assert (await content_store.get_content(conn, content_id))["publish_status"] == "failed"  # type: ignore[index]
    assert [e.to_status for e in events] == ["pending", "publishing", "pending", "publishing", "pending",
                                             "publishing", "failed"]
    assert "attempt 3 failed (retryable): 平台维护中" in (events[-1].message or "")


async def test_a_permanent_failure_fails_at_once(db: Database, clock: ManualClock, tmp_path: Path) -> None:
    script = write_script(tmp_path / "post.py", 'import sys; sys.stdin.read(); print("refused", file=sys.stderr); sys.exit(65)\n')
    [content_id] = await setup(db, clock, publisher=f"exec:{script}")
    await approve_contents(db, [content_id], clock=clock, actor="cli")
    result = await publish_batch(publishing_for(db, clock, tmp_path), limit=10, concurrency=1)
    assert result["results"][0]["status"] == "failed" and result["results"][0]["error"] == "refused"


async def test_credentials_are_handed_over_never_logged(db: Database, clock: ManualClock, tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    script = write_script(tmp_path / "post.py", f"""
        import json, sys
        data = json.load(sys.stdin)
        open({str(seen)!r}, "w").write(data["account"]["credentials"]["appSecret"])
        print(json.dumps({{"external_id": "m-1"}}))
    """)
    secrets = tmp_path / "account-49.json"
    secrets.write_text('{"appId": "wx1234567890", "appSecret": "TOP-SECRET-42"}')
    [content_id] = await setup(db, clock, publisher=f"exec:{script}")
    async with db.write() as conn:
        await account_store.update_account(conn, 49, {"credentials_ref": f"file:{secrets}"}, now=clock.now())
    await approve_contents(db, [content_id], clock=clock, actor="cli")
    p = publishing_for(db, clock, tmp_path)
    with structlog.testing.capture_logs() as logs:
        p = Publishing(**{**p.__dict__, "log": structlog.get_logger()})
        result = await publish_batch(p, limit=10, concurrency=1)
    assert result["success_count"] == 1 and seen.read_text() == "TOP-SECRET-42"
    assert logs and "TOP-SECRET-42" not in repr(logs)
    secrets.unlink()  # unreadable credentials: a permanent failure that names the reference only
    another = await setup_more(db, clock)
    async with db.write() as conn:
        await pool_store.insert_entry(conn, content_id=another, account_id=49, priority=5, now=clock.now(),
                                      actor="cli")
    result = await publish_batch(p, limit=10, concurrency=1)
    assert result["results"][0]["status"] == "failed" and str(secrets) in result["results"][0]["error"]


async def setup_more(db: Database, clock: ManualClock) -> int:
    async with db.write() as conn:
        return await content_store.insert_content(conn, content_store.NewContent(
            account_id=49, generation_task_id=None, title="再来一篇", body_markdown="正文", summary=None, images=[],
            word_count=2, category=None, tags=None, approved=True), now=clock.now())


async def test_an_outcome_after_the_lease_was_lost_is_not_recorded(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    [content_id] = await setup(db, clock)
    await approve_contents(db, [content_id], clock=clock, actor="cli")
    slow, fast = publishing_for(db, clock, tmp_path, "d1"), publishing_for(db, clock, tmp_path, "d2")
    [claimed] = await publishing.claim(slow, limit=1)
    clock.advance(61)
    async with db.write() as conn:
        assert await pool_store.expire_leases(conn, now=clock.now(), actor="janitor") == [claimed.id]
    [again] = await publishing.claim(fast, limit=1)
    late = await publishing.record_outcome(slow, claimed, PublishError("too late", retryable=True))
    assert late.status == "skipped"
    assert (await publishing.publish_entry(fast, again)).status == "published"
    [entry] = await entries(db)
    assert entry.status == "published" and entry.attempts == 2 and entry.last_error is None


async def test_the_publishing_job_records_the_original_summary(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    ids = await setup(db, clock, articles=3)
    await approve_contents(db, ids, clock=clock, actor="cli")
    async with db.write() as conn:
        later = await pool_store.entry_of_content(conn, ids[2])
        assert later is not None
        await conn.execute(pool_store.publish_pool.update().where(pool_store.E.id == later.id)
                           .values(due_at=clock.now() + timedelta(hours=1), scheduled_at=clock.now() + timedelta(hours=1)))
    daemon = ServiceContext(db=db, creator=None, clock=clock, knobs=Knobs(  # type: ignore[arg-type]
        max_concurrent_tasks=1, task_timeout=60, poll_interval=1, retry_backoff=1, retry_backoff_max=10,
        lease_seconds=60, list_limit=10, heartbeat_interval=1, janitor_interval=1, shutdown_grace=1,
        wakeup_interval=0.1), daemon_id="d1", log=structlog.get_logger(),
        publishers=Publishers(f"dir:{tmp_path}", api_key=None, timeout=20))
    job = Job(1, "publish", "publishing", "*/5 * * * *", None, {}, True, "run_once", 3600, None, None, clock.now(),
              clock.now())
    run = JobRun(1, 1, clock.now(), JobRunTrigger.CRON, JobRunStatus.RUNNING, "d1", clock.now(), None, None, None,
                 clock.now())
    params = parse_params("publishing", {"limit": 10})
    result = await executor_for("publishing").execute(
        RunContext(db=db, clock=clock, now=clock.now(), job=job, run=run, daemon=daemon), params)
    assert {k: result[k] for k in ("total_count", "success_count", "failed_count", "skipped_count")} == {
        "total_count": 2, "success_count": 2, "failed_count": 0, "skipped_count": 0}
    assert [r["status"] for r in result["results"]] == ["published", "published"]
    assert [e.status for e in await entries(db)] == ["published", "published", "pending"]


async def test_the_daemon_publishes_generated_articles(db_url: str, tmp_path: Path) -> None:
    """Generate → auto-approve → publish, unattended: the publisher loop wakes on the new entry."""
    await prepare(db_url)
    [task_id] = await submit(db_url, [NewTask(account_id=49, topic="无人值守发布", auto_approve=True, priority=9)])
    settings = settings_for(db_url, tmp_path / "fake")
    out = tmp_path / "fake" / "published"
    async with running_daemon(settings):
        await wait_until(lambda: len(list(out.glob("*/*.md"))) == 1, timeout=60)
    db = Database.open(db_url)
    try:
        [entry] = await entries(db)
    finally:
        await db.close()
    assert entry.status == "published" and entry.priority == 1  # 10 - the task's priority
    [path] = out.glob("*/*.md")
    assert entry.external_id == path.relative_to(out).as_posix() and f'task_id: "{task_id}"' in path.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_daemons_share_one_postgresql_pool(db_url: str, tmp_path: Path) -> None:
    """Two daemons publish one pool: every article exactly once, both take part."""
    log = tmp_path / "posted.log"
    script = write_script(tmp_path / "post.py", f"""
        import json, sys, time
        data = json.load(sys.stdin)
        time.sleep(0.2)
        with open({str(log)!r}, "a") as out:
            out.write(f"{{data['content_id']}}\\n")
        print(json.dumps({{"external_id": f"post-{{data['content_id']}}"}}))
    """)
    await prepare(db_url)
    db = Database.open(db_url)
    try:
        clock = ManualClock(datetime.now(UTC))
        async with db.write() as conn:
            await account_store.update_account(conn, 49, {"publisher": f"exec:{script}"}, now=clock.now())
        ids = [await setup_more(db, clock) for _ in range(24)]
        # Heartbeats every 10 s: on a loaded machine a 1 s heartbeat can fall 2 intervals behind, the
        # other daemon then takes this one for dead and publishes its entry again (the documented
        # at-least-once window), which is not what this test is about.
        settings = settings_for(db_url, tmp_path / "fake", CONTENTHUB_PUBLISH_CONCURRENCY=2,
                                CONTENTHUB_PUBLISH_TIMEOUT=60, CONTENTHUB_LEASE_SECONDS=90,
                                CONTENTHUB_HEARTBEAT_INTERVAL=10)
        async with running_daemon(settings) as first, running_daemon(settings) as second:
            async def published() -> int:
                async with db.read() as conn:
                    return (await pool_store.count_by_status(conn)).get("published", 0)

            # Work arrives while both run, in two commits: each wakes both daemons (LISTEN/NOTIFY).
            await anyio.sleep(2)  # let both daemons' listeners connect
            await approve_contents(db, ids[:12], clock=clock, actor="cli")
            with anyio.fail_after(120):
                while await published() == 0:
                    await anyio.sleep(0.1)
            await approve_contents(db, ids[12:], clock=clock, actor="cli")
            with anyio.fail_after(120):
                while await published() < len(ids):
                    await anyio.sleep(0.3)
        async with db.read() as conn:
            publishers = {e.actor for entry in await pool_store.list_entries(conn, limit=100)
                          for e in await pool_store.events_of(conn, entry.id) if e.to_status == "published"}
    finally:
        await db.close()
    posted = sorted(int(line) for line in log.read_text().split())
    assert posted == sorted(ids), "each article posted exactly once"
    assert publishers == {first.daemon_id, second.daemon_id}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_round_with_nothing_due_takes_no_write_lock(db: Database, clock: ManualClock, tmp_path: Path) -> None:
    """An idle round only reads: it ends while another process holds SQLite's write lock (a
    claim would wait for that lock) and names the time until the next entry is due."""
    from contenthub_async.services.publisher_loop import PublisherLoop
    from contenthub_async.services.wakeup import Wakeup

    _, scheduled = await setup(db, clock, articles=2)
    async with db.write() as conn:
        await pool_store.insert_entry(conn, content_id=scheduled, account_id=49, priority=5, now=clock.now(),
                                      actor="cli", scheduled_at=clock.now() + timedelta(seconds=120))
    loop = PublisherLoop(publishing_for(db, clock, tmp_path / "out"), Wakeup(), concurrency=2, shutdown_grace=5,
                         max_idle=3600)
    assert db.url.sqlite_path is not None
    other = sqlite3.connect(db.url.sqlite_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. contenthub-ctl in the middle of a write
        async with anyio.create_task_group() as publishes:
            loop._publishes = publishes  # as run() sets it: this test drives one round itself
            with anyio.fail_after(60):
                assert await loop.run_once() == pytest.approx(120)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert [e.status.value for e in await entries(db)] == ["pending"]


@pytest.mark.slow  # waits for the next due time
async def test_the_loop_wakes_on_a_change_and_at_the_next_due_time(db: Database, tmp_path: Path) -> None:
    """With an idle re-check of an hour, only the wakeup and the next due_at can start a publish."""
    from contenthub_async.clock import SystemClock
    from contenthub_async.services.publisher_loop import PublisherLoop
    from contenthub_async.services.wakeup import Wakeup

    clock = SystemClock()
    first, scheduled = await setup(db, clock, articles=2)  # type: ignore[arg-type]
    p = publishing_for(db, clock, tmp_path / "out")  # type: ignore[arg-type]
    wakeup = Wakeup()
    loop = PublisherLoop(p, wakeup, concurrency=2, shutdown_grace=5, max_idle=3600)
    stopping = anyio.Event()

    async def statuses() -> list[str]:
        return [e.status.value for e in await entries(db)]

    async with anyio.create_task_group() as group:
        group.start_soon(loop.run, stopping)
        await anyio.sleep(0.5)  # the loop found nothing and sleeps (an hour, unless woken)
        await approve_contents(db, [first], clock=clock, actor="cli")
        wakeup.notify()  # what the change source does when another connection commits
        with anyio.fail_after(60):
            while await statuses() != ["published"]:
                await anyio.sleep(0.1)
        async with db.write() as conn:
            await pool_store.insert_entry(conn, content_id=scheduled, account_id=49, priority=5, now=clock.now(),
                                          actor="cli", scheduled_at=clock.now() + timedelta(seconds=2))
        wakeup.notify()  # the loop looks, finds it not due yet, and sleeps until its due_at
        await anyio.sleep(0.5)
        assert sorted(await statuses()) == ["pending", "published"]  # not before its time
        with anyio.fail_after(60):  # no further notify: only the due time can wake the loop
            while sorted(await statuses()) != ["published", "published"]:
                await anyio.sleep(0.1)
        stopping.set()
