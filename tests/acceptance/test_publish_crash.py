"""kill -9 of contenthubd while it publishes with dir:: nothing lost, nothing published twice."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import anyio

from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database
from tests.support.daemons import daemon_environment, prepare, sqlite_rows, start_daemon, wait_until

ARTICLES = 40
KILLS = 6


async def pooled_articles(url: str, images: list[str]) -> None:
    db = Database.open(url)
    try:
        async with db.write() as conn:
            for i in range(ARTICLES):
                now = datetime.now(UTC)
                content_id = await content_store.insert_content(conn, content_store.NewContent(
                    account_id=49, generation_task_id=None, title=f"崩溃测试 {i}",
                    body_markdown=f"# 崩溃测试 {i}\n\n" + "正文。" * 200, summary=None, images=images, word_count=600,
                    category=None, tags="AI", approved=True), now=now)
                await pool_store.insert_entry(conn, content_id=content_id, account_id=49, priority=i % 11, now=now,
                                              actor="test")
    finally:
        await db.close()


def in_flight(db_path: Path) -> int:
    return sqlite_rows(db_path, "SELECT count(*) FROM publish_pool WHERE status = 'publishing'")[0][0]


async def test_kill_dash_nine_while_publishing(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    image = tmp_path / "big.png"  # each publish copies it with an fsync: a window to be killed in
    image.write_bytes(b"\x89PNG" + bytes(4 * 1024 * 1024))
    await pooled_articles(url, [str(image)])
    out = tmp_path / "published"
    env = daemon_environment(url, tmp_path / "fake", CONTENTHUB_PUBLISHER=f"dir:{out}",
                             CONTENTHUB_PUBLISH_CONCURRENCY="2", CONTENTHUB_LEASE_SECONDS="3",
                             CONTENTHUB_PUBLISH_TIMEOUT="2", CONTENTHUB_CREATOR_CALL_TIMEOUT="2",
                             CONTENTHUB_JANITOR_INTERVAL="0.5")
    log = tmp_path / "daemon.log"
    kills_mid_publish = 0
    for _ in range(KILLS):
        daemon = start_daemon(env, log)
        try:
            with anyio.move_on_after(30):
                while in_flight(db_path) == 0:
                    await anyio.sleep(0.005)
        finally:
            kills_mid_publish += in_flight(db_path) > 0
            daemon.send_signal(signal.SIGKILL)
            assert daemon.wait(timeout=10) == -signal.SIGKILL
    survivor = start_daemon(env, log)
    try:
        await wait_until(lambda: sqlite_rows(db_path, "SELECT count(*) FROM publish_pool WHERE status = 'published'")
                         == [(ARTICLES,)], timeout=300, interval=0.5)
    finally:
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=30) == 0

    assert kills_mid_publish > 0, "some kills landed while an entry was publishing"
    rescued = sqlite_rows(db_path, "SELECT count(*) FROM publish_events WHERE message LIKE '%; back to the pool'")[0][0]
    assert rescued > 0, "entries of killed daemons came back to the pool (dead owner or expired lease)"
    assert sqlite_rows(db_path, "SELECT count(*) FROM publish_events WHERE to_status = 'published'") == [(ARTICLES,)]
    files = sorted(out.glob("*/*.md"))
    assert len(files) == ARTICLES, "one file per article: a re-publish rewrote the same file"
    ids = sorted(int(line.split(": ")[1]) for f in files for line in f.read_text().splitlines()
                 if line.startswith("content_id: "))
    assert ids == list(range(1, ARTICLES + 1))
    assert sorted(r[0] for r in sqlite_rows(db_path, "SELECT external_id FROM publish_pool")) == sorted(
        f.relative_to(out).as_posix() for f in files)
    assert list(out.glob("*/.*.tmp")) == [], "no half-written article is left behind"
    assert sqlite_rows(db_path, "SELECT count(*) FROM contents WHERE publish_status = 'published'") == [(ARTICLES,)]
