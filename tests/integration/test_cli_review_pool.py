"""contenthub-ctl review and publish-pool commands, run as operators run them: the review gate,
pool order and schedules, JSON shapes, and refused commands that change nothing."""

from __future__ import annotations

from pathlib import Path

from contenthub_async.clock import ManualClock
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store.database import Database
from tests.support.cli import EN, ISO_Z, ZH, Ctl
from tests.support.processes import write_script

POOL_KEYS = {"pool_id", "content_id", "account_id", "title", "status", "priority", "scheduled_at", "due_at",
             "attempts", "last_error", "external_id", "url", "published_at", "created_at"}


async def _articles(db: Database, clock: ManualClock) -> list[int]:
    """Account 1 with three articles awaiting review."""
    async with db.write() as conn:
        await account_store.insert_account(conn, name="科技前沿", now=clock.now(), account_id=1)
        return [
            await content_store.insert_content(conn, content_store.NewContent(
                account_id=1, generation_task_id=None, title=f"文章 {i}", body_markdown=f"# 文章 {i}\n\n正文第 {i} 段。",
                summary=None, images=[], word_count=100 + i, category=None, tags="AI", approved=False),
                now=clock.now())
            for i in range(3)
        ]


def pool_state(ctl: Ctl) -> list[tuple]:
    return ctl.rows("SELECT c.id, c.review_status, c.publish_status, p.status FROM contents c"
                    " LEFT JOIN publish_pool p ON p.content_id = c.id ORDER BY c.id")


def test_review_gate_approve_reject_and_show(ctl: Ctl) -> None:
    a, b, c = ctl.store(_articles)  # type: ignore[misc]
    listed = ctl("content", "list", "--review-status", "pending", "--format", "json").json()
    assert [row["content_id"] for row in listed] == [c, b, a]  # type: ignore[index]
    assert ctl("publish-pool", "add", str(a)).code == 1  # not approved: the review gate
    assert ctl("content", "approve", str(a), "999").code == 1  # unknown id: nothing changes
    assert pool_state(ctl) == [(a, "pending", "draft", None), (b, "pending", "draft", None),
                               (c, "pending", "draft", None)]

    approved = ctl("content", "approve", str(a), str(b), "--format", "json")
    assert approved.code == 0, approved
    assert [o["changed"] for o in approved.json()] == [True, True]  # type: ignore[union-attr]
    r = ctl("content", "reject", str(b), str(c), "--reason", "与上周重复")
    assert r.code == 0 and "rejected" in r.out
    assert pool_state(ctl) == [(a, "approved", "queued", "pending"), (b, "rejected", "draft", None),
                               (c, "rejected", "draft", None)]
    assert ctl("content", "reject", str(a), "--reason", " ").code == 2
    assert ctl("content", "approve").code == 2

    shown = ctl("content", "show", str(b), "--format", "json").json()
    assert shown["review_note"] == "与上周重复" and shown["body_markdown"].startswith("# 文章 1")  # type: ignore[index]
    assert shown["pool"] is None  # type: ignore[index]
    human = ctl("content", "show", str(a), lang=ZH)
    assert human.code == 0 and "正文第 0 段。" in human.out and "字数" in human.out


def test_pool_list_order_schedule_remove_retry(ctl: Ctl) -> None:
    a, b, c = ctl.store(_articles)  # type: ignore[misc]
    assert ctl("content", "approve", str(a), str(b), str(c)).code == 0
    for content_id in (b, c):
        assert ctl("publish-pool", "remove", str(ctl.rows("SELECT id FROM publish_pool WHERE content_id = ?",
                                                            content_id)[0][0])).code == 0
    added = ctl("publish-pool", "add", str(b), "--priority", "1", "--format", "json").json()
    scheduled = ctl("publish-pool", "add", str(c), "--priority", "0", "--scheduled-at", "2026-02-06 12:00:00",
                    "--format", "json").json()
    assert set(added) == POOL_KEYS and ISO_Z.match(added["due_at"])  # type: ignore[arg-type,index]
    # local time (TZ=CST-8 in the test environment) unless a zone is given
    assert scheduled["scheduled_at"] == "2026-02-06T04:00:00.000Z"  # type: ignore[index]

    listed = ctl("publish-pool", "list", "--format", "json").json()
    assert [e["content_id"] for e in listed] == [c, b, a]  # type: ignore[index]  # lower number first
    assert all(set(e) == POOL_KEYS for e in listed)  # type: ignore[union-attr]
    assert ctl("publish-pool", "list", "--status", "failed", "--format", "json").json() == []
    stats = ctl("publish-pool", "stats", "--format", "json").json()
    assert stats == {"pending": 3, "publishing": 0, "published": 0, "failed": 0, "total": 3, "due": 3}

    before = ctl.rows("SELECT * FROM publish_pool ORDER BY id")
    for bad in (["publish-pool", "add", str(a)],  # already in the pool
                ["publish-pool", "add", str(a), "--priority", "11"],
                ["publish-pool", "add", str(a), "--scheduled-at", "next tuesday"],
                ["publish-pool", "retry", "1"],  # not failed
                ["publish-pool", "retry"],
                ["publish-pool", "remove", "999"]):
        assert ctl(*bad).code in (1, 2), bad
    assert ctl.rows("SELECT * FROM publish_pool ORDER BY id") == before

    failed_id = listed[2]["pool_id"]  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(ctl.path) as conn:
        conn.execute("UPDATE publish_pool SET status = 'failed', attempts = 3, last_error = 'boom' WHERE id = ?",
                     (failed_id,))
    retried = ctl("publish-pool", "retry", "--failed", "--format", "json").json()
    assert retried == {"retried": [failed_id]}
    assert ctl.rows("SELECT status, attempts, last_error FROM publish_pool WHERE id = ?", failed_id) == [
        ("pending", 0, "boom")]
    events = ctl("publish-pool", "show", str(failed_id), "--format", "json").json()["events"]  # type: ignore[index]
    assert [e["to_status"] for e in events] == ["pending", "pending"]
    assert events[-1]["message"].startswith("manual retry")


def test_pool_commands_speak_chinese(ctl: Ctl) -> None:
    a, _, _ = ctl.store(_articles)  # type: ignore[misc]
    r = ctl("publish-pool", "add", str(a), lang=ZH)
    assert r.code == 1 and "尚未审核通过" in r.err
    assert ctl("content", "approve", str(a), lang=ZH).code == 0
    r = ctl("publish-pool", "stats", lang=ZH)
    assert r.code == 0 and "合计" in r.out


def test_publish_now_account_publisher_and_masked_credentials(ctl: Ctl, tmp_path: Path) -> None:
    a, b, _ = ctl.store(_articles)  # type: ignore[misc]
    out = tmp_path / "published"
    env = {"CONTENTHUB_PUBLISHER": f"dir:{out}"}
    assert ctl("content", "approve", str(a), str(b)).code == 0
    [(first,), (second,)] = ctl.rows("SELECT id FROM publish_pool ORDER BY id")
    r = ctl("publish-pool", "publish", str(first), "999", "--format", "json", env=env)
    assert r.code == 0, r
    summary = r.json()
    assert (summary["success_count"], summary["skipped_count"]) == (1, 1)  # type: ignore[index]
    assert (out / summary["results"][0]["external_id"]).is_file()  # type: ignore[index]

    secrets = tmp_path / "wechat.json"
    secrets.write_text('{"appId": "wx1234567890", "appSecret": "TOP-SECRET-42"}')
    failing = write_script(tmp_path / "post.py", 'import sys; sys.stdin.read(); sys.exit("审核未通过")\n')
    assert ctl("account", "update", "1", "--publisher", "ftp://nope").code == 2
    assert ctl("account", "update", "1", "--credentials", "plain-secret").code == 2
    assert ctl("account", "update", "1", "--publisher", f"exec:{failing}", "--credentials", f"file:{secrets}").code == 0
    shown = ctl("account", "show", "1", "--format", "json").json()
    assert shown["credentials"] == {"appId": "wx12****", "appSecret": "TOP-****"}  # type: ignore[index]
    human = ctl("account", "show", "1", lang=ZH)
    assert "TOP-SECRET" not in human.out and "wx12****" in human.out and "post.py" in human.out
    r = ctl("publish-pool", "publish", env=env)  # every due entry: the second one, through the failing script
    assert r.code == 1 and "审核未通过" in r.out
    assert ctl.rows("SELECT status, attempts, last_error FROM publish_pool WHERE id = ?", second) == [
        ("pending", 1, "审核未通过")]
    assert "TOP-SECRET" not in r.out + r.err

    job = ctl("scheduler", "create", "--name", "publish", "--type", "publishing", "--cron", "*/5 * * * *",
              "--format", "json")
    assert job.code == 0 and job.json()["job_type"] == "publishing"  # type: ignore[index]


def test_pool_timeline_reads_in_chinese_and_english(ctl: Ctl, tmp_path: Path) -> None:
    """A pool entry's timeline is stored as codes: zh readers see no English sentence, en readers
    the stored one, and the table keeps the English sentence beside its code."""
    from tests.integration.test_cli_language import english_words

    a, b, _ = ctl.store(_articles)  # type: ignore[misc]
    env = {"CONTENTHUB_PUBLISHER": f"dir:{tmp_path / 'published'}"}
    assert ctl("content", "approve", str(a)).code == 0
    [(published,)] = ctl.rows("SELECT id FROM publish_pool")
    assert ctl("publish-pool", "publish", str(published), env=env).code == 0
    refusing = write_script(tmp_path / "post.py", 'import sys; sys.stdin.read(); print("违规内容", file=sys.stderr); sys.exit(65)\n')
    assert ctl("account", "update", "1", "--publisher", f"exec:{refusing}").code == 0
    assert ctl("content", "approve", str(b)).code == 0
    [(failed,)] = ctl.rows("SELECT id FROM publish_pool WHERE content_id = ?", b)
    assert ctl("publish-pool", "publish", str(failed), env=env).code == 1
    assert ctl("publish-pool", "retry", str(failed)).code == 0

    zh_published = ctl("publish-pool", "show", str(published), lang=ZH, env={"COLUMNS": "200"})
    zh_failed = ctl("publish-pool", "show", str(failed), lang=ZH, env={"COLUMNS": "200"})
    assert zh_published.code == zh_failed.code == 0
    assert "已审核通过" in zh_published.out and "已领取" in zh_published.out and "已发布，平台编号" in zh_published.out
    assert "第 1 次尝试失败（不可重试）：违规内容" in zh_failed.out
    assert "手动重试（此前已尝试 1 次）" in zh_failed.out
    assert english_words(zh_published.out + zh_failed.out) == [], zh_published.out + zh_failed.out
    en = ctl("publish-pool", "show", str(failed), lang=EN, env={"COLUMNS": "200"})
    assert "attempt 1 failed (permanent): 违规内容" in en.out and "manual retry (after 1 attempts)" in en.out
    events = ctl("publish-pool", "show", str(published), "--format", "json").json()["events"]  # type: ignore[index]
    assert [e["code"] for e in events] == ["pool.approved", "pool.claimed", "pool.published"]
    assert events[-1]["message"].startswith("published as ")
    rows = ctl.rows("SELECT message, code, params FROM publish_events WHERE pool_entry_id = ? AND to_status = 'failed'",
                    failed)
    assert rows == [("attempt 1 failed (permanent): 违规内容", "pool.attempt_failed_permanent",
                     '{"attempt": 1, "error": "违规内容"}')]
